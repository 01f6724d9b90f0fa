"""Apply: recover, then run one transaction per changed server — stage and test in
parallel, swap one at a time in lockfile order (DESIGN §7)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from mcpstate.home import DataDir
from mcpstate.store.lock import WAIT_S as STORE_WAIT_S
from mcpstate.model import Change, Launch, Lockfile, Plan, State, TestSpec
from mcpstate.registry.urls import install_registries
from mcpstate.state.file import load_state
from mcpstate.apply.swap import backup_targets
from mcpstate.apply.transaction import Env, Job, Say, StepFailed, prepare, switch
from mcpstate.state.journal import Journal
from mcpstate.state.layout import StateDir

if TYPE_CHECKING:
    from mcpstate.probe.report import Report
    from mcpstate.probe.surfacediff import Baseline

DESCRIPTIONS = {"create": "Install complete", "import": "Adopted the existing entry",
                "delete": "Deleted", "version": "Upgrade complete", "config": "Configuration changed",
                "drift": "Drift repaired", "targets": "Targets changed", "recover": "Recovered and reapplied",
                "tools": "Reviewed tools changed"}


@dataclass(frozen=True)
class ApplyOptions:
    parallelism: int = 4
    fail_fast: bool = False
    allow_protected: frozenset[str] = frozenset()
    store_wait_s: float = STORE_WAIT_S


def make_env(project_dir: Path, state_dir: StateDir, lockfile: Lockfile, journal: Journal,
             options: ApplyOptions, say: Say,
             environ: Mapping[str, str] | None = None) -> Env:
    from mcpstate.probe import write_report

    environ = dict(os.environ if environ is None else environ)
    return Env(project_dir, state_dir, DataDir.from_environ(environ), lockfile.targets,
               install_registries(lockfile.registries, environ),
               journal, environ, probe_launch, write_report, options.allow_protected, say,
               Path(lockfile.path))


def probe_launch(launch: Launch, spec: TestSpec, previous: Baseline | None) -> Report:
    """The probe, imported when a run first needs it (it is not on plan's path)."""
    from mcpstate.probe import probe

    return probe(launch, spec, previous)


def jobs_for(plan: Plan, lockfile: Lockfile, state: State) -> list[Job]:
    """One job per change: lockfile order first, then deletes."""
    order = {name: i for i, name in enumerate(lockfile.servers)}
    changes = sorted(plan.changes, key=lambda c: order.get(c.server, len(order)))
    return [_job(c, lockfile, state) for c in changes]


def _job(change: Change, lockfile: Lockfile, state: State) -> Job:
    spec = lockfile.servers.get(change.server) if change.action != "delete" else None
    reason = change.reason or ""
    text = DESCRIPTIONS.get(change.action if change.action in ("create", "import", "delete") else reason,
                            "Applied")
    if reason == "version" and change.before and change.after:
        text = f"{_direction(change)}: {change.before['version']} -> {change.after['version']}"
    return Job(change.server, change.action, spec, state.servers.get(change.server), description=text)


def _direction(change: Change) -> str:
    """'Upgrade complete' or 'Downgraded', by the source's own version order."""
    from mcpstate.registry.versions import is_newer

    assert change.before and change.after
    ecosystem = "npm" if change.after.get("source") == "npm" else "pypi"
    return "Downgraded" if is_newer(ecosystem, change.before["version"], change.after["version"]) \
        else "Upgrade complete"


def run_jobs(jobs: list[Job], env: Env, options: ApplyOptions) -> State:
    """Prepare every job on a pool, switch them in order; returns the final state.
    Ctrl-C or SIGTERM cancels the probes running on the pool at once (so leaving the
    pool does not wait out their timeouts), and a second one cannot cut the wait short."""
    from mcpstate.probe.interrupt import cancel_on_signal
    from mcpstate.store.lock import store_lock
    from mcpstate.store.roots import add_root

    state = load_state(env.state_dir)
    backup_targets(env.project_dir, env.state_dir, list(env.targets), state.serial)
    with store_lock(env.home, shared=True, timeout_s=options.store_wait_s), cancel_on_signal(), \
            ThreadPoolExecutor(max(1, options.parallelism), thread_name_prefix="mcpstate-apply") as pool:
        add_root(env.home, env.state_dir.root)  # before the first entry it will use is staged
        futures = {j.server: pool.submit(prepare, j, env) for j in jobs}
        try:
            state = _switch_in_order(jobs, futures, env, state, options)
        except BaseException:
            for future in futures.values():
                future.cancel()
            raise
    return state


def _switch_in_order(jobs: list[Job], futures: Mapping[str, Future[None]], env: Env, state: State,
                     options: ApplyOptions) -> State:
    stop = False
    for job in jobs:
        if stop and futures[job.server].cancel():
            job.failure = StepFailed("started", "skipped: an earlier server failed (--fail-fast)")
            continue
        futures[job.server].result()
        if stop and job.failure is None:
            job.failure = StepFailed("tested", "skipped: an earlier server failed (--fail-fast)")
            env.journal.append(job.tx, job.op, job.server, "failed", detail={"reason": str(job.failure)})
        if job.failure is None:
            state = switch(job, env, state)
        stop = stop or (options.fail_fast and job.failure is not None)
    return state
