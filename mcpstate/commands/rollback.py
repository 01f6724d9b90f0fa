"""mcpstate rollback NAME [REVISION]: back to an earlier revision, tested like apply."""

from __future__ import annotations

import argparse

from mcpstate.context import Context


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("name", metavar="NAME")
    parser.add_argument("revision", nargs="?", type=int, metavar="REVISION",
                        help="the revision to go back to (default: the previous one)")
    parser.add_argument("--lock-timeout", default="30s", metavar="DURATION")
    parser.add_argument("--format", choices=("text", "json"), default="text",
                        help="json: apply's document with plan null (schemas/apply.schema.json)")


def run(ctx: Context, args: argparse.Namespace) -> int:
    from mcpstate.apply.jobs import ApplyOptions
    from mcpstate.durations import parse_duration
    from mcpstate.lockfile.load import load_lockfile
    from mcpstate.state.lock import state_lock
    from mcpstate.render.applyresult import apply_json, job_lines
    from mcpstate.apply.rollback import rollback

    lockfile = load_lockfile(ctx.lockfile_path)
    state_dir = ctx.state_dir(lockfile.state_dir)
    with state_lock(state_dir, "rollback", parse_duration(args.lock_timeout, "--lock-timeout")):
        result = rollback(ctx.project_dir, state_dir, lockfile, args.name, args.revision,
                          ApplyOptions(), ctx.out.progress)
    for line in result.recovered:
        ctx.out.progress(line)
    if args.format == "json":
        ctx.out.json(apply_json(None, [result.job]))
    else:
        for text, style in job_lines([result.job]):
            ctx.out.print(text, style)
    if result.job.failure is None and result.lockfile_pins:
        note = (f"the lockfile still pins {args.name} at {result.lockfile_pins}; the next "
                f"'mcpstate apply' would move it back. Pin {result.job.spec.version if result.job.spec else '?'}"
                " in the lockfile to keep this version.")
        if args.format == "json":
            ctx.out.warn(note)  # stdout holds only the JSON document
        else:
            ctx.out.print(f"Note: {note}")
    return 1 if result.job.failure else 0
