"""Everything `plan` does, for `plan`, `apply` and `show` to share: load the lockfile,
observe, make the plan, and its JSON document."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, NamedTuple

from mcpstate.lockfile.load import display, load_lockfile
from mcpstate.model import Lockfile, Observed, Plan
from mcpstate.plan.observe import observe
from mcpstate.errors import LockfileError
from mcpstate.plan.planner import make_plan, moved_pins
from mcpstate.plan.document import plan_document
from mcpstate.stamps import now_iso
from mcpstate.state.layout import StateDir

# the state dir, given the lockfile's `state_dir:` (Context.state_dir: --state-dir and the
# environment win over the lockfile)
StateDirFor = Callable[["str | None"], StateDir]


class Project(NamedTuple):
    """Where a command works: the project folder, its lockfile, how to find its state dir."""

    dir: Path
    lockfile_path: Path
    state_dir_for: StateDirFor


class PlanRun(NamedTuple):
    lockfile: Lockfile
    observed: Observed
    plan: Plan
    document: dict[str, Any]
    warnings: tuple[str, ...]
    state_dir: StateDir


def prepare_plan(project: Project, only: Iterable[str] = (), refresh_only: bool = False) -> PlanRun:
    """The plan of `project` now, and what it was made from. Changes nothing."""
    # the state dir as found before the lockfile is read may keep its checked document
    lockfile = load_lockfile(project.lockfile_path, checked_in=project.state_dir_for(None))
    state_dir = project.state_dir_for(lockfile.state_dir)
    observed, warnings, running = observe(project.dir, lockfile, state_dir)
    if refresh_only:  # the one plan that looks at live servers: remote tools may drift
        from mcpstate.plan.livetools import remote_tools_drift

        drift, missed = remote_tools_drift(lockfile, observed.state, project.dir)
        observed, warnings = observed._replace(tools_drift=drift), [*warnings, *missed]
    moved = moved_pins(lockfile, observed.state)
    if moved:
        raise LockfileError(moved)
    only = list(only)
    unknown = [n for n in only if n not in lockfile.servers and n not in observed.state.servers]
    if unknown:
        from mcpstate.errors import UsageError

        raise UsageError(f"--target names no server of the lockfile or state: {', '.join(unknown)}")
    plan = make_plan(lockfile, observed, only, refresh_only)
    if any(c.after and c.after.get("closure") for c in plan.changes):  # reads files: only then
        from mcpstate.plan.closurediff import with_closure_diffs

        plan = with_closure_diffs(plan, lockfile, observed, state_dir)
    plan = _for_review(plan, lockfile, observed, project.dir, state_dir)
    if running is not None:
        plan = plan._replace(warnings=(running, *plan.warnings))
    options = {"target": only, "refresh_only": refresh_only}
    doc = plan_document(plan, lockfile, observed, now_iso(), _relative(project.lockfile_path, project.dir),
                        options)
    return PlanRun(lockfile, observed, plan, doc, tuple(warnings), state_dir)


def _for_review(plan: Plan, lockfile: Lockfile, observed: Observed, project_dir: Path,
                state_dir: StateDir) -> Plan:
    """What reviewers read besides the planner's lines: tool-surface diffs, and the entry
    text an import or a drift repair rewrites. Reads files only for the changed servers:
    a plan with nothing to do reads none."""
    if not plan.changes and not plan.drift:
        return plan
    from mcpstate.plan.entrydiff import needs_entry_diff, with_entry_diffs
    from mcpstate.plan.toolsdiff import with_tools_diffs

    plan = with_tools_diffs(plan, lockfile, observed.state)
    if any(needs_entry_diff(c) for c in (*plan.changes, *plan.drift)):
        plan = with_entry_diffs(plan, lockfile, observed, project_dir, state_dir)
    return plan


def _relative(path: Path, base: Path) -> str:
    try:
        return str(path.resolve().relative_to(base))
    except ValueError:
        return display(path)

