"""mcpstate validate: the schema and every rule; lists every problem."""

from __future__ import annotations

import argparse

from mcpstate.context import Context
from mcpstate.render.result import Result


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--format", choices=("text", "json"), default="text")


def run(ctx: Context, args: argparse.Namespace) -> Result:
    """An invalid lockfile is validate's finding, not its failure: with JSON it is the
    document (`valid: false`), and each problem is an `error:` line on stderr."""
    from mcpstate.errors import LockfileError
    from mcpstate.lockfile.load import display, load_lockfile

    name = display(ctx.lockfile_path)
    try:
        lockfile = load_lockfile(ctx.lockfile_path, deep=True)
    except LockfileError as e:
        return Result(1, {"format_version": "1", "path": name, "valid": False, "errors": e.problems},
                      errors=e.problems)
    servers, targets = len(lockfile.servers), len(lockfile.targets)
    return Result(0, {"format_version": "1", "path": name, "valid": True, "errors": [],
                      "servers": servers, "targets": targets},
                  [(f"{name}: valid ({servers} servers, {targets} target{'s' if targets != 1 else ''})", None)])
