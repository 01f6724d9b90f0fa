"""mcpstate show FILE: render a saved plan."""

from __future__ import annotations

import argparse

from mcpstate.context import Context


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", metavar="FILE")
    parser.add_argument("--format", choices=("text", "json", "markdown"), default="text")


def run(ctx: Context, args: argparse.Namespace) -> int:
    from mcpstate.render.plans import print_plan
    from mcpstate.plan.saved import read_saved_plan

    print_plan(ctx.out, read_saved_plan(ctx.path(args.file)), args.format)
    return 0
