"""mcpstate validate: the schema and every rule; lists every problem."""

from __future__ import annotations

import argparse

from mcpstate.context import Context


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--format", choices=("text", "json"), default="text")


def run(ctx: Context, args: argparse.Namespace) -> int:
    from mcpstate.errors import LockfileError
    from mcpstate.lockfile.load import display, load_lockfile

    name = display(ctx.lockfile_path)
    try:
        lockfile = load_lockfile(ctx.lockfile_path, deep=True)
    except LockfileError as e:
        if args.format != "json":
            raise
        ctx.out.json({"format_version": "1", "path": name, "valid": False, "errors": e.problems})
        return 1
    if args.format == "json":
        ctx.out.json({"format_version": "1", "path": name, "valid": True, "errors": [],
                      "servers": len(lockfile.servers), "targets": len(lockfile.targets)})
    else:
        ctx.out.print(f"{name}: valid ({len(lockfile.servers)} servers, "
                      f"{len(lockfile.targets)} target{'s' if len(lockfile.targets) != 1 else ''})")
    return 0
