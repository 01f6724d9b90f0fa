"""The state dir of a command that may run without a valid lockfile (history, gc, ...)."""

from __future__ import annotations

from pathlib import Path

from mcpstate.context import Context
from mcpstate.errors import LockfileError


def state_dir_of(ctx: Context) -> Path:
    """The lockfile's `state_dir:` when it can be read, else the default resolution."""
    from mcpstate.lockfile.load import load_lockfile

    try:
        return ctx.state_dir(load_lockfile(ctx.lockfile_path).state_dir)
    except LockfileError:
        return ctx.state_dir()
