"""Issue 16, remote part, through the CLI: a remote server that asks for a sign-in is
swapped in with the warning and shown up by status; credentials it refuses, or a bare
401, fail before any target changes; `test: {skip: true}` never starts the server and
plan, apply, test and status say "not tested"."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Iterator

import jsonschema
import pytest

from mcpstate.lockfile.load import load_schema
from mcpstate.state.journal import read_journal
from mcpstate.state.layout import StateDir
from testing.servers.remote_server import RemoteServer
from tests.applyhelp import read_json
from tests.commands.test_status_and_test import parse_prometheus

pytestmark = pytest.mark.slow

UNMANAGED = '{\n  "mcpServers": {\n    "theirs": {"command": "/usr/bin/true"}\n  }\n}\n'
TOKEN = "tok-5e1f0a9c"


@pytest.fixture
def remote(request: pytest.FixtureRequest) -> Iterator[RemoteServer]:
    server = RemoteServer(request.param).start()
    try:
        yield server
    finally:
        server.stop()


def remote_lockfile(url: str, headers: str = "") -> str:
    return (f"version: 1\ndefaults:\n  test: {{timeout_s: 5}}\nservers:\n"
            f"  web:\n    source: remote\n    url: {url}\n" + (f"    headers: {headers}\n" if headers else ""))


def journal_detail(project_path: Path, server: str) -> dict:  # type: ignore[type-arg]
    [record] = [r for r in read_journal(StateDir(project_path / ".mcpstate")).records
                if r["server"] == server and r["event"] == "tested"]
    return record["detail"]  # type: ignore[no-any-return]


@pytest.mark.parametrize("remote", ["auth_required"], indirect=True)
def test_sign_in_required_is_swapped_in_with_the_warning(project, remote: RemoteServer) -> None:  # type: ignore[no-untyped-def]
    project.write_lockfile(remote_lockfile(remote.url))
    result = project.run("apply", "--auto-approve", check=True)
    assert read_json(project.path / ".mcp.json")["mcpServers"]["web"]["url"] == remote.url
    warning = f'authorization required (401, WWW-Authenticate: Bearer resource_metadata="{remote.metadata_url}")'
    assert warning in result.stdout  # in the result itself, not only in the progress lines
    assert journal_detail(project.path, "web")["warnings"][0].startswith(warning)

    doc = json.loads(project.run("status", "--format", "json", check=True).stdout)
    jsonschema.validate(doc, load_schema("status"))
    [row] = doc["servers"]
    assert (row["up"], row["auth_required"], row["tested"], row["tools"]) == (True, True, True, None)
    assert "auth required" in project.run("status", check=True).stdout
    families = parse_prometheus(project.run("status", "--format", "prometheus", check=True).stdout)
    assert families["mcpstate_server_up"] == {("web", 1.0)}
    assert families["mcpstate_server_auth_required"] == {("web", 1.0)}


@pytest.mark.parametrize("remote", ["auth_required"], indirect=True)
def test_credentials_the_server_refuses_fail_before_the_swap(project, remote: RemoteServer) -> None:  # type: ignore[no-untyped-def]
    project.write(".mcp.json", UNMANAGED)
    project.write_lockfile(remote_lockfile(remote.url, '{Authorization: "Bearer ${TOKEN}"}'))
    project.env["TOKEN"] = TOKEN
    result = project.run("apply", "--auto-approve", "--format", "json", check=1)
    [job] = json.loads(result.stdout)["results"]
    assert (job["ok"], job["step"]) == (False, "testing")
    assert job["reason"].startswith("the server refused the credentials given: 401, WWW-Authenticate: Bearer ")
    assert (project.path / ".mcp.json").read_text() == UNMANAGED
    assert TOKEN not in result.stdout + result.stderr


@pytest.mark.parametrize("remote", ["unauthorized"], indirect=True)
def test_a_401_without_a_challenge_fails(project, remote: RemoteServer) -> None:  # type: ignore[no-untyped-def]
    project.write(".mcp.json", UNMANAGED)
    project.write_lockfile(remote_lockfile(remote.url))
    result = project.run("apply", "--auto-approve", check=1)
    assert "failed at testing" in result.stdout and "without a WWW-Authenticate" in result.stdout
    assert (project.path / ".mcp.json").read_text() == UNMANAGED


def skip_lockfile(command: Path) -> str:
    return (f"version: 1\nservers:\n  local:\n    source: command\n    command: {command}\n"
            "    test: {skip: true}\n")


def marking_server(project_path: Path) -> tuple[Path, Path]:
    """A 'server' that leaves a mark and fails if anything ever starts it."""
    marker = project_path / "started"
    script = project_path / "server.sh"
    script.write_text(f"#!/bin/sh\necho started >> '{marker}'\nexit 1\n")
    script.chmod(0o755)
    return script, marker


def test_skip_is_never_started_and_everything_says_not_tested(project) -> None:  # type: ignore[no-untyped-def]
    script, marker = marking_server(project.path)
    project.write_lockfile(skip_lockfile(script))

    plan = project.run("plan", check=True).stdout
    assert "local" in plan and "[not tested]" in plan
    assert "[not tested]" in project.run("plan", "--format", "markdown", check=True).stdout
    doc = json.loads(project.run("plan", "--format", "json", check=True).stdout)
    jsonschema.validate(doc, load_schema("plan"))
    assert [(c["server"], c["not_tested"]) for c in doc["changes"]] == [("local", True)]

    applied = project.run("apply", "--auto-approve", "--format", "json", check=True)
    [job] = json.loads(applied.stdout)["results"]
    assert job["ok"] and job["warnings"] == ["not tested (test: {skip: true} in the lockfile)"]
    assert read_json(project.path / ".mcp.json")["mcpServers"]["local"]["command"] == str(script)
    assert journal_detail(project.path, "local")["not_tested"] is True

    tested = project.run("test", "local", check=True)
    assert "SKIPPED" in tested.stdout and "not tested" in tested.stdout
    report = json.loads(project.run("test", "local", "--format", "json", check=True).stdout)
    jsonschema.validate(report, load_schema("report"))
    assert (report["skipped"], report["passed"], report["report_path"]) == (True, True, None)

    assert "not tested" in project.run("status", check=True).stdout
    status = json.loads(project.run("status", "--format", "json", check=True).stdout)
    jsonschema.validate(status, load_schema("status"))
    [row] = status["servers"]
    assert (row["tested"], row["up"]) == (False, None)
    families = parse_prometheus(project.run("status", "--format", "prometheus", check=True).stdout)
    assert "mcpstate_server_up" not in families and families["mcpstate_server_tested"] == {("local", 0.0)}

    assert not marker.exists()  # plan, apply (before and after the swap), test, status: never started


def test_without_skip_the_same_server_is_started_and_fails(project) -> None:  # type: ignore[no-untyped-def]
    """The control: the marking server does start, and fail, when it is tested."""
    script, marker = marking_server(project.path)
    project.write_lockfile(skip_lockfile(script).replace("    test: {skip: true}\n", ""))
    assert "failed at testing" in project.run("apply", "--auto-approve", check=1).stdout
    assert marker.exists() and not project.exists(".mcp.json")
