"""A project an older mcpstate applied (state format 1, its own store in the state dir,
absolute paths in .mcp.json) is planned as a move into the shared store (DESIGN §9);
after the apply, gc removes the old per-project store."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from mcpstate.targets.jsonfile import entry_sha256
from tests.applyhelp import lockfile, probe_entry, read_json

pytestmark = pytest.mark.slow


def make_it_format_1(project: Any) -> Path:
    """What an older mcpstate left: the entry in .mcpstate/store, its absolute path in
    the state and in .mcp.json, a format-1 state.json."""
    state_file = project.path / ".mcpstate" / "state.json"
    state = read_json(state_file)
    server = state["servers"]["app"]
    shared = Path(server["store_path"])
    legacy = project.path / ".mcpstate" / "store" / "npm" / shared.name
    legacy.parent.mkdir(parents=True)
    shutil.move(shared, legacy)
    doc = read_json(project.path / ".mcp.json")
    entry = doc["mcpServers"]["app"]
    entry["command"] = entry["command"].replace(f"${{HOME}}/{shared.relative_to(project.env['HOME'])}", str(legacy))
    assert entry["command"].startswith(str(legacy))
    (project.path / ".mcp.json").write_text(json.dumps(doc, indent=2) + "\n")
    server.update(store_path=str(legacy), entries={".mcp.json": entry_sha256(entry)})
    state["format_version"] = 1
    state.pop("journal", None)
    state_file.write_text(json.dumps(state))
    return legacy


def test_a_per_project_store_is_planned_as_a_move_and_gc_removes_it_after(project: Any) -> None:
    project.write_lockfile(lockfile(npm="healthy"))
    project.run("apply", "--auto-approve", check=True)
    legacy = make_it_format_1(project)
    assert probe_entry(read_json(project.path / ".mcp.json")["mcpServers"]["app"]).passed

    plan = json.loads(project.run("plan", "--format", "json", check=True).stdout)
    [change] = plan["changes"]
    assert (change["action"], change["action_reason"]) == ("update", "config")
    text = project.run("plan", check=True).stdout
    assert "store: moves from the project's own store into the shared store" in text
    assert "drift" not in text  # the old entry is intact: nothing changed outside mcpstate

    project.run("apply", "--auto-approve", check=True)
    entry = read_json(project.path / ".mcp.json")["mcpServers"]["app"]
    assert entry["command"].startswith("${HOME}/.local/share/mcpstate/store/npm/")
    assert probe_entry(entry).passed
    assert read_json(project.path / ".mcpstate" / "state.json")["format_version"] == 2
    project.run("plan", "--detailed-exitcode", check=0)

    gc = json.loads(project.run("gc", "--format", "json", check=True).stdout)
    project_items = [(i["kind"], i["path"]) for i in gc["items"] if i["area"] == "project"]
    # the previous revision lived in the old store: kept as rollback target until replaced
    kept = {k["path"]: k["reason"] for k in gc["kept_roots"] if k["area"] == "project"}
    assert f"store/npm/{legacy.name}" in kept and "previous revision (1) of app" in kept[f"store/npm/{legacy.name}"]
    assert project_items == []
    project.write_lockfile(lockfile(npm="add_tool"))
    project.run("apply", "--auto-approve", check=True)  # now nothing refers to the old store
    gc = json.loads(project.run("gc", "--format", "json", check=True).stdout)
    assert [(i["area"], i["path"]) for i in gc["items"] if i["area"] == "project"] == [
        ("project", f"store/npm/{legacy.name}")]
    assert not legacy.exists()
