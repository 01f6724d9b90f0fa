"""mcpstate force-unlock LOCK_ID: break a lock left by a dead host."""

from __future__ import annotations

import argparse

from mcpstate.context import Context
from mcpstate.render.result import Result


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("lock_id", metavar="LOCK_ID")
    parser.add_argument("--force", action="store_true",
                        help="break it even though its holder is still running on this host")


def run(ctx: Context, args: argparse.Namespace) -> Result:
    from mcpstate.state.lock import force_unlock

    holder = force_unlock(ctx.state_dir_even_without_lockfile(), args.lock_id, force=args.force)
    return Result(0, text=[(f"Lock {args.lock_id} broken (it was held by {holder.get('operation')} "
                            f"of {holder.get('who')}, pid {holder.get('pid')}, "
                            f"since {holder.get('created')}).", None)])
