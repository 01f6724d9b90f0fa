"""mcpstate apply [FILE]: execute the plan, one tested transaction per server."""

from __future__ import annotations

import argparse
import sys

from mcpstate.context import Context


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("plan_file", nargs="?", metavar="FILE", help="a saved plan (mcpstate plan -o)")
    parser.add_argument("--auto-approve", action="store_true", help="do not ask for 'yes'")
    parser.add_argument("--parallelism", type=int, default=4, metavar="N",
                        help="servers staged and tested at once (default 4)")
    parser.add_argument("--target", action="append", default=[], metavar="NAME",
                        help="apply only this server (repeatable)")
    parser.add_argument("--allow-protected", action="append", default=[], metavar="NAME",
                        help="allow changing or deleting this protected server")
    parser.add_argument("--fail-fast", action="store_true", help="stop at the first failed server")
    parser.add_argument("--lock-timeout", default="30s", metavar="DURATION",
                        help="how long to wait for another apply (default 30s)")


def run(ctx: Context, args: argparse.Namespace) -> int:
    from mcpstate.applier import ApplyOptions
    from mcpstate.durations import parse_duration
    from mcpstate.errors import UsageError
    from mcpstate.applyrun import run_apply

    if args.parallelism < 1:
        raise UsageError("--parallelism must be at least 1")
    options = ApplyOptions(args.parallelism, args.fail_fast, frozenset(args.allow_protected))
    confirm = None if (args.plan_file or args.auto_approve) else _confirm
    outcome = run_apply(ctx, options, args.plan_file, args.target, confirm,
                        parse_duration(args.lock_timeout, "--lock-timeout"))
    return outcome


def _confirm(ctx: Context) -> bool:
    from mcpstate.errors import UsageError

    if not sys.stdin.isatty():
        raise UsageError("apply needs approval: no terminal to ask on; pass --auto-approve, "
                         "or apply a reviewed plan file (mcpstate plan -o plan.json; mcpstate apply plan.json)")
    ctx.out.print("\nDo you want to perform these actions?\n  Only 'yes' will be accepted to approve.\n")
    try:
        answer = input("  Enter a value: ")
    except EOFError:
        answer = ""
    return answer.strip() == "yes"
