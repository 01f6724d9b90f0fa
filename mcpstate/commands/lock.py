"""mcpstate lock: fill in missing integrity hashes and check the present ones
against the registry. A mismatch writes nothing."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any

from mcpstate.context import Context
from mcpstate.render.result import Line, Result

if TYPE_CHECKING:
    from mcpstate.lockfile.edit import Edit
    from mcpstate.model import ServerSpec


def configure(parser: argparse.ArgumentParser) -> None:
    # lock looks at every npm and PyPI server: there is nothing to choose but the output
    parser.add_argument("--format", choices=("text", "json"), default="text",
                        help="json: what was filled in and checked (schemas/lock.schema.json)")


def run(ctx: Context, args: argparse.Namespace) -> Result:
    from mcpstate.errors import LockfileError
    from mcpstate.lockfile import edit, pins
    from mcpstate.lockfile.load import display, load_lockfile
    from mcpstate.registry import fetch_catalogs

    before = ctx.lockfile_path.read_bytes() if ctx.lockfile_path.exists() else None
    lockfile = load_lockfile(ctx.lockfile_path)
    servers = pins.registry_servers(lockfile, [])
    catalogs = fetch_catalogs(lockfile.registries, pins.catalog_keys(servers))
    for warning in pins.yanked_warnings(servers, catalogs):
        ctx.out.warn(warning)  # printed now: the LockfileError below must not hide them
    edits, problems = pins.integrity_edits(servers, catalogs)
    where = display(ctx.lockfile_path)
    if problems:
        raise LockfileError(problems + [f"nothing was written to {where}"])
    if edits:
        edit.save(ctx.lockfile_path, before, edit.rewrite((before or b"").decode("utf-8"), edits))
    lines: list[Line] = [(f"{e.server}: integrity filled in ({e.integrity})", None) for e in edits]
    lines.append((f"Checked {len(servers) - len(edits)}, filled in {len(edits)}"
                  f" integrity hash(es) in {where}.", None))
    return Result(0, lock_json(servers, edits), lines)


def lock_json(servers: list[ServerSpec], edits: list[Edit]) -> dict[str, Any]:
    """`checked`: the pins whose integrity the registry confirmed; `filled`: the ones
    that had none and have the registry's now."""
    filled = {e.server: e.integrity for e in edits}
    return {"format_version": "1",
            "filled": [{"server": s.name, "version": s.version, "integrity": filled[s.name]}
                       for s in servers if s.name in filled],
            "checked": [{"server": s.name, "version": s.version, "integrity": s.integrity}
                        for s in servers if s.name not in filled]}
