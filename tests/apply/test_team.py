"""The team guarantee (DESIGN §1, §14): one commit of a repository, applied in two
checkouts at different paths by two users (two HOMEs), writes byte-identical project
target files, and each entry launches its server as its client starts it."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from testing.catalogue import NPM, NPM_LIB, NPM_WITH_LIB, PYPI, PYPI_WITH_LIB, WITH_LIB_VERSION
from testing.clients import as_client
from testing.tools import isolated_env, seed_tools

pytestmark = pytest.mark.slow

# the project-scoped files of the clients that can write a store path portably
FILES = {"claude-code": ".mcp.json", "cursor": ".cursor/mcp.json", "vscode": ".vscode/mcp.json",
         "gemini": ".gemini/settings.json"}
KEYS = {"claude-code": "mcpServers", "cursor": "mcpServers", "vscode": "servers", "gemini": "mcpServers"}

LOCKFILE = f"""\
version: 1
targets:
{"".join(f"  - {{client: {client}}}{chr(10)}" for client in FILES)}\
defaults:
  test: {{timeout_s: 10, max_startup_ms: 8000}}
servers:
  web:
    source: {NPM}
    package: "{NPM_WITH_LIB}"
    version: {WITH_LIB_VERSION}
    args: [--data, "${{HOME}}/web-data"]
  py:
    source: {PYPI}
    package: {PYPI_WITH_LIB}
    version: {WITH_LIB_VERSION}
"""


def mcpstate(env: dict[str, str], cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run([sys.executable, "-m", "mcpstate", *args], cwd=cwd, env=env, text=True,
                          capture_output=True, stdin=subprocess.DEVNULL, timeout=300)
    assert proc.returncode == 0, f"mcpstate {' '.join(args)} exited {proc.returncode}\n{proc.stdout}\n{proc.stderr}"
    return proc


def git(cwd: Path, *args: str) -> None:
    subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@example.org", *args], cwd=cwd,
                   check=True, capture_output=True)


def user(tmp_path: Path, name: str, world: Any) -> dict[str, str]:
    """A user of their own: a home folder, MCPSTATE_HOME at its default place in it."""
    env = {**isolated_env(tmp_path / name), **world.env}
    seed_tools(Path(env["MCPSTATE_HOME"]))
    return env


def test_two_checkouts_under_two_homes_write_the_same_bytes_and_each_entry_launches(
        tmp_path: Path, world: Any) -> None:
    alice, bob = user(tmp_path, "alice", world), user(tmp_path, "bob", world)
    origin = tmp_path / "origin"
    origin.mkdir()
    (origin / "mcpstate.lock.yaml").write_text(LOCKFILE)
    mcpstate(alice, origin, "lock")  # the lock folder, committed with the lockfile
    git(origin, "init", "-q")
    git(origin, "add", "-A")
    git(origin, "commit", "-qm", "servers")
    checkouts = {"alice": tmp_path / "alice" / "src" / "proj", "bob": tmp_path / "bob" / "work" / "deep" / "p2"}
    for who, path in checkouts.items():
        git(tmp_path, "clone", "-q", str(origin), str(path))
        mcpstate(alice if who == "alice" else bob, path, "apply", "--auto-approve")
    for client, file in FILES.items():
        a, b = (checkouts[who] / file for who in ("alice", "bob"))
        assert a.read_bytes() == b.read_bytes(), f"{file} differs between the two checkouts"
    entry = json.loads((checkouts["alice"] / ".mcp.json").read_text())["mcpServers"]["web"]
    assert entry["command"].startswith("${HOME}/.local/share/mcpstate/store/npm/")
    assert str(tmp_path) not in (checkouts["alice"] / ".vscode/mcp.json").read_text()
    for who, path in checkouts.items():
        env = alice if who == "alice" else bob
        for client, file in FILES.items():
            text = (path / file).read_text()
            doc = json.loads(text) if client != "vscode" else json.loads(_without_comments(text))
            for name, written in doc[KEYS[client]].items():
                _assert_launches(client, written, path, env)
    # each user's store holds the whole closure, the library included, under their own home
    for env in (alice, bob):
        store = Path(env["MCPSTATE_HOME"]) / "store"
        assert Path(env["MCPSTATE_HOME"]).is_relative_to(env["HOME"])
        npm_entry = next((store / "npm").iterdir())
        assert (npm_entry / "node_modules" / ".pnpm").is_dir()
        assert any(NPM_LIB.replace("/", "+") in p.name for p in (npm_entry / "node_modules" / ".pnpm").iterdir())


def _assert_launches(client: str, entry: dict[str, Any], project: Path, env: dict[str, str]) -> None:
    from mcpstate.model import TestSpec
    from mcpstate.probe import probe

    launch = as_client(client, entry, project, env)
    assert launch.command.startswith(env["HOME"] + "/"), (client, launch.command)
    report = probe(launch, TestSpec(timeout_s=10))
    assert report.passed, (client, entry, report.failures)


def _without_comments(text: str) -> str:
    from mcpstate.targets import jsonc

    return json.dumps(jsonc.parse(text))
