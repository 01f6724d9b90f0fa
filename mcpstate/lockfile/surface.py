"""The reviewed tool surface in the lock folder: `mcpstate.lock.d/<server>/tools.json`
(DESIGN §12), whose digest is the lockfile's `tools:`. The bytes and the digest are
defined in probe/surface.py; this module only finds, reads and writes the file."""

from __future__ import annotations

from pathlib import Path

from mcpstate.errors import LockfileError
from mcpstate.lockfile.closure import server_folder
from mcpstate.probe.surface import (
    TOOLS_FILE,
    Surface,
    SurfaceError,
    parse_surface,
    surface_bytes,
    surface_digest,
)


def surface_path(lockfile_path: Path | str, server: str) -> Path:
    return server_folder(lockfile_path, server) / TOOLS_FILE


def read_surface_bytes(lockfile_path: Path | str, server: str) -> bytes | None:
    """tools.json as committed, or None when the server has none."""
    try:
        return surface_path(lockfile_path, server).read_bytes()
    except FileNotFoundError:
        return None


def read_surface(lockfile_path: Path | str, server: str) -> Surface | None:
    """The reviewed surface, or None when the server has no tools.json; a damaged file
    is a LockfileError that says how to write it again."""
    data = read_surface_bytes(lockfile_path, server)
    if data is None:
        return None
    try:
        return parse_surface(data)
    except SurfaceError as e:
        raise LockfileError([(f"{surface_path(lockfile_path, server)}: {e}; "
                              "run `mcpstate lock` to record it again")]) from None


def write_surface(lockfile_path: Path | str, server: str, surface: Surface) -> str:
    """tools.json, atomically; returns the `tools:` digest for the lockfile (written after)."""
    from mcpstate.fsutil import atomic_write

    data = surface_bytes(surface)
    path = surface_path(lockfile_path, server)
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write(path, data, mode=0o644)
    return surface_digest(data)
