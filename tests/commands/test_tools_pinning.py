"""Issue 15, the pinning half, through the CLI against the fixture world: `lock`
records each server's tool surface (tools.json + `tools:`), `validate` refuses a
hand-edited one, apply refuses a server whose live tools are not the reviewed ones
(every target byte for byte as before), and `update` re-records the surface."""

from __future__ import annotations

import difflib
import json
from collections.abc import Iterator
from typing import Any

import jsonschema
import pytest

from mcpstate.lockfile.load import load_schema
from mcpstate.probe.surface import parse_surface, surface_bytes, surface_digest
from testing.catalogue import NPM, NPM_SERVER, NPM_VERSIONS
from testing.servers.remote_server import RemoteServer
from tests.applyhelp import read_json
from tests.commands.test_status_and_test import parse_prometheus

pytestmark = pytest.mark.slow

HEALTHY, ADD_TOOL = NPM_VERSIONS["healthy"], NPM_VERSIONS["add_tool"]
TOOLS_JSON = "mcpstate.lock.d/srv/tools.json"


def npm_lockfile(version: str = HEALTHY, constraint: str = "^1.0.0") -> str:
    return ("# the team's servers\nversion: 1\ndefaults:\n  test: {timeout_s: 10}\nservers:\n"
            f"  srv:  # the fixture\n    source: {NPM}\n    package: \"{NPM_SERVER}\"\n"
            f"    version: {version}\n    update: {{constraint: \"{constraint}\"}}\n")


def changed_lines(before: str, after: str) -> list[str]:
    """The lines added or removed between two texts, each with its + or -."""
    return [line for line in difflib.ndiff(before.splitlines(), after.splitlines()) if line[:1] in "+-"]


def republish(project: Any, server: str, description: str) -> str:
    """tools.json edited as a registry republishing would make it (other description),
    written canonically with its digest put in the lockfile: valid, and not what the
    server offers."""
    path = project.path / f"mcpstate.lock.d/{server}/tools.json"
    tools = [dict(t) for t in parse_surface(path.read_bytes())]
    tools[[t["name"] for t in tools].index("echo")]["description"] = description
    data = surface_bytes(tuple(tools))
    old = surface_digest(path.read_bytes())
    path.write_bytes(data)
    text = project.read("mcpstate.lock.yaml")
    project.write("mcpstate.lock.yaml", text.replace(old, surface_digest(data)))
    return surface_digest(data)


def test_lock_records_tools_json_and_only_adds_pin_lines(project, world) -> None:  # type: ignore[no-untyped-def]
    project.write_lockfile(npm_lockfile())
    before = project.read("mcpstate.lock.yaml")
    result = project.run("lock", "--format", "json", check=True)
    doc = json.loads(result.stdout)
    jsonschema.validate(doc, load_schema("lock"))
    after = project.read("mcpstate.lock.yaml")
    data = (project.path / TOOLS_JSON).read_bytes()
    digest = surface_digest(data)
    assert [t["name"] for t in parse_surface(data)] == ["add", "echo"]
    assert doc["tools"] == [{"server": "srv", "tools": digest, "why": "new"}]
    added = changed_lines(before, after)
    assert all(line.startswith("+ ") for line in added), added  # nothing removed or changed
    assert [line.split(":")[0].strip("+ ") for line in added] == ["integrity", "closure", "tools"]
    assert f"+     tools: {digest}" in added
    assert "[srv] probing to record its tools" in result.stderr  # progress, on stderr

    again = json.loads(project.run("lock", "--format", "json", check=True).stdout)
    assert again["tools"] == [] and project.read("mcpstate.lock.yaml") == after  # checked, not re-probed
    project.run("validate", check=True)


def test_validate_flags_a_hand_edited_tools_json(project, world) -> None:  # type: ignore[no-untyped-def]
    project.write_lockfile(npm_lockfile())
    project.run("lock", check=True)
    path = project.path / TOOLS_JSON
    path.write_bytes(path.read_bytes().replace(b"Echo the text back.", b"Echo the text back!"))
    result = project.run("validate")
    assert result.returncode == 1
    assert "servers.srv.tools: mcpstate.lock.d/srv/tools.json does not match tools:" in result.stderr
    assert "run `mcpstate lock`" in result.stderr

    path.write_bytes(json.dumps(json.loads(path.read_bytes()), indent=1).encode())  # same tools, not canonical
    result = project.run("validate")
    assert result.returncode == 1 and "is not as mcpstate writes it: not in canonical form" in result.stderr


def test_tools_json_without_tools_pin_is_an_error(project, world) -> None:  # type: ignore[no-untyped-def]
    project.write_lockfile(npm_lockfile())
    project.run("lock", check=True)
    text = project.read("mcpstate.lock.yaml")
    project.write("mcpstate.lock.yaml", "".join(line for line in text.splitlines(keepends=True)
                                                 if "tools: sha256-" not in line))
    result = project.run("validate")
    assert result.returncode == 1 and "tools.json exists, but the server has no tools: line" in result.stderr
    project.run("lock", check=True)  # lock mends it
    project.run("validate", check=True)


