"""Recovering from a crash: every transaction the journal shows open is brought back
to the committed revision before anything else happens (DESIGN §7)."""

from __future__ import annotations

import shutil
from pathlib import Path

from mcpstate.state.journal import Journal, open_transactions, read_journal
from mcpstate.state.file import load_state
from mcpstate.state.layout import StateDir
from mcpstate.apply.swap import discard, restore_entries


def recover(project_dir: Path, state_dir: StateDir, journal: Journal) -> list[str]:
    """Close every open transaction; return one line per server recovered.

    Called under the state lock, so staging folders left behind are a dead run's."""
    state_dir.require_marker()
    state = load_state(state_dir)
    lines = []
    for server, open_tx in open_transactions(read_journal(state_dir).records).items():
        committed = state.servers.get(server)
        if committed is not None and committed.tx == open_tx.tx:
            restored: list[str] = []  # state.json was written: the new revision is the committed one
            outcome = f"already committed as revision {committed.revision}"
        else:
            restored = restore_entries(project_dir, state_dir, open_tx.tx, server)
            outcome = "targets restored" if restored else "nothing had been swapped"
        discard(state_dir, open_tx.tx)
        journal.append(open_tx.tx, "recover", server, "recovered",
                       detail={"interrupted_at": open_tx.last_event, "restored": restored})
        lines.append(f"[{server}] recovered an interrupted {open_tx.op} "
                     f"(stopped after '{open_tx.last_event}'): {outcome}")
    shutil.rmtree(state_dir.staging, ignore_errors=True)
    return lines
