"""The whole of `mcpstate apply`: lock, journal, recover, plan, approve, run. The
command renders what it returns (text or JSON); it is given the calls to talk to people."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, NamedTuple

from mcpstate.apply.jobs import ApplyOptions, jobs_for, make_env, run_jobs
from mcpstate.apply.recovery import recover
from mcpstate.apply.transaction import Job, Say
from mcpstate.errors import Interrupted
from mcpstate.lockfile.checked import keep as keep_checked
from mcpstate.lockfile.load import load_lockfile
from mcpstate.plan.prepare import PlanRun, Project, prepare_plan
from mcpstate.plan.saved import check_saved_plan, read_saved_plan
from mcpstate.stamps import who
from mcpstate.state.journal import open_journal
from mcpstate.state.lock import state_lock


class ApplyCalls(NamedTuple):
    """How a run talks to people: progress lines, the plan shown before approval, and
    the approval itself (None: approved already, by a plan file or --auto-approve)."""

    progress: Say
    show_plan: Callable[[dict[str, Any]], None]
    confirm: Callable[[], bool] | None


class ApplyRun(NamedTuple):
    """What one apply did: the plan document it ran and one job per change.
    `approved` is False when the user answered anything but 'yes'."""

    plan: dict[str, Any]
    jobs: list[Job]
    approved: bool = True

    @property
    def failed(self) -> bool:
        return any(j.failure for j in self.jobs)


def run_apply(project: Project, options: ApplyOptions, plan_file: Path | None, only: Sequence[str],
              calls: ApplyCalls, lock_timeout: float) -> ApplyRun:
    """Recover, plan (or check the saved plan), ask, then run one transaction per change."""
    saved = read_saved_plan(plan_file) if plan_file else None
    state_dir = project.state_dir_for(load_lockfile(project.lockfile_path).state_dir)
    if not state_dir.marker.is_file():
        # A first apply creates the state dir (marker, lock, journal): a folder it may not
        # take, or bad input (a broken target, a stale plan), must fail before that.
        state_dir.refuse_if_foreign()
        _plan(project, saved, only)
    with state_lock(state_dir, "apply", lock_timeout):
        journal = open_journal(state_dir, who())
        try:
            for line in recover(project.dir, state_dir, journal):
                calls.progress(line)
            result = _plan(project, saved, only)
            if not result.plan.changes:
                return ApplyRun(result.document, [])
            if saved is None:
                calls.show_plan(result.document)
            if calls.confirm is not None and not calls.confirm():
                return ApplyRun(result.document, [], approved=False)
            jobs = jobs_for(result.plan, result.lockfile, result.observed.state)
            env = make_env(project.dir, state_dir, result.lockfile, journal, options, calls.progress)
            try:
                run_jobs(jobs, env, options)
            except KeyboardInterrupt as e:
                raise Interrupted(finished_lines(jobs)) from e
            keep_checked(project.lockfile_path, state_dir, result.lockfile.sha256)  # the next plan's fast path
        finally:
            journal.close()
    return ApplyRun(result.document, jobs)


def finished_lines(jobs: Sequence[Job]) -> list[str]:
    """What an interrupted run had committed: those revisions are live and stay."""
    done = [f"{j.server} (revision {j.revision})" for j in jobs if j.revision is not None and j.failure is None]
    if not done:
        return ["Nothing had been committed when apply was interrupted; the targets are as they were."]
    return [f"Committed before the interrupt: {', '.join(done)}. The next apply recovers the rest."]


def _plan(project: Project, saved: dict[str, Any] | None, only: Sequence[str]) -> PlanRun:
    if saved is None:
        return prepare_plan(project, only)
    options = saved.get("options", {})
    result = prepare_plan(project, options.get("target", []), options.get("refresh_only", False))
    check_saved_plan(saved, result.document)
    return result
