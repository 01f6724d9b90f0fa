"""mcpstate lock: fill in missing integrity hashes and check the present ones
against the registry; write each server's closure lock (mcpstate.lock.d/) and its
`closure:` when missing or stale (`--refresh`: re-resolve every closure within the
same pins); record each server's tool surface (tools.json and `tools:`) when missing,
stale, or its closure moved (`--refresh`: probe every server again). A mismatch or a
failed probe writes nothing; the lock folder is written before the lockfile."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any

from mcpstate.context import Context
from mcpstate.render.result import Line, Result

if TYPE_CHECKING:
    from mcpstate.lockfile.edit import Edit
    from mcpstate.lockfile.record import Recorded
    from mcpstate.lockfile.relock import Locked
    from mcpstate.model import Lockfile, ServerSpec


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("names", nargs="*", metavar="NAME", help="only these servers")
    parser.add_argument("--refresh", action="store_true",
                        help="re-resolve the closures within the same pins (transitive updates) "
                             "and record every tool surface again")
    parser.add_argument("--format", choices=("text", "json"), default="text",
                        help="json: what was filled in and checked (schemas/lock.schema.json)")


def run(ctx: Context, args: argparse.Namespace) -> Result:
    from mcpstate.errors import LockfileError
    from mcpstate.lockfile import edit, pins
    from mcpstate.lockfile.load import display, load_lockfile
    from mcpstate.lockfile.record import with_tools, write_recorded
    from mcpstate.lockfile.relock import with_closures, write_locked
    from mcpstate.registry import fetch_catalogs

    before = ctx.lockfile_path.read_bytes() if ctx.lockfile_path.exists() else None
    lockfile = load_lockfile(ctx.lockfile_path, closures=False)  # lock mends the lock folder
    chosen = _chosen(lockfile, args.names)
    edit.check_editable((before or b"").decode("utf-8"), chosen)  # refused now, nothing is written
    servers = [s for s in chosen if s.source in pins.REGISTRY_SOURCES]
    catalogs = fetch_catalogs(lockfile.registries, pins.catalog_keys(servers))
    for warning in pins.yanked_warnings(servers, catalogs):
        ctx.out.warn(warning)  # printed now: the LockfileError below must not hide them
    edits, problems = pins.integrity_edits(servers, catalogs)
    where = display(ctx.lockfile_path)
    if problems:
        raise LockfileError(problems + [f"nothing was written to {where}"])
    locked = _lock_closures(ctx, lockfile, servers, edits, args.refresh)
    recorded = _record_surfaces(ctx, lockfile, chosen, edits, locked, args.refresh)
    write_locked(ctx.lockfile_path, locked)  # the lock folder first, the lockfile last
    write_recorded(ctx.lockfile_path, recorded)
    edits = with_tools(with_closures(edits, locked), recorded)
    if edits:
        edit.save(ctx.lockfile_path, before, edit.rewrite((before or b"").decode("utf-8"), edits))
    return Result(0, lock_json(servers, edits, locked, recorded), _lines(servers, edits, locked, recorded, where))


def _chosen(lockfile: Lockfile, names: list[str]) -> list[ServerSpec]:
    """Every server, or the named ones, in lockfile order."""
    from mcpstate.errors import UsageError

    unknown = [n for n in names if n not in lockfile.servers]
    if unknown:
        raise UsageError(f"no server named {', '.join(map(repr, unknown))} in {lockfile.path}")
    return [s for s in lockfile.servers.values() if not names or s.name in names]


def _lock_closures(ctx: Context, lockfile: Lockfile, servers: list[ServerSpec], edits: list[Edit],
                   refresh: bool) -> list[Locked]:
    """Resolve the lock folder files (written once every surface is recorded too)."""
    import os

    from mcpstate.lockfile.relock import lock_closures
    from mcpstate.registry.urls import install_registries

    filled = {e.server: e.integrity for e in edits}
    specs = [s._replace(integrity=filled.get(s.name) or s.integrity) for s in servers]
    registries = install_registries(lockfile.registries, os.environ)
    return lock_closures(ctx.lockfile_path, specs, registries, refresh)


def _record_surfaces(ctx: Context, lockfile: Lockfile, chosen: list[ServerSpec], edits: list[Edit],
                     locked: list[Locked], refresh: bool) -> list[Recorded]:
    """Probe each server whose surface is missing or stale, as it is now locked; the
    servers that cannot be probed are returned as unreviewed."""
    import os

    from mcpstate.lockfile.record import record_surfaces, stale_reason, unreviewed
    from mcpstate.registry.urls import install_registries

    filled = {e.server: e.integrity for e in edits if e.integrity}
    relocked = {d.server: d for d in locked}
    due, skipped = [], []
    for spec in chosen:
        if spec.test.skip:
            skipped.append(unreviewed(spec))
            continue
        done = relocked.get(spec.name)
        spec = spec._replace(integrity=filled.get(spec.name) or spec.integrity)
        if done is not None:
            spec = spec._replace(closure=done.closure, lock_files=done.files)
        why = stale_reason(spec, ctx.lockfile_path, done is not None, refresh)
        if why is not None:
            due.append((spec, why))
    registries = install_registries(lockfile.registries, os.environ)
    state_dir = ctx.state_dir(lockfile.state_dir)
    return record_surfaces(due, ctx.lockfile_path, state_dir, registries, ctx.out.progress) + skipped


def _lines(servers: list[ServerSpec], edits: list[Edit], locked: list[Locked], recorded: list[Recorded],
           where: str) -> list[Line]:
    filled = [e for e in edits if e.integrity]
    lines: list[Line] = [(f"{e.server}: integrity filled in ({e.integrity})", None) for e in filled]
    lines += [(f"{d.server}: closure locked ({d.why}): {d.closure}", None) for d in locked]
    lines += [surface_line(r) for r in recorded]
    reviewed = sum(1 for r in recorded if r.reviewed)
    lines.append((f"Checked {len(servers) - len(filled)}, filled in {len(filled)} integrity hash(es)"
                  f" in {where}; locked {len(locked)} closure(s); recorded {reviewed} tool surface(s).", None))
    return lines


def surface_line(recorded: Recorded) -> Line:
    """What became of one server's surface, for people."""
    if recorded.reviewed:
        return f"{recorded.server}: tools recorded ({recorded.why}): {recorded.digest}", None
    return f"{recorded.server}: surface unreviewed: {recorded.why}; it gets no tools: pin", "yellow"


def lock_json(servers: list[ServerSpec], edits: list[Edit], locked: list[Locked],
              recorded: list[Recorded]) -> dict[str, Any]:
    """`checked`: the pins whose integrity the registry confirmed; `filled`: the ones
    that had none and have the registry's now; `closures`: the lock folders written;
    `tools`: the surfaces recorded; `unreviewed`: the servers whose tools nobody can pin."""
    filled = {e.server: e.integrity for e in edits if e.integrity}
    return {"format_version": "1",
            "filled": [{"server": s.name, "version": s.version, "integrity": filled[s.name]}
                       for s in servers if s.name in filled],
            "checked": [{"server": s.name, "version": s.version, "integrity": s.integrity}
                        for s in servers if s.name not in filled],
            "closures": [{"server": d.server, "closure": d.closure, "why": d.why} for d in locked],
            "tools": [{"server": r.server, "tools": r.digest, "why": r.why} for r in recorded if r.reviewed],
            "unreviewed": [{"server": r.server, "reason": r.why} for r in recorded if not r.reviewed]}
