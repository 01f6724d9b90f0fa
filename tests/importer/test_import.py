"""`mcpstate import`: launch command lines, secrets, and a realistic .mcp.json
adopted against the hermetic registries."""

from __future__ import annotations

import difflib
import json
import sys
from pathlib import Path

import pytest
import yaml

from mcpstate.importer.adopt import Secrets, draft_server, lockfile_name
from mcpstate.importer.commandline import ParsedCommand, parse_command
from mcpstate.probe.surface import surface_digest
from testing import catalogue as cat
from tests.helpers import run_cli


@pytest.mark.parametrize("command, args, expected", [
    ("npx", ["-y", "@s/p@1.2.3", "--flag"], ParsedCommand("npm", "npx", ("--flag",), "@s/p", "1.2.3")),
    ("npx", ["--yes", "pkg@latest"], ParsedCommand("npm", "npx", (), "pkg")),
    ("npx", ["pkg"], ParsedCommand("npm", "npx", (), "pkg")),
    ("npx", ["-y", "@s/p"], ParsedCommand("npm", "npx", (), "@s/p")),
    ("npx", ["pkg@^1.2.0", "a"], ParsedCommand("npm", "npx", ("a",), "pkg", wants="^1.2.0")),
    ("npx", ["pkg@next"], ParsedCommand("npm", "npx", (), "pkg", wants="next")),
    ("/usr/bin/npx", ["-y", "-p", "@s/p@2.0.0", "p-bin", "x"],
     ParsedCommand("npm", "/usr/bin/npx", ("x",), "@s/p", "2.0.0", bin="p-bin")),
    ("npx.cmd", ["--package=pkg", "bin"], ParsedCommand("npm", "npx.cmd", (), "pkg", bin="bin")),
    ("uvx", ["pkg==1.0", "--tz", "UTC"], ParsedCommand("pypi", "uvx", ("--tz", "UTC"), "pkg", "1.0")),
    ("uvx", ["--from", "pkg==2026.10.19", "cmd"], ParsedCommand("pypi", "uvx", (), "pkg", "2026.10.19", bin="cmd")),
    ("uvx", ["--from=pkg", "pkg"], ParsedCommand("pypi", "uvx", (), "pkg")),
    ("uvx", ["pkg@1.2"], ParsedCommand("pypi", "uvx", (), "pkg", "1.2")),
    ("uvx", ["pkg@latest"], ParsedCommand("pypi", "uvx", (), "pkg")),
    ("uvx", ["pkg>=1,<2"], ParsedCommand("pypi", "uvx", (), "pkg", wants="<2,>=1")),
    ("uv", ["tool", "run", "-q", "pkg==1.0"], ParsedCommand("pypi", "uv", (), "pkg", "1.0")),
    ("node", ["server.js"], ParsedCommand("command", "node", ("server.js",))),
])
def test_parse_launch(command: str, args: list[str], expected: ParsedCommand) -> None:
    assert parse_command(command, args) == expected


@pytest.mark.parametrize("command, args, why", [
    ("npx", ["--registry", "http://x", "pkg"], "npx option --registry is not understood"),
    ("npx", ["-y"], "npx without a package"),
    ("npx", ["./local-dir"], "is not an npm registry package"),
    ("npx", ["github:user/repo"], "is not an npm registry package"),
    ("uvx", ["--with", "extra", "tool"], "uvx option --with is not understood"),
    ("uvx", ["pkg[cli]==1.0"], "extras, a URL or a marker"),
    ("uvx", ["git+https://x/y"], "is not a PyPI requirement"),
])
def test_unreproducible_launches_stay_plain_commands(command: str, args: list[str], why: str) -> None:
    parsed = parse_command(command, args)
    assert (parsed.source, parsed.command, parsed.args) == ("command", command, tuple(args))
    assert why in parsed.note and parsed.note.endswith("kept as a plain command")


