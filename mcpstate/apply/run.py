"""The whole of `mcpstate apply`: lock, journal, recover, plan, approve, run. The
command renders what it returns (text or JSON)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, NamedTuple

from mcpstate.apply.jobs import ApplyOptions, jobs_for, make_env, run_jobs
from mcpstate.context import Context
from mcpstate.state.journal import open_journal
from mcpstate.lockfile.load import load_lockfile
from mcpstate.state.lock import state_lock
from mcpstate.plan.prepare import PlanRun, prepare_plan
from mcpstate.apply.recovery import recover
from mcpstate.render.plans import print_plan
from mcpstate.plan.saved import check_not_stale, read_saved_plan
from mcpstate.state.file import who
from mcpstate.apply.transaction import Job


class ApplyRun(NamedTuple):
    """What one apply did: the plan document it ran and one job per change.
    `approved` is False when the user answered anything but 'yes'."""

    plan: dict[str, Any]
    jobs: list[Job]
    approved: bool = True

    @property
    def failed(self) -> bool:
        return any(j.failure for j in self.jobs)


def run_apply(ctx: Context, options: ApplyOptions, plan_file: str | None, only: Sequence[str],
              confirm: Callable[[Context], bool] | None, lock_timeout: float) -> ApplyRun:
    """The text plan (before approval) goes to `ctx.out`; the caller reports the result."""
    saved = read_saved_plan(ctx.path(plan_file)) if plan_file else None
    state_dir = ctx.state_dir(load_lockfile(ctx.lockfile_path).state_dir)
    with state_lock(state_dir, "apply", lock_timeout):
        journal = open_journal(state_dir, who())
        try:
            for line in recover(ctx.project_dir, state_dir, journal):
                ctx.out.progress(line)
            result = _plan(ctx, saved, only)
            if not result.plan.changes:
                return ApplyRun(result.document, [])
            if saved is None:
                print_plan(ctx.out, result.document, "text")
            if confirm is not None and not confirm(ctx):
                return ApplyRun(result.document, [], approved=False)
            jobs = jobs_for(result.plan, result.lockfile, result.observed.state)
            env = make_env(ctx.project_dir, state_dir, result.lockfile, journal, options, ctx.out.progress)
            run_jobs(jobs, env, options)
        finally:
            journal.close()
    return ApplyRun(result.document, jobs)


def _plan(ctx: Context, saved: dict | None, only: Sequence[str]) -> PlanRun:  # type: ignore[type-arg]
    if saved is None:
        return prepare_plan(ctx.project_dir, ctx.lockfile_path, ctx.state_dir, only)
    options = saved.get("options", {})
    result = prepare_plan(ctx.project_dir, ctx.lockfile_path, ctx.state_dir,
                          options.get("target", []), options.get("refresh_only", False))
    check_not_stale(saved, result.document)
    return result
