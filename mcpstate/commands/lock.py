"""mcpstate lock: fill in missing integrity hashes and check the present ones
against the registry; write each server's closure lock (mcpstate.lock.d/) and its
`closure:` when missing or stale (`--refresh`: re-resolve every closure within the
same pins). A mismatch writes nothing; the lock folder is written before the lockfile."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any

from mcpstate.context import Context
from mcpstate.render.result import Line, Result

if TYPE_CHECKING:
    from mcpstate.lockfile.edit import Edit
    from mcpstate.model import ServerSpec


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("names", nargs="*", metavar="NAME", help="only these servers")
    parser.add_argument("--refresh", action="store_true",
                        help="re-resolve the closures within the same pins (transitive updates)")
    parser.add_argument("--format", choices=("text", "json"), default="text",
                        help="json: what was filled in and checked (schemas/lock.schema.json)")


def run(ctx: Context, args: argparse.Namespace) -> Result:
    from mcpstate.errors import LockfileError
    from mcpstate.lockfile import edit, pins
    from mcpstate.lockfile.load import display, load_lockfile
    from mcpstate.lockfile.relock import with_closures
    from mcpstate.registry import fetch_catalogs

    before = ctx.lockfile_path.read_bytes() if ctx.lockfile_path.exists() else None
    lockfile = load_lockfile(ctx.lockfile_path, closures=False)  # lock mends the lock folder
    servers = pins.registry_servers(lockfile, args.names)
    catalogs = fetch_catalogs(lockfile.registries, pins.catalog_keys(servers))
    for warning in pins.yanked_warnings(servers, catalogs):
        ctx.out.warn(warning)  # printed now: the LockfileError below must not hide them
    edits, problems = pins.integrity_edits(servers, catalogs)
    where = display(ctx.lockfile_path)
    if problems:
        raise LockfileError(problems + [f"nothing was written to {where}"])
    locked = _lock_closures(ctx, lockfile, servers, edits, args.refresh)
    edits = with_closures(edits, locked)
    if edits:
        edit.save(ctx.lockfile_path, before, edit.rewrite((before or b"").decode("utf-8"), edits))
    filled = [e for e in edits if e.integrity]
    lines: list[Line] = [(f"{e.server}: integrity filled in ({e.integrity})", None) for e in filled]
    lines += [(f"{d.server}: closure locked ({d.why}): {d.closure}", None) for d in locked]
    lines.append((f"Checked {len(servers) - len(filled)}, filled in {len(filled)} integrity hash(es)"
                  f" in {where}; locked {len(locked)} closure(s).", None))
    return Result(0, lock_json(servers, edits, locked), lines)


def _lock_closures(ctx: Context, lockfile: Any, servers: list[ServerSpec], edits: list[Edit],
                   refresh: bool) -> list[Any]:
    """Resolve and write the lock folder files (before the lockfile names their digest)."""
    import os

    from mcpstate.lockfile.relock import lock_closures, write_locked
    from mcpstate.registry.urls import install_registries

    filled = {e.server: e.integrity for e in edits}
    specs = [s._replace(integrity=filled.get(s.name) or s.integrity) for s in servers]
    registries = install_registries(lockfile.registries, os.environ)
    locked = lock_closures(ctx.lockfile_path, specs, registries, refresh)
    write_locked(ctx.lockfile_path, locked)
    return locked


def lock_json(servers: list[ServerSpec], edits: list[Edit], locked: list[Any]) -> dict[str, Any]:
    """`checked`: the pins whose integrity the registry confirmed; `filled`: the ones
    that had none and have the registry's now; `closures`: the lock folders written."""
    filled = {e.server: e.integrity for e in edits if e.integrity}
    return {"format_version": "1",
            "filled": [{"server": s.name, "version": s.version, "integrity": filled[s.name]}
                       for s in servers if s.name in filled],
            "checked": [{"server": s.name, "version": s.version, "integrity": s.integrity}
                        for s in servers if s.name not in filled],
            "closures": [{"server": d.server, "closure": d.closure, "why": d.why} for d in locked]}
