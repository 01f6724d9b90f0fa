"""mcpstate show FILE: render a saved plan."""

from __future__ import annotations

import argparse

from mcpstate.context import Context
from mcpstate.render.result import Result


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", metavar="FILE")
    parser.add_argument("--format", choices=("text", "json", "markdown"), default="text")


def run(ctx: Context, args: argparse.Namespace) -> Result:
    from mcpstate.plan.saved import read_saved_plan
    from mcpstate.render.plans import plan_result

    return plan_result(read_saved_plan(ctx.path(args.file)), args.format)
