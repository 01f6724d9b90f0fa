"""Observed state: state.json, the journal's open transactions, the store entries the
state points at, and every target file (those the lockfile names and those the state
has written before)."""

from __future__ import annotations

from pathlib import Path

from mcpstate.state.journal import open_transactions, read_journal_since
from mcpstate.model import Lockfile, Observed, Target
from mcpstate.state.file import load_state
from mcpstate.state.layout import StateDir
from mcpstate.store.entries import is_intact
from mcpstate.targets import observe_target


def observe(project_dir: Path, lockfile: Lockfile, state_dir: StateDir) -> tuple[Observed, list[str]]:
    """What is there now, and warnings met on the way (a torn journal line, say)."""
    state = load_state(state_dir)
    journal = read_journal_since(state_dir, state.journal)
    targets = list(lockfile.targets)
    named = {t.path for t in targets}
    targets += [Target(client, path) for path, client in state.targets.items() if path not in named]
    files = tuple(observe_target(project_dir, t) for t in targets)
    intact = frozenset(s.store_path for s in state.servers.values()
                       if s.store_path and is_intact(state_dir.inside(s.store_path, within=state_dir.store)))
    observed = Observed(state, files, intact, open_transactions(journal.records))
    warnings = list(journal.warnings) + [w for f in files for w in f.warnings]
    return observed, warnings