def test_secrets_become_references_named_after_their_keys() -> None:
    secrets = Secrets()
    entry = {"command": "node", "args": ["s.js"],
             "env": {"API_KEY": "k1", "apiToken": "t", "LOG": "debug", "DB_PASSWORD": "${PW:-hunter2}"}}
    fields = draft_server("a", "a", entry, secrets).fields
    other = draft_server("b", "b", {"command": "x", "env": {"API_KEY": "k2"}}, secrets).fields
    remote = draft_server("gh", "gh", {"type": "http", "url": "https://h/mcp",
                                      "headers": {"Authorization": "Bearer ghp_x"}}, secrets).fields
    assert fields["env"] == {"API_KEY": "${API_KEY}", "apiToken": "${API_TOKEN}", "LOG": "debug",
                             "DB_PASSWORD": "${PW}"}  # a literal default would leak the secret
    assert other["env"] == {"API_KEY": "${B_API_KEY}"}  # another value: another variable
    assert remote["headers"] == {"Authorization": "Bearer ${GH_TOKEN}"}
    assert secrets.values == {"API_KEY": "k1", "API_TOKEN": "t", "B_API_KEY": "k2", "GH_TOKEN": "ghp_x"}


SECRET_ENTRIES = {"mcpServers": {
    "github": {"command": "/usr/local/bin/github-mcp", "args": ["stdio", "--token", "ghp_" + "Ab1" * 12,
                                                                "--api-key=k-9f8e7d6c"]},
    "db": {"command": "/usr/local/bin/pg-mcp", "args": ["postgres://app:pw0rd-S3cret@db.internal:5432/app"],
           "env": {"PGPASSWORD": "pw0rd-S3cret", "PGHOST": "db.internal"}},
    "weather": {"type": "http", "url": "https://api.example.com/mcp?region=eu&api_key=k-abcdef12",
                "headers": {"X-Api-Key": "xyz-literal-1", "Accept": "application/json"}},
    "slack": {"command": "/usr/local/bin/slack-mcp", "env": {"SLACK_BOT": "xoxb-1234567890-abcdefghij"}},
}}


