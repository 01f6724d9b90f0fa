"""gc of the shared store (DESIGN §10) with three projects using it: what only a removed
project used goes, nothing another project's current or previous revision needs ever
does, and --dry-run lists exactly the same."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from mcpstate.store.entries import entry_dirname
from testing.catalogue import NPM_SERVER, NPM_VERSIONS
from tests.applyhelp import lockfile

pytestmark = pytest.mark.slow


def run(env: dict[str, str], project: Path, *args: str, code: int = 0) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run([sys.executable, "-m", "mcpstate", "-C", str(project), *args], env=env, text=True,
                          capture_output=True, stdin=subprocess.DEVNULL, timeout=300)
    assert proc.returncode == code, f"{args} exited {proc.returncode}\n{proc.stdout}\n{proc.stderr}"
    return proc


def apply_versions(env: dict[str, str], project: Path, behaviours: list[str]) -> None:
    project.mkdir(parents=True, exist_ok=True)
    for behaviour in behaviours:
        (project / "mcpstate.lock.yaml").write_text(lockfile(npm=behaviour, on_breaking="warn"))
        run(env, project, "apply", "--auto-approve")


def rel(behaviour: str) -> str:
    return f"store/npm/{entry_dirname(NPM_SERVER, NPM_VERSIONS[behaviour])}"


def gc(env: dict[str, str], project: Path, *args: str) -> dict[str, Any]:
    return json.loads(run(env, project, "gc", "--format", "json", *args).stdout)  # type: ignore[no-any-return]


def test_three_projects_share_the_store_and_gc_keeps_what_any_of_them_needs(
        tmp_path: Path, world: Any, _isolation: dict[str, str]) -> None:
    env = dict(_isolation)
    home = Path(env["MCPSTATE_HOME"])
    one, two, three = tmp_path / "one", tmp_path / "two", tmp_path / "three"
    apply_versions(env, one, ["healthy", "add_tool"])      # current add_tool, previous healthy
    apply_versions(env, two, ["change_schema"])             # current change_schema
    apply_versions(env, three, ["healthy", "remove_tool"])  # healthy shared; remove_tool its own
    assert sorted(os.listdir(home / "store" / "npm")) == sorted(
        rel(b).rsplit("/", 1)[1] for b in ("healthy", "add_tool", "change_schema", "remove_tool"))
    assert len(os.listdir(home / "roots")) == 3
    nothing = gc(env, one, "--keep", "0")
    assert nothing["items"] == []  # every entry is some project's current or previous revision
    kept = {k["path"]: k["reason"] for k in nothing["kept_roots"] if k["area"] == "store"}
    assert "previous revision (1) of app" in kept[rel("healthy")]
    assert f"in {three / '.mcpstate'}" in kept[rel("remove_tool")]

    shutil.rmtree(three)  # the project is deleted: what only it used can go
    dry = gc(env, one, "--keep", "0", "--dry-run")
    real = gc(env, one, "--keep", "0")
    assert dry == {**real, "dry_run": True}
    gone = [(i["area"], i["kind"], i["path"]) for i in real["items"]]
    assert gone[0] == ("store", "store", rel("remove_tool")) and len(gone) == 2
    assert gone[1][:2] == ("store", "root") and gone[1][2].startswith("roots/three-")
    assert sorted(os.listdir(home / "store" / "npm")) == sorted(
        rel(b).rsplit("/", 1)[1] for b in ("healthy", "add_tool", "change_schema"))
    assert len(os.listdir(home / "roots")) == 2
    for project in (one, two):  # what is live was not touched: nothing to do anywhere
        run(env, project, "plan", "--detailed-exitcode")


def test_a_root_whose_state_cannot_be_read_stops_store_gc(tmp_path: Path, world: Any,
                                                           _isolation: dict[str, str]) -> None:
    env = dict(_isolation)
    home = Path(env["MCPSTATE_HOME"])
    one, two = tmp_path / "one", tmp_path / "two"
    apply_versions(env, one, ["healthy"])
    apply_versions(env, two, ["add_tool"])
    (two / ".mcpstate" / "state.json").write_text("{not json")
    before = sorted(os.listdir(home / "store" / "npm"))
    result = run(env, one, "gc", "--keep", "0", code=1)
    assert f"the shared store's root {two / '.mcpstate'} cannot be read" in result.stderr
    assert sorted(os.listdir(home / "store" / "npm")) == before
