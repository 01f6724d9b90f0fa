"""Everything `plan` does, for `plan`, `apply` and `show` to share: load the lockfile,
observe, make the plan, and its JSON document."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any, NamedTuple

from mcpstate.lockfile.load import display, load_lockfile
from mcpstate.model import Lockfile, Observed, Plan
from mcpstate.plan.observe import observe
from mcpstate.plan.planner import make_plan
from mcpstate.plan.document import plan_document


class PlanRun(NamedTuple):
    lockfile: Lockfile
    observed: Observed
    plan: Plan
    document: dict[str, Any]
    warnings: tuple[str, ...]
    state_dir: Path


def prepare_plan(project_dir: Path, lockfile_path: Path, state_dir_for: Any,
                 only: Iterable[str] = (), refresh_only: bool = False) -> PlanRun:
    """`state_dir_for(lockfile_state_dir)` resolves the state dir (Context.state_dir)."""
    lockfile = load_lockfile(lockfile_path)
    state_dir = state_dir_for(lockfile.state_dir)
    observed, warnings = observe(project_dir, lockfile, state_dir)
    only = list(only)
    unknown = [n for n in only if n not in lockfile.servers and n not in observed.state.servers]
    if unknown:
        from mcpstate.errors import UsageError

        raise UsageError(f"--target names no server of the lockfile or state: {', '.join(unknown)}")
    plan = make_plan(lockfile, observed, only, refresh_only)
    options = {"target": only, "refresh_only": refresh_only}
    doc = plan_document(plan, lockfile, observed, now_utc(), _relative(lockfile_path, project_dir),
                        options)
    return PlanRun(lockfile, observed, plan, doc, tuple(warnings), state_dir)


def _relative(path: Path, base: Path) -> str:
    try:
        return str(path.resolve().relative_to(base))
    except ValueError:
        return display(path)


def now_utc() -> str:
    import time

    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
