"""The tool surfaces of the servers `import` and `add` are about to append (DESIGN §12):
each draft, pinned, is staged and probed as `mcpstate lock` would, its tools.json
written, and `tools:` put in its fields (after its pins) before the lockfile is.

A command builds the `Recorder` (it knows the state dir and where progress goes); the
importer calls it between pinning the drafts and writing the lockfile."""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from mcpstate.importer.adopt import Draft
from mcpstate.lockfile.record import Recorded
from mcpstate.state.layout import StateDir

# (the pinned drafts, the lockfile's `registries:`) -> what became of each surface
Recorder = Callable[[Sequence[Draft], Mapping[str, str]], list[Recorded]]
_AFTER = ("integrity", "version", "url", "command")  # `tools:` goes after the first one present


def recorder(lockfile_path: Path, state_dir: StateDir, say: Callable[[str], None]) -> Recorder:
    def record(drafts: Sequence[Draft], configured: Mapping[str, str]) -> list[Recorded]:
        return record_drafts(drafts, configured, lockfile_path, state_dir, say)

    return record


def record_drafts(drafts: Sequence[Draft], configured: Mapping[str, str], lockfile_path: Path,
                  state_dir: StateDir, say: Callable[[str], None]) -> list[Recorded]:
    """Record each draft's surface; a reviewed one gets tools.json and `tools:`."""
    from mcpstate.lockfile.load import build_server
    from mcpstate.lockfile.record import record_surfaces, write_recorded
    from mcpstate.registry.urls import install_registries

    due = [(build_server(d.name, dict(d.fields), {}), "new") for d in drafts]
    recorded = record_surfaces(due, lockfile_path, state_dir, install_registries(configured, os.environ), say)
    write_recorded(lockfile_path, recorded)  # before the lockfile that names them
    digests = {r.server: r.digest for r in recorded if r.digest}
    for draft in drafts:
        if draft.name in digests:
            draft.fields = with_tools(draft.fields, digests[draft.name])
    return recorded


def with_tools(fields: Mapping[str, Any], digest: str) -> dict[str, Any]:
    """`fields` with `tools:` right after the server's pins, as `lock` would put it."""
    anchor = next((key for key in _AFTER if key in fields), None)
    out: dict[str, Any] = {}
    for key, value in fields.items():
        out[key] = value
        if key == anchor:
            out["tools"] = digest
    return out if anchor else {**out, "tools": digest}
