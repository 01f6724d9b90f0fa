"""Observed state: state.json, the journal's open transactions, the store entries the
state points at, and every target file (those the lockfile names and those the state
has written before).

An open transaction is one to recover only when its process is gone: those of a
process that holds the state lock now (an apply running) are in progress, and are
reported as such, never as `recover` (DESIGN §6)."""

from __future__ import annotations

from pathlib import Path
from typing import Any, NamedTuple

from mcpstate.state.journal import open_transactions, read_journal_since
from mcpstate.model import Lockfile, Observed, OpenTransaction, Target
from mcpstate.state.file import load_state
from mcpstate.state.layout import StateDir
from mcpstate.store.entries import is_intact
from mcpstate.targets import observe_target


class Observation(NamedTuple):
    observed: Observed
    warnings: list[str]        # met on the way (a torn journal line, say)
    running: str | None        # "an apply is running (pid N, since T): ...", when one is


def observe(project_dir: Path, lockfile: Lockfile, state_dir: StateDir) -> Observation:
    """What is there now."""
    state = load_state(state_dir)
    journal = read_journal_since(state_dir, state.journal)
    targets = list(lockfile.targets)
    named = {t.path for t in targets}
    targets += [Target(client, path) for path, client in state.targets.items() if path not in named]
    files = tuple(observe_target(project_dir, t) for t in targets)
    store = state_dir.store
    intact = frozenset(s.store_path for s in state.servers.values()
                       if s.store_path and is_intact(state_dir.inside(s.store_path, within=store)))
    dead, running = _split_open(state_dir, journal.records)
    observed = Observed(state, files, intact, dead)
    warnings = list(journal.warnings) + [w for f in files for w in f.warnings]
    return Observation(observed, warnings, running)


def _split_open(state_dir: StateDir, records: list[dict[str, Any]]
                ) -> tuple[dict[str, OpenTransaction], str | None]:
    """The open transactions of dead processes; and what runs now, if it owns the rest."""
    found = open_transactions(records)
    if not found:
        return found, None  # the common case reads no lock
    from mcpstate.state.lock import running_holder

    holder = running_holder(state_dir)
    if holder is None:
        return found, None
    since = str(holder.get("created") or "")
    started = {r["tx"]: str(r["ts"]) for r in reversed(records)}  # each tx's first line wins
    live = {s for s, t in found.items() if started.get(t.tx, "") >= since}  # begun under this holder
    if not live:
        return found, None
    operation = str(holder.get("operation") or "apply")
    article = "an" if operation[:1] in "aeiou" else "a"
    message = (f"{article} {operation} is running (pid {holder.get('pid')}, since {since}), changing "
               f"{', '.join(sorted(live))}: this plan is made in its midst; plan again when it has finished")
    return {s: t for s, t in found.items() if s not in live}, message