def test_apply_refuses_tools_other_than_the_reviewed_ones(project, world) -> None:  # type: ignore[no-untyped-def]
    project.write(".mcp.json", '{"mcpServers": {"theirs": {"command": "/usr/bin/true"}}}\n')
    project.write_lockfile(npm_lockfile())
    project.run("lock", check=True)
    republish(project, "srv", "Echo the text back, reviewed.")
    project.run("validate", check=True)  # the lock folder is consistent: only the live server differs
    targets = {rel: (project.path / rel).read_bytes() for rel in (".mcp.json",)}
    result = project.run("apply", "--auto-approve")
    assert result.returncode == 1
    assert ("[srv] the server's tools differ from the reviewed ones (tools.json): changed: echo"
            in result.stdout + result.stderr)
    assert {rel: (project.path / rel).read_bytes() for rel in targets} == targets
    assert not (project.path / ".mcpstate" / "state.json").exists()  # nothing committed
    tested = project.run("test", "srv")  # `mcpstate test` holds the server to the same review
    assert tested.returncode == 1 and "tools differ from the reviewed ones (tools.json): changed: echo" in tested.stdout


def test_apply_records_the_reviewed_digest_and_surface(project, world) -> None:  # type: ignore[no-untyped-def]
    project.write_lockfile(npm_lockfile())
    project.run("lock", check=True)
    project.run("apply", "--auto-approve", check=True)
    record = read_json(project.path / ".mcpstate" / "state.json")["servers"]["srv"]
    data = (project.path / TOOLS_JSON).read_bytes()
    assert record["tools"] == surface_digest(data)
    assert surface_bytes(tuple(record["surface"])) == data
    plan = project.run("plan", "--detailed-exitcode")
    assert plan.returncode == 0, plan.stdout


def test_update_rewrites_only_pin_lines_and_records_the_new_tools(project, world) -> None:  # type: ignore[no-untyped-def]
    project.write_lockfile(npm_lockfile(constraint=f">={HEALTHY} <={ADD_TOOL}"))
    project.run("lock", check=True)
    before = project.read("mcpstate.lock.yaml")
    old_tools = (project.path / TOOLS_JSON).read_bytes()
    project.run("update", "srv", check=True)  # healthy -> add_tool: one more tool
    after = project.read("mcpstate.lock.yaml")
    changed = changed_lines(before, after)
    keys = sorted({line[2:].split(":")[0].strip() for line in changed})
    assert keys == ["closure", "integrity", "tools", "version"], changed
    new_tools = (project.path / TOOLS_JSON).read_bytes()
    assert new_tools != old_tools and f"tools: {surface_digest(new_tools)}" in after
    assert "# the team's servers" in after and "# the fixture" in after
    project.run("validate", check=True)


def remote_lockfile(url: str, skip: bool = False) -> str:
    test = "{timeout_s: 5, skip: true}" if skip else "{timeout_s: 5}"
    return f"version: 1\nservers:\n  web:\n    source: remote\n    url: {url}\n    test: {test}\n"


@pytest.fixture
def drifting() -> Iterator[RemoteServer]:
    server = RemoteServer("drift_tools,drift_after=1000").start()  # drifts when the test says so
    try:
        yield server
    finally:
        server.stop()


def test_a_remote_whose_tools_change_at_runtime_is_drift(project, drifting: RemoteServer) -> None:  # type: ignore[no-untyped-def]
    project.write_lockfile(remote_lockfile(drifting.url))
    project.run("lock", check=True)
    assert "tools: sha256-" in project.read("mcpstate.lock.yaml")
    project.run("apply", "--auto-approve", check=True)
    assert project.run("plan", "--refresh-only", "--detailed-exitcode").returncode == 0
    row = status_json(project)
    assert (row["surface"], row["tools_drift"]) == ("reviewed", None)

    drifting.drift_tools()
    row = status_json(project)
    assert (row["surface"], row["tools_drift"]) == ("drifted", "changed: echo")
    text = project.run("status").stdout
    assert "drifted" in text and "tools drifted: changed: echo" in text
    metrics = parse_prometheus(project.run("status", "--format", "prometheus", check=True).stdout)
    assert metrics["mcpstate_server_tools_drift"] == {("web", 1.0)}
    refresh = project.run("plan", "--refresh-only", "--detailed-exitcode")
    assert refresh.returncode == 2 and "tools drifted: changed: echo" in refresh.stdout
    plain = project.run("plan", "--detailed-exitcode")  # offline: it cannot see a live change
    assert plain.returncode == 0, plain.stdout


def status_json(project: Any) -> dict[str, Any]:
    doc = json.loads(project.run("status", "--format", "json").stdout)
    jsonschema.validate(doc, load_schema("status"))
    [row] = doc["servers"]
    return row  # type: ignore[no-any-return]


@pytest.mark.parametrize("behaviour, skip, reason", [
    ("auth_required", False, "asks for a sign-in"), ("healthy", True, "test: {skip: true}")])
def test_skipped_and_sign_in_servers_get_no_tools_and_are_unreviewed(
        project, behaviour: str, skip: bool, reason: str) -> None:  # type: ignore[no-untyped-def]
    server = RemoteServer(behaviour).start()
    try:
        project.write_lockfile(remote_lockfile(server.url, skip))
        before = project.read("mcpstate.lock.yaml")
        result = project.run("lock", "--format", "json", check=True)
        doc = json.loads(result.stdout)
        assert doc["tools"] == [] and [u["server"] for u in doc["unreviewed"]] == ["web"]
        assert reason in doc["unreviewed"][0]["reason"]
        assert project.read("mcpstate.lock.yaml") == before
        assert not project.exists("mcpstate.lock.d/web/tools.json")
        assert "web: surface unreviewed" in project.run("lock").stdout
        project.run("apply", "--auto-approve", check=True)
        row = status_json(project)
        assert row["surface"] == "unreviewed"
        metrics = parse_prometheus(project.run("status", "--format", "prometheus").stdout)
        assert "mcpstate_server_tools_drift" not in metrics  # nothing to compare: no sample
    finally:
        server.stop()
