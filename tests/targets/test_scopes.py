"""Targets' `servers:` lists, client variables (DESIGN §14), and a client file that its
client rewrites while mcpstate writes it (`~/.claude.json`)."""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path
from typing import Any

import pytest

from mcpstate.apply.swap import ATTEMPTS, swap_entries
from mcpstate.errors import TargetError
from mcpstate.model import Launch, Target
from mcpstate.secrets.references import UnresolvedReference, resolve
from mcpstate.state.layout import StateDir
from mcpstate.targets import jsonc, render_for, resolve_path
from tests.applyhelp import read_json

FIXTURE_SERVER = Path(__file__).resolve().parents[2] / "testing/servers/fixture_server.py"


def command_servers(names: list[str], args: str = f"[{FIXTURE_SERVER}]") -> str:
    return "servers:\n" + "".join(f"  {n}:\n    source: command\n    command: {sys.executable}\n"
                                  f"    args: {args}\n" for n in names)


def vscode_servers(project: Any) -> list[str]:
    return list(jsonc.parse(project.read(".vscode/mcp.json"))["servers"])


# --- servers: [...] ----------------------------------------------------------------------

def test_a_target_gets_only_the_servers_it_lists_and_loses_one_taken_off(project) -> None:  # type: ignore[no-untyped-def]
    targets = "targets:\n  - {client: claude-code}\n  - {client: vscode, servers: [%s]}\n"
    body = "version: 1\n" + command_servers(["a", "b", "c"])
    project.write_lockfile(targets % "a, b" + body)
    project.run("apply", "--auto-approve", check=True)
    assert vscode_servers(project) == ["a", "b"]
    assert list(read_json(project.path / ".mcp.json")["mcpServers"]) == ["a", "b", "c"]
    project.run("plan", "--detailed-exitcode", check=0)

    project.write_lockfile(targets % "a" + body)
    plan = json.loads(project.run("plan", "--format", "json", check=True).stdout)
    assert [(c["server"], c["action"], c["action_reason"]) for c in plan["changes"]] == [("b", "update", "targets")]
    assert "targets: - .vscode/mcp.json" in project.run("plan", check=True).stdout
    project.run("apply", "--auto-approve", check=True)
    assert vscode_servers(project) == ["a"]
    assert list(read_json(project.path / ".mcp.json")["mcpServers"]) == ["a", "b", "c"]
    project.run("plan", "--detailed-exitcode", check=0)


def test_servers_lists_name_servers_of_the_lockfile(project) -> None:  # type: ignore[no-untyped-def]
    project.write_lockfile("version: 1\ntargets:\n  - {client: vscode, servers: [a, nope, a]}\n"
                           + command_servers(["a"]))
    err = project.run("validate", check=1).stderr
    assert "targets[0].servers[1]: no server 'nope' in this lockfile" in err
    assert "targets[0].servers[2]: 'a' is listed twice" in err


def test_scope_project_for_a_client_without_one_is_an_error(project) -> None:  # type: ignore[no-untyped-def]
    project.write_lockfile("version: 1\ntargets:\n  - {client: windsurf, scope: project}\nservers: {}\n")
    assert "targets[0].scope: windsurf has no project file; write scope: user" in project.run(
        "validate", check=1).stderr


# --- client variables ----------------------------------------------------------------------

WORKSPACE_SERVER = "version: 1\n" + command_servers(["ws"], "[\"${workspaceFolder}/server.py\"]")


def test_workspace_folder_passes_through_to_vscode_and_is_what_the_probe_gets(project) -> None:  # type: ignore[no-untyped-def]
    shutil.copy(FIXTURE_SERVER, project.path / "server.py")  # reachable only through the variable
    project.env["workspaceFolder"] = "/nowhere"  # never looked up in the environment
    project.write_lockfile("targets:\n  - {client: vscode}\n" + WORKSPACE_SERVER)
    project.run("validate", check=True)
    project.run("apply", "--auto-approve", check=True)
    entry = jsonc.parse(project.read(".vscode/mcp.json"))["servers"]["ws"]
    assert entry["args"] == ["${workspaceFolder}/server.py"]
    project.run("test", "ws", check=True)  # `test` and `status` launch it as VS Code does, too
    status = json.loads(project.run("status", "--format", "json", check=True).stdout)
    assert "ws" in json.dumps(status) and "cannot" not in json.dumps(status)


