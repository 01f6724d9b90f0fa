"""mcpstate plan: what apply would change; changes nothing."""

from __future__ import annotations

import argparse
import json

from mcpstate.context import Context
from mcpstate.render.result import Result

FORMATS = ("text", "json", "markdown")


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("-o", "--out", metavar="FILE", help="save the plan (JSON) for 'apply FILE'")
    parser.add_argument("--format", choices=FORMATS, default="text")
    parser.add_argument("--detailed-exitcode", action="store_true",
                        help="exit 2 when there are changes (or drift), 0 when none")
    parser.add_argument("--refresh-only", action="store_true",
                        help="show only what changed outside mcpstate (drift)")
    parser.add_argument("--target", action="append", default=[], metavar="NAME",
                        help="plan only this server (repeatable)")


def run(ctx: Context, args: argparse.Namespace) -> Result:
    from mcpstate.fsutil import atomic_write
    from mcpstate.plan.prepare import prepare_plan
    from mcpstate.render.plans import plan_result

    result = prepare_plan(ctx.project, args.target, args.refresh_only)
    notes = []
    if args.out:
        out = ctx.path(args.out)
        atomic_write(out, json.dumps(result.document, indent=2).encode() + b"\n")
        notes.append(f"Saved the plan to {args.out}; apply it with: mcpstate apply {args.out}")
    code = 2 if args.detailed_exitcode and result.plan.changes else 0
    return plan_result(result.document, args.format, code, result.warnings, notes)
