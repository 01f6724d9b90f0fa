"""mcpstate rollback NAME [REVISION]: back to an earlier revision, tested like apply."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from mcpstate.context import Context
from mcpstate.render.result import Result

if TYPE_CHECKING:
    from mcpstate.apply.rollback import RollbackResult


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("name", metavar="NAME")
    parser.add_argument("revision", nargs="?", type=int, metavar="REVISION",
                        help="the revision to go back to (default: the previous one)")
    parser.add_argument("--lock-timeout", default="30s", metavar="DURATION")
    parser.add_argument("--format", choices=("text", "json"), default="text",
                        help="json: apply's document with plan null (schemas/apply.schema.json)")


def run(ctx: Context, args: argparse.Namespace) -> Result:
    from mcpstate.apply.jobs import ApplyOptions
    from mcpstate.apply.rollback import rollback
    from mcpstate.durations import parse_duration
    from mcpstate.lockfile.load import load_lockfile
    from mcpstate.render.applyresult import apply_json, job_lines
    from mcpstate.state.lock import state_lock

    lockfile = load_lockfile(ctx.lockfile_path)
    state_dir = ctx.state_dir(lockfile.state_dir)
    with state_lock(state_dir, "rollback", parse_duration(args.lock_timeout, "--lock-timeout")):
        result = rollback(ctx.project_dir, state_dir, lockfile, args.name, args.revision,
                          ApplyOptions(), ctx.out.progress)
    for line in result.recovered:
        ctx.out.progress(line)
    job = result.job
    moved_back_by_apply = job.failure is None and result.lockfile_pins
    return Result(1 if job.failure else 0, apply_json(None, [job]), job_lines([job]),
                  messages=[_pin_note(args.name, result)] if moved_back_by_apply else [])


def _pin_note(name: str, result: RollbackResult) -> str:
    """The lockfile still names another version: the next apply would undo the rollback."""
    version = result.job.spec.version if result.job.spec else "?"
    return (f"Note: the lockfile still pins {name} at {result.lockfile_pins}; the next "
            f"'mcpstate apply' would move it back. Pin {version} in the lockfile to keep this version.")
