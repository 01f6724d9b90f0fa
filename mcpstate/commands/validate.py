"""mcpstate validate: the schema and every rule; lists every problem."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from mcpstate.context import Context
from mcpstate.render.result import Result

if TYPE_CHECKING:
    from mcpstate.model import Lockfile


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
        _check_pins(ctx, lockfile)
    except LockfileError as e:
        return Result(1, {"format_version": "1", "path": name, "valid": False, "errors": e.problems},
                      errors=e.problems)
    servers, targets = len(lockfile.servers), len(lockfile.targets)
    return Result(0, {"format_version": "1", "path": name, "valid": True, "errors": [],
                      "servers": servers, "targets": targets},
                  [(f"{name}: valid ({servers} servers, {targets} target{'s' if targets != 1 else ''})", None)])


def _check_pins(ctx: Context, lockfile: Lockfile) -> None:
    """What validate can tell offline beyond the lockfile: a pin moved by hand away from
    the applied revision's integrity (the state is this machine's, read if there)."""
    from mcpstate.errors import LockfileError, StateError
    from mcpstate.plan.planner import moved_pins
    from mcpstate.state.file import load_state

    try:
        state = load_state(ctx.state_dir(lockfile.state_dir))
    except StateError:
        return  # a damaged state is plan's and apply's to report; validate judges the lockfile
    moved = moved_pins(lockfile, state)
    if moved:
        raise LockfileError(moved)
