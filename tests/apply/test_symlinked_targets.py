"""A symlinked target file (DESIGN §7): written through to the file it points to, and
still a symlink after a swap, a rollback and a recovery."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from mcpstate.apply.recovery import recover
from mcpstate.apply.swap import swap_entries
from mcpstate.stamps import who
from mcpstate.state.journal import open_journal
from mcpstate.state.layout import StateDir
from tests.apply.test_core import BEFORE, TARGET, Probe, run_one


@pytest.fixture
def linked(tmp_path: Path) -> tuple[Path, Path]:
    """A project whose .mcp.json is a relative link to a shared file elsewhere."""
    project, shared = tmp_path / "project", tmp_path / "dotfiles" / "mcp.json"
    project.mkdir()
    shared.parent.mkdir()
    shared.write_bytes(BEFORE)
    (project / ".mcp.json").symlink_to(os.path.relpath(shared, project))
    return project, shared


def assert_still_linked(project: Path, shared: Path) -> None:
    link = project / ".mcp.json"
    assert link.is_symlink() and link.resolve() == shared.resolve()
    assert not [p for p in project.iterdir() if p.name.startswith(".mcp.json.")]  # no temp left


def test_a_successful_apply_writes_through_the_link(linked: tuple[Path, Path]) -> None:
    project, shared = linked
    job, _, _ = run_one(project, Probe())
    assert job.failure is None
    assert_still_linked(project, shared)
    doc = json.loads(shared.read_text())
    assert doc["mcpServers"]["app"]["command"] == "/bin/true" and doc["theme"] == "dark"


def test_a_rolled_back_apply_leaves_the_link_and_its_file_as_they_were(linked: tuple[Path, Path]) -> None:
    project, shared = linked
    job, _, _ = run_one(project, Probe(fail_from=2))  # passes the test, fails the live check
    assert job.rolled_back
    assert_still_linked(project, shared)
    assert shared.read_bytes() == BEFORE


def test_recovery_restores_through_the_link(linked: tuple[Path, Path]) -> None:
    project, shared = linked
    state_dir = StateDir(project / ".mcpstate").create()
    journal = open_journal(state_dir, who())
    journal.append("0123456789ab", "apply", "app", "started")
    swap_entries(project, state_dir, "0123456789ab", "app", {TARGET: {"command": "/bin/new"}})
    journal.append("0123456789ab", "apply", "app", "swapped")  # ...and then the process died
    assert b"/bin/new" in shared.read_bytes()
    assert recover(project, state_dir, journal)
    journal.close()
    assert_still_linked(project, shared)
    assert shared.read_bytes() == BEFORE


def test_a_link_to_a_missing_file_stays_a_link_when_rolled_back(linked: tuple[Path, Path]) -> None:
    project, shared = linked
    shared.unlink()
    job, _, _ = run_one(project, Probe(fail_from=2))
    assert job.rolled_back
    assert (project / ".mcp.json").is_symlink() and not shared.exists()
