"""The reviewed tool surface in the lock folder: `mcpstate.lock.d/<server>/tools.json`
(DESIGN §12), whose digest is the lockfile's `tools:`. The bytes and the digest are
defined in probe/surface.py; this module finds, reads, writes and checks the file.

`surface_problems` is the validation rule (offline, DESIGN §4): `tools:` must equal the
digest of the server's tools.json, which must be canonical; one without the other is an
error, since either was written or edited without `mcpstate lock`."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from mcpstate.errors import LockfileError
from mcpstate.lockfile.closure import (
    FOLDER,
    RUN_LOCK,
    Problem,
    server_folder,
    valid_server_name,
)
from mcpstate.probe.surface import (
    TOOLS_FILE,
    Surface,
    SurfaceError,
    parse_surface,
    surface_bytes,
    surface_digest,
)

if TYPE_CHECKING:
    from mcpstate.probe.report import Report


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


def surface_problems(data: Mapping[str, Any], lockfile_path: Path | str) -> list[Problem]:
    """Each server whose `tools:` and tools.json do not go together."""
    servers = data.get("servers")
    if not isinstance(servers, Mapping):
        return []
    problems = []
    for name, server in servers.items():
        if not valid_server_name(name) or not isinstance(server, Mapping):
            continue
        pin = server.get("tools")
        why = surface_mismatch(lockfile_path, name, pin if isinstance(pin, str) else None)
        if why:
            problems.append((("servers", name, "tools") if "tools" in server else ("servers", name),
                             f"{why}; {RUN_LOCK}"))
    return problems


def surface_mismatch(lockfile_path: Path | str, name: str, pin: str | None) -> str | None:
    """Why `pin` (the lockfile's `tools:`, None when absent) and tools.json disagree, or None."""
    where = f"{FOLDER}/{name}/{TOOLS_FILE}"
    data = read_surface_bytes(lockfile_path, name)
    if data is None:
        return f"{where} is missing, but tools: names a reviewed surface" if pin else None
    if pin is None:
        return f"{where} exists, but the server has no tools: line"
    try:
        parse_surface(data)
    except SurfaceError as e:
        return f"{where} is not as mcpstate writes it: {e} (edited by hand?)"
    if surface_digest(data) != pin:
        return f"{where} does not match tools: (the file was changed by hand, or not committed)"
    return None


def differing_tools(reviewed: Surface, live: Surface) -> str:
    """`changed: x; added: y; removed: z`, by tool name (parts with no name left out)."""
    before = {str(t["name"]): t for t in reviewed}
    now = {str(t["name"]): t for t in live}
    parts = {"changed": sorted(n for n in before.keys() & now.keys() if before[n] != now[n]),
             "added": sorted(now.keys() - before.keys()), "removed": sorted(before.keys() - now.keys())}
    return "; ".join(f"{kind}: {', '.join(names)}" for kind, names in parts.items() if names)


class Reviewed(NamedTuple):
    """A server's reviewed surface: the lockfile's `tools:` and tools.json's tools."""

    digest: str
    tools: tuple[Mapping[str, Any], ...]


def surface_verdict(report: Report | None, reviewed: Reviewed | None) -> tuple[str | None, str | None]:
    """(reviewed | drifted | unreviewed | None when the tools could not be listed, what drifted)."""
    if reviewed is None or report is None or report.skipped or report.auth_required:
        return "unreviewed", None
    if report.surface is None or report.surface_digest is None:
        return None, None
    if report.surface_digest == reviewed.digest:
        return "reviewed", None
    return "drifted", differing_tools(reviewed.tools, report.surface) or "the same tools, in other bytes"
