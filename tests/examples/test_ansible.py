"""examples/ansible/playbook.yml run by the real ansible-playbook over two local "hosts"
(two project folders, `connection: local`) and one reviewed lockfile of fixture servers:
`--check` plans both and changes nothing; a run applies both; the next run changes
nothing (idempotent: hosts whose plan exits 0 skip the apply)."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from testing.pytest_plugin import Project
from testing.world import World
from tests.examples.fixtureproject import SERVERS, lockfile
from tests.examples.tools import EXAMPLES, require, venv_tool
from tests.helpers import snapshot

pytestmark = pytest.mark.slow

PLAYBOOK = EXAMPLES / "ansible" / "playbook.yml"
HOSTS = ("host-a", "host-b")
UNMANAGED = {"someone-elses": {"command": "/usr/local/bin/their-server", "args": []}}


def inventory(tmp_path: Path, controller: Path, world: World) -> Path:
    hosts = {name: {"mcp_project": str(tmp_path / "hosts" / name)} for name in HOSTS}
    doc = {"mcp_hosts": {"hosts": hosts, "vars": {
        "ansible_connection": "local", "ansible_python_interpreter": sys.executable,
        "ansible_become": False,  # each "host" is a folder of the user running the tests
        "mcpstate_bin": venv_tool("mcpstate"), "mcp_lockfile": str(controller / Project.LOCKFILE),
        # the mirrors the lockfile's packages come from, as a fleet would set them
        "mcp_environment": world.env,
        "mcp_batch": "100%"}}}  # one batch: the batches run one after the other, and time counts
    path = tmp_path / "inventory.yml"
    path.write_text(yaml.safe_dump(doc), encoding="utf-8")
    return path


def playbook(binary: str, inv: Path, world: World, *args: str) -> tuple[str, dict[str, dict[str, int]]]:
    # Without the registry variables: only the playbook's `environment:` passes them on.
    env = {k: v for k, v in os.environ.items() if k not in world.env} | {"ANSIBLE_NOCOLOR": "1"}
    proc = subprocess.run([binary, "-i", str(inv), str(PLAYBOOK), *args], check=False, cwd=inv.parent,
                          env=env, capture_output=True, text=True, stdin=subprocess.DEVNULL, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    recap = {m.group(1): {k: int(v) for k, v in re.findall(r"(\w+)=(\d+)", m.group(2))}
             for m in re.finditer(r"^(\S+)\s+:\s+(ok=.*)$", proc.stdout, re.MULTILINE)}
    assert set(recap) == set(HOSTS), proc.stdout
    assert all(r["failed"] == 0 and r["unreachable"] == 0 for r in recap.values()), proc.stdout
    return proc.stdout, recap


def test_check_plans_a_run_applies_and_the_next_run_changes_nothing(world: World, tmp_path: Path) -> None:
    binary = require("ansible-playbook", "the test extra's ansible-core")
    controller = Project(tmp_path / "controller", dict(os.environ))
    controller.path.mkdir()
    controller.write_lockfile(lockfile())
    controller.run("lock", check=True)  # the reviewed lockfile and its lock folder, as committed
    for name in HOSTS:
        (tmp_path / "hosts" / name).mkdir(parents=True)
    host_a = tmp_path / "hosts" / "host-a"
    (host_a / ".mcp.json").write_text(json.dumps({"mcpServers": UNMANAGED}, indent=2), encoding="utf-8")
    inv = inventory(tmp_path, controller.path, world)

    before = snapshot(tmp_path / "hosts")
    out, recap = playbook(binary, inv, world, "--check")
    assert out.count("Plan: 2 to add, 0 to change, 0 to destroy.") == len(HOSTS), out
    assert all(r["changed"] > 0 for r in recap.values()), out  # "would change"
    assert snapshot(tmp_path / "hosts") == before
    assert sorted(p.name for p in (tmp_path / "hosts").rglob("*")) == [".mcp.json", *HOSTS]

    out, recap = playbook(binary, inv, world, "-e", "mcp_auto_approve=true")
    assert out.count("Apply complete: 2 applied, 0 failed.") == len(HOSTS), out
    assert all(r["changed"] > 0 for r in recap.values()), out
    for name in HOSTS:
        host = Project(tmp_path / "hosts" / name, controller.env)
        state = json.loads(host.read(".mcpstate/state.json"))
        assert set(state["servers"]) == set(SERVERS)
        assert set(json.loads(host.read(".vscode/mcp.json"))["servers"]) == set(SERVERS)
        assert host.read(Project.LOCKFILE) == controller.read(Project.LOCKFILE)
        assert snapshot(host.path / "mcpstate.lock.d") == snapshot(controller.path / "mcpstate.lock.d")
        assert host.run("plan", "--detailed-exitcode").returncode == 0
    entries = json.loads((host_a / ".mcp.json").read_text(encoding="utf-8"))["mcpServers"]
    assert set(entries) == {*SERVERS, *UNMANAGED} and entries["someone-elses"] == UNMANAGED["someone-elses"]

    applied = snapshot(tmp_path / "hosts")
    out, recap = playbook(binary, inv, world, "-e", "mcp_auto_approve=true")
    assert {name: r["changed"] for name, r in recap.items()} == dict.fromkeys(HOSTS, 0), out
    assert out.count("No changes.") == len(HOSTS), out
    assert snapshot(tmp_path / "hosts") == applied
