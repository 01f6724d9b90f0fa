"""mcpstate update: move pins to WANTED (LATEST with --latest), refresh their
integrity, re-lock their closures and record their tool surfaces (the lock folder
first), rewriting only those lines of the lockfile."""

from __future__ import annotations

import argparse
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from mcpstate.context import Context
from mcpstate.render.result import Line, Result

if TYPE_CHECKING:
    from mcpstate.lockfile.pins import Move


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("names", nargs="*", metavar="NAME", help="only these servers")
    parser.add_argument("--latest", action="store_true",
                        help="move to LATEST, beyond update.constraint")
    parser.add_argument("--dry-run", action="store_true", help="print the moves, write nothing")
    parser.add_argument("--format", choices=("text", "json"), default="text",
                        help="json: the moves on stdout (schemas/update.schema.json)")


def run(ctx: Context, args: argparse.Namespace) -> Result:
    from mcpstate.errors import RegistryError
    from mcpstate.lockfile import edit, pins
    from mcpstate.lockfile.load import display, load_lockfile
    from mcpstate.registry import fetch_catalogs
    from mcpstate.registry.follow import follow_mcp_registry

    before = ctx.lockfile_path.read_bytes() if ctx.lockfile_path.exists() else None
    lockfile = load_lockfile(ctx.lockfile_path)
    servers = pins.registry_servers(lockfile, args.names)
    catalogs = fetch_catalogs(lockfile.registries, pins.catalog_keys(servers))
    now = datetime.now(timezone.utc)
    statuses = follow_mcp_registry(lockfile.registries, pins.pin_statuses(servers, catalogs, now), now)
    errors = [f"{s.server.name}: {s.error}" for s in statuses if s.error]
    if errors:
        raise RegistryError("\n".join(errors + ["nothing was updated"]))
    moves, stays = pins.plan_moves(statuses, to_latest=args.latest)
    for line in stays + list(dict.fromkeys(s.note for s in statuses if s.note)):
        ctx.out.progress(line)
    if moves:  # rewritten in a dry run too: a pin it cannot rewrite fails the same way
        moved = [lockfile.servers[m.server] for m in moves]
        edit.check_editable((before or b"").decode("utf-8"), moved, version=True)  # before the lock folder
        edits = [edit.Edit(m.server, m.new, m.integrity) for m in moves]
        if not args.dry_run:
            edits = _relock(ctx, lockfile, moves, edits)
        text = edit.rewrite((before or b"").decode("utf-8"), edits)
        if not args.dry_run:
            edit.save(ctx.lockfile_path, before, text)
    where = display(ctx.lockfile_path)
    done = (f"Dry run: {where} was not changed." if args.dry_run else
            f"Updated {len(moves)} pin(s) in {where}; review, then run: mcpstate plan")
    return Result(0, update_json(moves, args.dry_run), _lines(moves, args.latest),
                  notes=[done] if moves else [])


def _relock(ctx: Context, lockfile: Any, moves: list[Move], edits: list[Any]) -> list[Any]:
    """The moved pins' closures, locked, and their surfaces, recorded from the new
    version, written to the lock folder; a server without `closure:` stays so (`mcpstate
    lock` adopts it), one with `test: {skip: true}` gets no `tools:`."""
    import os

    from mcpstate.lockfile.record import record_surfaces, with_tools, write_recorded
    from mcpstate.lockfile.relock import lock_closures, with_closures, write_locked
    from mcpstate.registry.urls import install_registries

    moved = [lockfile.servers[m.server]._replace(version=m.new, integrity=m.integrity) for m in moves]
    registries = install_registries(lockfile.registries, os.environ)
    locked = lock_closures(ctx.lockfile_path, [s for s in moved if s.closure], registries, refresh=False)
    relocked = {d.server: d for d in locked}
    due = [(s._replace(closure=relocked[s.name].closure, lock_files=relocked[s.name].files)
            if s.name in relocked else s, "pin moved") for s in moved if not s.test.skip]
    recorded = record_surfaces(due, ctx.lockfile_path, ctx.state_dir(lockfile.state_dir), registries,
                               ctx.out.progress)
    write_locked(ctx.lockfile_path, locked)
    write_recorded(ctx.lockfile_path, recorded)
    return with_tools(with_closures(edits, locked), recorded)


def update_json(moves: list[Move], dry_run: bool) -> dict[str, Any]:
    """schemas/update.schema.json"""
    return {"format_version": "1", "dry_run": bool(dry_run),
            "moves": [{"server": m.server, "from": m.old, "to": m.new, "integrity": m.integrity}
                      for m in moves]}


def _lines(moves: list[Move], latest: bool) -> list[Line]:
    if not moves:
        return [("Every pin is up to date." if not latest else "Every pin is at its latest version.", None)]
    return [(f"{move.server}: {move.old} -> {move.new}", None) for move in moves]