def test_workspace_folder_is_an_error_for_claude_code(project) -> None:  # type: ignore[no-untyped-def]
    project.write_lockfile("targets:\n  - {client: vscode}\n  - {client: claude-code}\n" + WORKSPACE_SERVER)
    err = project.run("validate", check=1).stderr
    assert ("servers.ws.args[0]: ${workspaceFolder} is expanded only by cursor, vscode; "
            "claude-code (targets[1]) would pass it to the server as written") in err
    # the same lockfile is fine once claude-code does not get that server
    project.write_lockfile("targets:\n  - {client: vscode}\n  - {client: claude-code, servers: []}\n"
                           + WORKSPACE_SERVER)
    project.run("validate", check=True)


def test_input_variables_are_vscode_only_and_cannot_be_probed() -> None:
    from mcpstate.lockfile.clientvars import check_client_variables

    data = {"targets": [{"client": "cursor"}],
            "servers": {"gh": {"source": "remote", "url": "https://x.example/mcp",
                               "headers": {"Authorization": "Bearer ${input:gh-token}"}}}}
    [(path, message)] = check_client_variables(data)
    assert path == ("servers", "gh", "headers", "Authorization") and "only by vscode" in message
    data["targets"] = [{"client": "vscode"}]
    assert list(check_client_variables(data)) == []
    with pytest.raises(UnresolvedReference, match=r"\$\{input:gh-token\} is asked of the user.*cannot probe"):
        resolve("Bearer ${input:gh-token}", {}, "[gh] headers.Authorization")


def test_client_variables_are_never_environment_references() -> None:
    environ = {"workspaceFolder": "/env", "userHome": "/env", "HOME": "/h"}
    assert resolve("${workspaceFolder}/a:${userHome}:${HOME}", environ, "x") == "${workspaceFolder}/a:${userHome}:/h"
    launch = Launch(command="srv", args=("${workspaceFolder}", "${userHome}/x"))
    assert render_for("cursor", launch, environ, "s")["args"] == ["${workspaceFolder}", "${userHome}/x"]


# --- ~/.claude.json, rewritten by Claude Code while it runs -----------------------------------

CLAUDE_JSON = '{\n  "numStartups": 1,\n  "mcpServers": {}\n}\n'
USER_TARGET = Target("claude-code", "~/.claude.json", "user")
ENTRY = {"command": "/bin/srv", "args": []}


def claude_code_saves_meanwhile(monkeypatch: pytest.MonkeyPatch, file: Path, times: int) -> list[int]:
    """After mcpstate has read the file and made its edit, Claude Code saves it: `times` times."""
    import mcpstate.apply.swap as swap

    real, saves = swap.entry_written, []

    def edit_then_client_saves(*args: Any) -> bytes:
        new = real(*args)
        if len(saves) < times:
            saves.append(1)
            data = json.loads(file.read_text())
            data["numStartups"] += 1
            file.write_text(json.dumps(data, indent=2) + "\n")
        return new
    monkeypatch.setattr(swap, "entry_written", edit_then_client_saves)
    return saves


def test_claude_json_saved_meanwhile_is_read_again_not_overwritten(tmp_path: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    file = resolve_path(tmp_path, USER_TARGET)
    assert file == Path.home() / ".claude.json"  # the test's own HOME
    file.write_text(CLAUDE_JSON)
    saves = claude_code_saves_meanwhile(monkeypatch, file, times=2)
    swap_entries(tmp_path, StateDir(tmp_path / ".mcpstate"), "0123456789ab", "srv", {USER_TARGET: ENTRY})
    data = json.loads(file.read_text())
    assert len(saves) == 2 and data["numStartups"] == 3  # both of Claude Code's saves kept
    assert data["mcpServers"] == {"srv": ENTRY}


def test_claude_json_always_saved_meanwhile_fails_naming_it(tmp_path: Path,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    file = resolve_path(tmp_path, USER_TARGET)
    file.write_text(CLAUDE_JSON)
    saves = claude_code_saves_meanwhile(monkeypatch, file, times=ATTEMPTS)
    with pytest.raises(TargetError, match=rf"{file}: another program rewrote it each time .*\(5 tries\)"):
        swap_entries(tmp_path, StateDir(tmp_path / ".mcpstate"), "0123456789ab", "srv", {USER_TARGET: ENTRY})
    data = json.loads(file.read_text())
    assert len(saves) == ATTEMPTS and data == {"numStartups": 1 + ATTEMPTS, "mcpServers": {}}


def test_the_planner_and_the_client_modules_agree_on_who_expands_nothing() -> None:
    from mcpstate.model import CLIENTS, EXPANDS_NOTHING
    from mcpstate.targets import client_module, file_mode

    for client in CLIENTS:
        assert client_module(client).EXPANDS_VARIABLES == (client not in EXPANDS_NOTHING), client
        assert (file_mode(client) == 0o600) == (client in EXPANDS_NOTHING), client
