"""mcpstate apply [FILE]: execute the plan, one tested transaction per server."""

from __future__ import annotations

import argparse
import sys

from mcpstate.context import Context
from mcpstate.render.result import Result

CANCELLED = "Apply cancelled."


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
    parser.add_argument("--format", choices=("text", "json"), default="text",
                        help="json: the plan and each server's result on stdout (schemas/apply.schema.json)")


def run(ctx: Context, args: argparse.Namespace) -> Result:
    from mcpstate.apply.jobs import ApplyOptions
    from mcpstate.apply.run import ApplyCalls, run_apply
    from mcpstate.durations import parse_duration
    from mcpstate.errors import UsageError
    from mcpstate.render.applyresult import apply_json, job_lines
    from mcpstate.render.plans import print_plan
    from mcpstate.render.result import error_document

    if args.parallelism < 1:
        raise UsageError("--parallelism must be at least 1")
    options = ApplyOptions(args.parallelism, args.fail_fast, frozenset(args.allow_protected))
    people = _for_people(ctx, args.format)
    confirm = None if (args.plan_file or args.auto_approve) else (lambda: _confirm(people))
    calls = ApplyCalls(people.out.progress, lambda doc: print_plan(people.out, doc, "text"), confirm)
    plan_file = ctx.path(args.plan_file) if args.plan_file else None
    outcome = run_apply(ctx.project, options, plan_file, args.target, calls,
                        parse_duration(args.lock_timeout, "--lock-timeout"))
    if not outcome.approved:
        return Result(1, error_document("cancelled", CANCELLED, 1), messages=[CANCELLED])
    document = apply_json(outcome.plan, outcome.jobs)
    if not outcome.jobs:
        return Result(0, document, messages=["No changes. The MCP servers match the lockfile."])
    return Result(1 if outcome.failed else 0, document, job_lines(outcome.jobs))


def _for_people(ctx: Context, fmt: str) -> Context:
    """In JSON mode what is for people before the result (the plan, the prompt) goes
    to stderr, so that stdout holds the one JSON document."""
    if fmt != "json":
        return ctx
    from mcpstate.render.console import Output

    out = ctx.out
    return ctx._replace(out=Output(color=False, quiet=out.quiet, stdout=out.stderr, stderr=out.stderr))


def _confirm(ctx: Context) -> bool:
    from mcpstate.errors import UsageError

    ctx.out.print("\nDo you want to perform these actions?\n  Only 'yes' will be accepted to approve.\n")
    ctx.out.write("  Enter a value: ")  # not input(prompt), which always writes to sys.stdout
    ctx.out.stdout.flush()
    # a terminal or a pipe (`echo yes | mcpstate apply`) may answer; nothing to read is no answer
    answer = sys.stdin.readline() if sys.stdin is not None and not sys.stdin.closed else ""
    if not answer:
        ctx.out.write("\n")
        raise UsageError("apply needs approval and no answer came on stdin; pass --auto-approve, "
                         "or apply a reviewed plan file (mcpstate plan -o plan.json; mcpstate apply plan.json)")
    return answer.strip() == "yes"
