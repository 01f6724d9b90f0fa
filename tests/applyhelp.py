"""Helpers for apply tests: lockfiles over the fixture world, the §7 invariant,
probing what a target entry launches."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from mcpstate.state.journal import open_transactions, read_journal
from mcpstate.model import TestSpec
from mcpstate.targets.jsonfile import entry_sha256
from mcpstate.state.layout import StateDir
from testing.catalogue import NPM_SERVER, NPM_VERSIONS, PYPI_SERVER, PYPI_VERSIONS


def lockfile(npm: str | None = "healthy", pypi: str | None = None, extra: str = "",
             on_breaking: str = "fail") -> str:
    """A lockfile with `app` (npm) and/or `py` (pypi) at the versions of those behaviours."""
    text = ("version: 1\ndefaults:\n  test: {timeout_s: 5, max_startup_ms: 4000, "
            f"on_breaking: {on_breaking}}}\nservers:\n")
    if npm:
        text += (f"  app:\n    source: npm\n    package: \"{NPM_SERVER}\"\n"
                 f"    version: {NPM_VERSIONS[npm]}\n    args: [--flag]\n")
    if pypi:
        text += (f"  py:\n    source: pypi\n    package: {PYPI_SERVER}\n"
                 f"    version: {PYPI_VERSIONS[pypi]}\n")
    return text + extra


def read_json(path: Path) -> Any:
    return json.loads(path.read_text())


def journal_events(state_dir: Path, server: str | None = None) -> list[str]:
    return [r["event"] for r in read_journal(StateDir(state_dir)).records
            if server is None or r["server"] == server]


SWAP_PHASE = ("swapping", "swapped", "checked", "rolling_back")


def assert_invariant(project: Path) -> None:
    """DESIGN §7: each managed entry equals its committed revision's, or is the one the
    single transaction in its swap phase is swapping in (others may be open while they
    stage and test in parallel: they have touched no target); every target parses."""
    state_dir = project / ".mcpstate"
    state = read_json(state_dir / "state.json") if (state_dir / "state.json").exists() else {"servers": {}}
    open_tx = open_transactions(read_journal(StateDir(state_dir)).records)
    swapping = {name for name, tx in open_tx.items() if tx.last_event in SWAP_PHASE}
    assert len(swapping) <= 1, open_tx
    entries = read_json(project / ".mcp.json").get("mcpServers", {}) if (project / ".mcp.json").exists() else {}
    for name, server in state["servers"].items():
        for path, sha in server["entries"].items():
            found = entries.get(name)
            if found is None or entry_sha256(found) != sha:
                assert name in swapping, f"{name}: entry in {path} is neither committed nor being swapped"


def probe_entry(entry: dict[str, Any], client: str = "claude-code", project: Path | None = None) -> Any:
    """Run what a written client entry launches, as the client would (its own variables)."""
    from mcpstate.probe import probe
    from testing.clients import as_client

    return probe(as_client(client, entry, project or Path.cwd()), TestSpec(timeout_s=10))
