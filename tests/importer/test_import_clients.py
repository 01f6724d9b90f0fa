"""`import` and `init` across clients (DESIGN §5, §14): each format read into the
lockfile's shape with its references as `${VAR}`, the client added as a target of the
file's scope, and `init` adopting project files while offering user files."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from mcpstate.importer.clients import read_entries
from mcpstate.importer.targets import add_target
from tests.helpers import run_cli


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


@pytest.mark.parametrize("client, relative, text", [
    ("cursor", ".cursor/mcp.json", '{"mcpServers": {"s": {"command": "x", "env": {"K": "${env:K}"}}}}'),
    ("windsurf", "w.json", '{"mcpServers": {"s": {"serverUrl": "https://h.example/mcp", '
                           '"headers": {"X-K": "${env:K}"}}}}'),
    ("gemini", ".gemini/settings.json", '{"mcpServers": {"s": {"httpUrl": "https://h.example/mcp", '
                                        '"headers": {"X-K": "$K"}}}}'),
    ("codex", ".codex/config.toml", '[mcp_servers.s]\nurl = "https://h.example/mcp"\n'
                                    'bearer_token_env_var = "T"\nenv_http_headers = {X-K = "K"}\n'),
])
def test_each_format_reads_as_lockfile_references(tmp_path: Path, client: str, relative: str, text: str) -> None:
    [(name, entry)] = read_entries(write(tmp_path / relative, text), client).items()
    assert "${K}" in json.dumps(entry) and "env:" not in json.dumps(entry) and "$K" not in json.dumps(entry)
    if client != "cursor":
        assert entry["url"] == "https://h.example/mcp"
    if client == "codex":
        assert entry["headers"] == {"X-K": "${K}", "Authorization": "Bearer ${T}"}
    if client == "gemini":
        assert entry["type"] == "http"


def test_codex_env_vars_become_references(tmp_path: Path) -> None:
    config = write(tmp_path / "c.toml", '[mcp_servers.s]\ncommand = "x"\nenv = {A = "1"}\nenv_vars = ["B"]\n')
    assert read_entries(config, "codex")["s"] == {"command": "x", "env": {"A": "1", "B": "${B}"}}


def test_import_of_a_user_file_adds_a_user_target_to_an_existing_lockfile(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "mcpstate.lock.yaml").write_text("version: 1\ntargets:\n  - {client: claude-code}  # ours\n"
                                                 "servers: {}\n")
    write(Path.home() / ".claude.json", json.dumps({"numStartups": 3, "mcpServers": {
        "local": {"command": "/opt/mcp-local", "args": ["--stdio"]}}}))
    result = run_cli(capsys, tmp_path, "import", "--client", "claude-code")  # no .mcp.json: the user file
    assert result.code == 0, result.err
    text = (tmp_path / "mcpstate.lock.yaml").read_text()
    assert "  - {client: claude-code}  # ours\n  - {client: claude-code, scope: user}\n" in text
    assert yaml.safe_load(text)["servers"]["local"] == {"source": "command", "command": "/opt/mcp-local",
                                                          "args": ["--stdio"]}
    assert str(Path.home()) not in text  # the user file's path is implicit, the same on every machine


def test_add_target_keeps_the_implicit_default_and_adds_nothing_twice() -> None:
    text = "version: 1\nservers: {}\n"
    added = add_target(text, {"client": "gemini", "path": ".gemini/settings.json"})
    assert yaml.safe_load(added)["targets"] == [{"client": "claude-code", "path": ".mcp.json"},
                                                {"client": "gemini", "path": ".gemini/settings.json"}]
    assert add_target(added, {"client": "gemini", "path": ".gemini/settings.json"}) == added
    assert add_target(text, {"client": "claude-code", "path": ".mcp.json"}) == text


def test_init_adopts_project_files_and_offers_user_files(tmp_path: Path,
                                                         capsys: pytest.CaptureFixture[str]) -> None:
    write(tmp_path / ".cursor/mcp.json", json.dumps({"mcpServers": {"a": {"command": "/opt/a"}}}))
    write(tmp_path / ".codex/config.toml", '# ours\n[mcp_servers.b]\ncommand = "/opt/b"\n')
    write(Path.home() / ".gemini/settings.json", json.dumps({"mcpServers": {"g": {"command": "/opt/g"}}}))
    result = run_cli(capsys, tmp_path, "init")
    assert result.code == 0, result.err
    data = yaml.safe_load((tmp_path / "mcpstate.lock.yaml").read_text())
    assert data["targets"] == [{"client": "cursor", "path": ".cursor/mcp.json"},
                               {"client": "codex", "path": ".codex/config.toml"}]
    assert sorted(data["servers"]) == ["a", "b"]
    assert "run: mcpstate import --client gemini --from " in result.out + result.err
    assert "g" not in data["servers"]  # the user's own servers are only offered
