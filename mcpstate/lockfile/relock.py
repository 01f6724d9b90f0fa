"""`mcpstate lock`'s closures: which servers need their lock folder written, and the
files and `closure:` values to write. The caller writes the lock folder first, then
the lockfile (DESIGN §5).

A server is up to date when its `closure:` equals its lock folder's digest and the
folder pins its `version:`. Otherwise it is locked: after a pin moved, from the old
files (pnpm and uv keep every transitive version that still fits); after a hand edit
of the folder, or with `--refresh`, afresh (transitive updates within the same pin)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import NamedTuple

from mcpstate.lockfile.closure import digest, pinned_version, read_files
from mcpstate.lockfile.edit import Edit
from mcpstate.model import ServerSpec


class Locked(NamedTuple):
    server: str
    files: dict[str, bytes]
    closure: str
    why: str  # new, pin moved, folder edited, refresh


def stale_reason(spec: ServerSpec, current: Mapping[str, bytes] | None) -> str | None:
    """Why `spec`'s lock folder must be written, or None when it is up to date."""
    if current is None or spec.closure is None:
        return "new"
    if digest(current) != spec.closure:
        return "folder edited"
    if pinned_version(spec.source, spec.package or "", current) != spec.version:
        return "pin moved"
    return None


def lock_closures(lockfile_path: Path, servers: Sequence[ServerSpec],
                  registries: Mapping[str, str | None], refresh: bool) -> list[Locked]:
    """Resolve what is missing or stale (everything with `refresh`); only servers whose
    files or digest would change are returned."""
    from mcpstate.store.locked import resolve_closure

    out = []
    for spec in servers:
        current = read_files(lockfile_path, spec.name, spec.source)
        why = stale_reason(spec, current)
        if why is None and not refresh:
            continue
        previous = current if why in ("pin moved", "new") else None
        files = resolve_closure(spec, registries.get(spec.source), previous)
        new = digest(files)
        if new != spec.closure or files != current:
            out.append(Locked(spec.name, files, new, why or "refresh"))
    return out


def write_locked(lockfile_path: Path, locked: Sequence[Locked]) -> None:
    """The lock folder files of each locked server (before the lockfile names them)."""
    from mcpstate.lockfile.closure import write_files

    for done in locked:
        write_files(lockfile_path, done.server, done.files)


def with_closures(edits: Sequence[Edit], locked: Sequence[Locked]) -> list[Edit]:
    """One Edit per server: what `edits` had for it, and its new closure."""
    by_server = {e.server: e for e in edits}
    for done in locked:
        old = by_server.get(done.server, Edit(done.server))
        by_server[done.server] = Edit(done.server, old.version, old.integrity, done.closure)
    return list(by_server.values())
