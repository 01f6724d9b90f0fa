"""Saved plans bound to their content (DESIGN §6): `apply plan.json` recomputes the plan
and refuses one edited by hand ("does not match the inputs") or one whose inputs moved
("is stale"); edits to entries the plan does not govern leave it good."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from mcpstate.plan.document import document_digest
from tests.applyhelp import lockfile, read_json
from tests.helpers import snapshot

pytestmark = pytest.mark.slow

THEIRS = {"theme": "dark", "mcpServers": {"zeta": {"command": "their-server", "args": ["x"]}}}
TWO_TARGETS = "targets:\n  - {client: claude-code}\n  - {client: cursor}\n"


def empty_changes(doc: dict[str, Any]) -> None:
    doc["changes"] = []


def drop_cursor(doc: dict[str, Any]) -> None:
    doc["targets"] = [t for t in doc["targets"] if t["path"] != ".cursor/mcp.json"]


def edit_plan(path: Path, edit: Callable[[dict[str, Any]], None], redigest: bool) -> None:
    doc = read_json(path)
    edit(doc)
    if redigest:  # the digest is no signature: whoever edits can recompute it
        doc["digest"] = document_digest(doc)
    path.write_text(json.dumps(doc, indent=2))


@pytest.mark.parametrize("edit, why", [
    (empty_changes, "app: create now, not in the saved plan"),
    (drop_cursor, ".cursor/mcp.json is a target now, but not in the saved plan"),
], ids=["changes-emptied", "target-removed"])
@pytest.mark.parametrize("redigest", [False, True], ids=["as-edited", "digest-recomputed"])
def test_an_edited_saved_plan_is_refused(project, edit, why, redigest) -> None:  # type: ignore[no-untyped-def]
    project.write(".mcp.json", json.dumps(THEIRS, indent=2))
    project.write_lockfile(lockfile(npm="healthy").replace("version: 1\n", "version: 1\n" + TWO_TARGETS))
    project.run("plan", "-o", "plan.json", check=True)
    edit_plan(project.path / "plan.json", edit, redigest)
    before = snapshot(project.path)
    result = project.run("apply", "plan.json")
    assert result.returncode == 1, result
    said = ("Saved plan is stale: " if redigest else
            "Saved plan does not match the inputs: the file was edited after 'mcpstate plan -o' wrote it")
    assert said in result.stderr and why in result.stderr, result
    after = snapshot(project.path)
    assert {p: s for p, s in after.items() if not p.startswith(".mcpstate/")} == \
           {p: s for p, s in before.items() if not p.startswith(".mcpstate/")}
    assert not (project.path / ".cursor/mcp.json").exists()


def test_an_unmanaged_entry_edited_after_plan_does_not_make_it_stale(project) -> None:  # type: ignore[no-untyped-def]
    project.write(".mcp.json", json.dumps(THEIRS, indent=2))
    project.write_lockfile(lockfile(npm="healthy"))
    project.run("plan", "-o", "plan.json", check=True)
    edited = {"theme": "light", "mcpServers": {"zeta": {"command": "their-server", "args": ["y"]},
                                                "new-one": {"command": "z"}}}
    project.write(".mcp.json", json.dumps(edited, indent=2))
    result = project.run("apply", "plan.json", check=True)
    assert "Apply complete: 1 applied" in result.stdout
    doc = read_json(project.path / ".mcp.json")
    assert doc["theme"] == "light" and doc["mcpServers"]["zeta"]["args"] == ["y"]
    assert set(doc["mcpServers"]) == {"zeta", "new-one", "app"}


def test_a_managed_entry_edited_after_plan_makes_it_stale(project) -> None:  # type: ignore[no-untyped-def]
    project.write_lockfile(lockfile(npm="healthy"))
    project.run("apply", "--auto-approve", check=True)
    project.write_lockfile(lockfile(npm="healthy").replace("[--flag]", "[--flag, -v]"))
    project.run("plan", "-o", "plan.json", check=True)
    doc = read_json(project.path / ".mcp.json")
    doc["mcpServers"]["app"]["args"] = ["--by-hand"]
    project.write(".mcp.json", json.dumps(doc, indent=2))
    result = project.run("apply", "plan.json")
    assert result.returncode == 1
    assert "Saved plan is stale: .mcp.json was edited (its managed entries differ)" in result.stderr
    assert read_json(project.path / ".mcp.json")["mcpServers"]["app"]["args"] == ["--by-hand"]