def test_import_rewrites_literal_secrets_into_references_and_names_them(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """args (after a flag, --flag=value, URL userinfo), url query, headers, env by key and
    by token format: only the secret part becomes a reference; the lockfile validates."""
    (tmp_path / ".mcp.json").write_text(json.dumps(SECRET_ENTRIES))
    result = run_cli(capsys, tmp_path, "import")
    assert result.code == 0, result.err
    servers = yaml.safe_load((tmp_path / "mcpstate.lock.yaml").read_text())["servers"]
    assert servers["github"]["args"] == ["stdio", "--token", "${GITHUB_TOKEN}", "--api-key=${GITHUB_API_KEY}"]
    assert servers["db"]["args"] == ["postgres://app:${DB_PASSWORD}@db.internal:5432/app"]
    assert servers["db"]["env"] == {"PGPASSWORD": "${PGPASSWORD}", "PGHOST": "db.internal"}
    assert servers["weather"]["url"] == "https://api.example.com/mcp?region=eu&api_key=${WEATHER_API_KEY}"
    assert servers["weather"]["headers"] == {"X-Api-Key": "${WEATHER_X_API_KEY}", "Accept": "application/json"}
    assert servers["slack"]["env"] == {"SLACK_BOT": "${SLACK_TOKEN}"}
    assert ("export these variables before `mcpstate apply`: GITHUB_TOKEN (github), GITHUB_API_KEY (github), "
            "DB_PASSWORD (db), PGPASSWORD (db), WEATHER_API_KEY (weather), WEATHER_X_API_KEY (weather), "
            "SLACK_TOKEN (slack)") in result.err
    text = (tmp_path / "mcpstate.lock.yaml").read_text()
    for literal in ("ghp_Ab1", "k-9f8e7d6c", "pw0rd-S3cret", "k-abcdef12", "xyz-literal-1", "xoxb-"):
        assert literal not in text + result.out + result.err
    assert run_cli(capsys, tmp_path, "validate").code == 0


def test_lockfile_names_are_valid_and_unique() -> None:
    assert lockfile_name("My Server!", set()) == "my-server"
    assert lockfile_name("github.com/org", {"github.com-org"}) == "github.com-org-2"
    assert lockfile_name("???", set()) == "server"


MCP_JSON = {"mcpServers": {
    "calendar": {"command": "npx", "args": ["-y", f"{cat.NPM_CALENDAR}@2026.8.31"]},
    "Fixture Server": {"command": "npx", "args": ["--yes", f"{cat.NPM_SERVER}@latest", "--verbose"],
                       "env": {"API_KEY": "sk-live-123", "LOG_LEVEL": "debug"}},
    "tiny": {"command": "npx", "args": [cat.NPM_TINY]},
    "tiny-range": {"command": "npx", "args": ["-y", f"{cat.NPM_TINY}@~1.0.0"]},
    "beta": {"command": "/usr/local/bin/npx", "args": ["-y", "-p", f"{cat.NPM_SERVER}@beta", cat.NPM_SERVER_BIN]},
    "py": {"command": "uvx", "args": [f"{cat.PYPI_SERVER}==1.10.0"]},
    "py-from": {"command": "uvx", "args": ["--from", f"{cat.PYPI_CALENDAR}==2026.7.4",
                                           cat.PYPI_CALENDAR_SCRIPT, "--tz", "UTC"]},
    "py-latest": {"command": "uvx", "args": [cat.PYPI_SERVER]},
    "local": {"command": "/opt/mcp/bin/server", "args": ["--stdio"], "env": {"DB_PASSWORD": "hunter2"}},
    "node-script": {"command": "node", "args": ["./server.js"], "cwd": "/srv"},
    "github": {"type": "http", "url": "https://api.githubcopilot.com/mcp/",
               "headers": {"Authorization": "Bearer ghp_abc123"}},
    "legacy": {"type": "sse", "url": "https://example.com/sse", "headers": {"X-Api-Key": "xyz"}},
    "odd-npx": {"command": "npx", "args": ["--registry", "http://x", "pkg"]},
    "ref": {"command": "npx", "args": ["-y", f"{cat.NPM_TINY}@1.0.0"], "env": {"GITHUB_TOKEN": "${GITHUB_TOKEN}"}},
}}


def integrities(world: object) -> dict[str, str]:
    return {"calendar": world.integrity("npm", cat.NPM_CALENDAR, "2026.8.31"),
            "server": world.integrity("npm", cat.NPM_SERVER, cat.NPM_LATEST),
            "tiny": world.integrity("npm", cat.NPM_TINY, "1.1.0"),
            "tiny0": world.integrity("npm", cat.NPM_TINY, "1.0.0"),
            "beta": world.integrity("npm", cat.NPM_SERVER, cat.NPM_PRERELEASE),
            "py": world.integrity("pypi", cat.PYPI_SERVER, "1.10.0"),
            "pycal": world.integrity("pypi", cat.PYPI_CALENDAR, "2026.7.4"),
            "pylatest": world.integrity("pypi", cat.PYPI_SERVER, cat.PYPI_LATEST)}


def test_import_a_realistic_mcp_json(tmp_path: Path, world: object, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / ".mcp.json").write_text(json.dumps(MCP_JSON, indent=2))
    result = run_cli(capsys, tmp_path, "import")
    assert result.code == 0, result.err
    i = integrities(world)
    servers = yaml.safe_load((tmp_path / "mcpstate.lock.yaml").read_text())["servers"]
    # each server that could be probed here got its surface recorded; the others say why not
    tools = {name: server.pop("tools") for name, server in servers.items() if "tools" in server}
    assert sorted(tools) == ["beta", "calendar", "py", "py-from", "py-latest", "tiny", "tiny-range"]
    for name, digest in tools.items():
        assert surface_digest((tmp_path / f"mcpstate.lock.d/{name}/tools.json").read_bytes()) == digest
    assert "warning: fixture-server: surface unreviewed (not probed: [fixture-server] env.API_KEY" in result.err
    assert "warning: node-script: surface unreviewed (the health test failed" in result.err
    npm, pypi = "npm", "pypi"
    assert servers == {
        "calendar": {"source": npm, "package": cat.NPM_CALENDAR, "version": "2026.8.31",
                     "integrity": i["calendar"]},
        "fixture-server": {"source": npm, "package": cat.NPM_SERVER, "version": cat.NPM_LATEST,
                           "integrity": i["server"], "args": ["--verbose"],
                           "env": {"API_KEY": "${API_KEY}", "LOG_LEVEL": "debug"}},
        "tiny": {"source": npm, "package": cat.NPM_TINY, "version": "1.1.0", "integrity": i["tiny"]},
        "tiny-range": {"source": npm, "package": cat.NPM_TINY, "version": "1.0.0", "integrity": i["tiny0"],
                       "update": {"constraint": "~1.0.0"}},
        "beta": {"source": npm, "package": cat.NPM_SERVER, "version": cat.NPM_PRERELEASE,
                 "integrity": i["beta"], "bin": cat.NPM_SERVER_BIN},  # a tag is no range
        "py": {"source": pypi, "package": cat.PYPI_SERVER, "version": "1.10.0", "integrity": i["py"]},
        "py-from": {"source": pypi, "package": cat.PYPI_CALENDAR, "version": "2026.7.4", "integrity": i["pycal"],
                    "args": ["--tz", "UTC"]},
        "py-latest": {"source": pypi, "package": cat.PYPI_SERVER, "version": cat.PYPI_LATEST,
                      "integrity": i["pylatest"]},
        "local": {"source": "command", "command": "/opt/mcp/bin/server", "args": ["--stdio"],
                  "env": {"DB_PASSWORD": "${DB_PASSWORD}"}},
        "node-script": {"source": "command", "command": "node", "args": ["./server.js"]},
        "github": {"source": "remote", "url": "https://api.githubcopilot.com/mcp/",
                   "headers": {"Authorization": "Bearer ${GITHUB_TOKEN}"}},
        "legacy": {"source": "remote", "url": "https://example.com/sse", "transport": "sse",
                   "headers": {"X-Api-Key": "${LEGACY_X_API_KEY}"}},
        "odd-npx": {"source": "command", "command": "npx", "args": ["--registry", "http://x", "pkg"]},
        "ref": {"source": npm, "package": cat.NPM_TINY, "version": "1.0.0", "integrity": i["tiny0"],
                "env": {"GITHUB_TOKEN": "${GITHUB_TOKEN}"}},
    }
    text = (tmp_path / "mcpstate.lock.yaml").read_text()
    assert "sk-live-123" not in text and "hunter2" not in text and "ghp_abc123" not in text
    assert "sk-live-123" not in result.out + result.err
    assert "  - {client: claude-code, path: .mcp.json}" in text and "    args: [--tz, UTC]" in text
    assert ("export these variables before `mcpstate apply`: API_KEY (fixture-server), "
            "DB_PASSWORD (local), GITHUB_TOKEN (github), LEGACY_X_API_KEY (legacy)") in result.err
    assert f"warning: tiny: {cat.NPM_TINY} had no version: pinned to 1.1.0" in result.err
    assert "warning: fixture-server: renamed from 'Fixture Server'" in result.err
    assert "warning: node-script: ignored: cwd" in result.err
    assert "warning: odd-npx: npx option --registry is not understood" in result.err
    assert result.out.splitlines()[0] == f"+ calendar        npm {cat.NPM_CALENDAR} 2026.8.31"
    assert run_cli(capsys, tmp_path, "validate").code == 0


def test_import_into_an_existing_lockfile_appends_and_keeps_comments(
        tmp_path: Path, world: object, capsys: pytest.CaptureFixture[str]) -> None:
    before = ("# ours\nversion: 1\nservers:\n  # hand-made\n  tiny:\n    source: command\n"
              "    command: /bin/tiny   # not the npm one\n# keep me\n")
    (tmp_path / "mcpstate.lock.yaml").write_text(before)
    config = tmp_path / "elsewhere.json"
    config.write_text(json.dumps({"mcpServers": {k: MCP_JSON["mcpServers"][k] for k in ("tiny", "py")}}))
    result = run_cli(capsys, tmp_path, "import", "--from", str(config))
    assert result.code == 0, result.err
    assert "warning: tiny: already in the lockfile, left as it is" in result.err
    after = (tmp_path / "mcpstate.lock.yaml").read_text()
    added = [l for l in difflib.ndiff(before.splitlines(), after.splitlines()) if l[:1] in "+-"]
    tools = surface_digest((tmp_path / "mcpstate.lock.d/py/tools.json").read_bytes())
    assert added == ["+   py:", "+     source: pypi", f"+     package: {cat.PYPI_SERVER}",
                     "+     version: 1.10.0", f"+     integrity: {integrities(world)['py']}",
                     f"+     tools: {tools}"]  # its surface, recorded as lock would
    assert after.endswith(f"tools: {tools}\n# keep me\n")


def test_import_writes_nothing_when_a_pin_is_not_on_the_registry(
        tmp_path: Path, world: object, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / ".mcp.json").write_text(json.dumps({"mcpServers": {
        "a": MCP_JSON["mcpServers"]["tiny"], "b": {"command": "npx", "args": [f"{cat.NPM_TINY}@9.9.9"]}}}))
    result = run_cli(capsys, tmp_path, "import")
    assert result.code == 1 and f"b: cannot pin {cat.NPM_TINY}: no release matches 9.9.9" in result.err
    assert not (tmp_path / "mcpstate.lock.yaml").exists()


@pytest.mark.parametrize("content, message", [
    ("{nope", ".mcp.json:1:2: invalid JSON: Expecting property name"),  # the reader plan uses, too
    ('{"mcpServers": {"a": 1}}', "mcpServers.a: expected an object, got int"),
    ('{"mcpServers": {"a": {"args": []}}}', "needs a \"command\" or a \"url\""),
])
def test_import_bad_configs_are_clear_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                             content: str, message: str) -> None:
    (tmp_path / ".mcp.json").write_text(content)
    result = run_cli(capsys, tmp_path, "import")
    assert result.code == 1 and message in result.err


def test_init_adopts_an_existing_mcp_json(tmp_path: Path, world: object,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / ".mcp.json").write_text(json.dumps({"mcpServers": {"py": MCP_JSON["mcpServers"]["py"]}}))
    result = run_cli(capsys, tmp_path, "init")
    assert result.code == 0, result.err
    data = yaml.safe_load((tmp_path / "mcpstate.lock.yaml").read_text())
    assert data["servers"]["py"]["version"] == "1.10.0"


def test_init_surfaces_a_broken_importer_instead_of_writing_a_starter(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    """init adopts through importer/ directly: an importer that cannot load is a bug
    (exit 3), never a quiet fallback to the empty starter that drops the servers."""
    (tmp_path / ".mcp.json").write_text(json.dumps({"mcpServers": {"local": {"command": "/bin/true"}}}))
    monkeypatch.setitem(sys.modules, "mcpstate.importer.run", None)  # importing it raises ImportError
    result = run_cli(capsys, tmp_path, "init")
    assert result.code == 3 and "a bug in mcpstate" in result.err
    assert not (tmp_path / "mcpstate.lock.yaml").exists()


def test_init_reports_what_it_adopted_as_import_does(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)  # paths are shown relative to where the user is
    (tmp_path / ".mcp.json").write_text(json.dumps({"mcpServers": {"local": {"command": "/bin/true"}}}))
    result = run_cli(capsys, tmp_path, "init")
    assert result.code == 0, result.err
    assert result.out == ("+ local  command /bin/true\n"
                          "Imported 1 server(s) from .mcp.json into mcpstate.lock.yaml; "
                          "review it, then run: mcpstate plan\n"
                          "Added /.mcpstate/ to .gitignore (the state dir is this machine's; commit the "
                          "lockfile, mcpstate.lock.d/ and the project's client files)\n")
