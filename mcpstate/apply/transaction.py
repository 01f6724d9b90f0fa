"""One server's transaction (DESIGN §7); each arrow is a journal line:

    started → staging → staged → verified → testing → tested
            → swapping → swapped → checked → committed
    a failure before swapping: → failed (targets untouched)
    a failure from swapping on: → rolling_back → rolled_back

`prepare` (stage, verify, test) runs on threads; `switch` (swap, check, commit) runs
one server at a time."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mcpstate.errors import McpStateError
from mcpstate.home import DataDir
from mcpstate.stamps import now_iso
from mcpstate.state.journal import Journal
from mcpstate.store.launch import entry_launch, resolved
from mcpstate.model import NOT_TESTED, AppliedServer, Launch, ServerSpec, State, Target, TestSpec
from mcpstate.probe.surface import TOOLS_FILE
from mcpstate.state.file import save_state, server_to_json
from mcpstate.state.layout import StateDir
from mcpstate.apply.swap import discard, read_entry, restore_entries, swap_entries
from mcpstate.targets import render_for
from mcpstate.targets.variables import client_folders
from mcpstate.targets.jsonfile import entry_sha256

if TYPE_CHECKING:
    from mcpstate.probe.report import Report
    from mcpstate.probe.surfacediff import Baseline

# the seams a run is given (the probe and the report writer are imported only when needed)
Probe = Callable[[Launch, TestSpec, "Baseline | None"], "Report"]
ReportWriter = Callable[["Report", Path, str, str], Path]
Say = Callable[[str], None]


class StepFailed(McpStateError):
    """A transaction step failed; `step` says which."""

    def __init__(self, step: str, reason: str) -> None:
        super().__init__(reason)
        self.step = step


@dataclass
class Job:
    server: str
    action: str                        # create, update, import, delete
    spec: ServerSpec | None            # None for a delete
    applied: AppliedServer | None      # the committed revision, if any
    op: str = "apply"                  # apply or rollback
    description: str = ""
    tx: str = field(default_factory=lambda: uuid.uuid4().hex[:12])
    store_path: Path | None = None
    integrity: str | None = None
    launch: Launch | None = None
    surface: tuple[Mapping[str, Any], ...] = ()  # what the test listed (tools.json's content)
    tools: str | None = None           # its digest
    warnings: tuple[str, ...] = ()     # the health test's, shown in apply's output
    failure: StepFailed | None = None
    rolled_back: bool = False
    revision: int | None = None


@dataclass
class Env:
    """What every transaction of one run shares."""

    project_dir: Path
    state_dir: StateDir
    home: DataDir                      # the shared store; the run holds its lock, shared
    targets: tuple[Target, ...]
    registries: Mapping[str, str | None]
    journal: Journal
    environ: Mapping[str, str]
    probe: Probe
    write_report: ReportWriter
    allow_protected: frozenset[str] = frozenset()
    say: Say = print
    lockfile_path: Path | None = None  # where the reviewed tools.json files are


def prepare(job: Job, env: Env) -> None:
    """Stage, verify and test; on failure the job records why, targets untouched."""
    _log(env, job, "started", detail={"action": job.action, "description": job.description})
    try:
        _check_protected(job, env)
        if job.spec is not None:
            _stage(job, env)
            _test(job, env)
    except StepFailed as failure:
        job.failure = failure
        _log(env, job, "failed", detail={"step": failure.step, "reason": str(failure)})


def _check_protected(job: Job, env: Env) -> None:
    protected = (job.spec.protected if job.spec else False) or bool(job.applied and job.applied.protected)
    if protected and job.action in ("update", "delete") and job.server not in env.allow_protected:
        verb = "delete" if job.action == "delete" else "change"
        raise StepFailed("started", f"{job.server} is protected: refusing to {verb} it without "
                                    f"--allow-protected {job.server}")


def _stage(job: Job, env: Env) -> None:
    spec = job.spec
    assert spec is not None
    if spec.source in ("npm", "pypi"):
        from mcpstate.errors import IntegrityError
        from mcpstate.store.entries import stage

        _log(env, job, "staging")
        env.say(f"[{job.server}] staging {spec.source} {spec.package}@{spec.version}")
        try:
            if spec.lock_files and env.lockfile_path is not None:
                from mcpstate.apply.recheck import recheck

                spec = recheck(spec, env.lockfile_path.parent, env.registries.get("npm"))
            entry = stage(env.home, spec, env.registries.get(spec.source))
        except IntegrityError as e:
            raise StepFailed("verified", str(e)) from None
        except McpStateError as e:
            raise StepFailed("staging", str(e)) from None
        job.store_path, job.integrity = entry.path, entry.integrity
        _log(env, job, "staged", detail={"store_path": str(entry.path), "reused": entry.reused})
    _log(env, job, "verified", detail={"integrity": job.integrity})


def _test(job: Job, env: Env) -> None:
    spec = job.spec
    assert spec is not None
    try:
        job.launch = entry_launch(spec, job.store_path, env.home)
        live = resolved(client_folders(job.launch, env.project_dir), env.environ, job.server)
        for target in _serving(job, env):  # a client that cannot run this server fails it now, untouched
            render_for(target.client, job.launch, env.environ, job.server)
    except McpStateError as e:
        raise StepFailed("testing", str(e)) from None
    _log(env, job, "testing")
    if spec.test.skip:  # DESIGN §8: never probed; swapped in untested, and the journal says so
        _keep_surface(job)
        job.warnings = (NOT_TESTED,)
        env.say(f"[{job.server}] {NOT_TESTED}")
        _log(env, job, "tested", detail={"report": None, "not_tested": True, "warnings": [NOT_TESTED]})
        return
    env.say(f"[{job.server}] testing")
    report = env.probe(live, spec.test, _baseline(job.applied))
    path = env.write_report(report, env.state_dir.reports, job.server, spec.version or spec.source)
    if not report.passed:
        raise StepFailed("testing", "; ".join(report.failures))
    _check_surface(job, env, report)
    job.warnings = report.warnings
    for warning in report.warnings:
        env.say(f"[{job.server}] warning: {warning}")
    _log(env, job, "tested", detail={"report": str(path), "warnings": list(report.warnings)})


def _check_surface(job: Job, env: Env, report: Report) -> None:
    """DESIGN §7 testing: the live surface must be the reviewed one (`tools:`), if any."""
    assert job.spec is not None
    if report.auth_required or report.surface is None:
        _keep_surface(job)  # a server that wants a sign-in shows no surface: keep the known one
        return
    job.surface, job.tools = report.surface, report.surface_digest
    if job.spec.tools is not None and report.surface_digest != job.spec.tools:
        raise StepFailed("testing", f"[{job.server}] the server's tools differ from the reviewed ones "
                                    f"({TOOLS_FILE}): {_differing(job, env, report.surface)}")


def _keep_surface(job: Job) -> None:
    if job.applied is not None:
        job.surface, job.tools = job.applied.surface, job.applied.tools


def _differing(job: Job, env: Env, live: tuple[Mapping[str, Any], ...]) -> str:
    from mcpstate.lockfile.surface import differing_tools, read_surface

    reviewed = read_surface(env.lockfile_path, job.server) if env.lockfile_path else None
    if reviewed is None:
        return f"its digest is {job.tools}, tools: is {job.spec.tools if job.spec else None}"
    return differing_tools(reviewed, live) or "the same tools, in other bytes"


def _baseline(applied: AppliedServer | None) -> Baseline | None:
    """The current revision's surface, to diff the new one against (an older state
    kept only its tools' names, descriptions and input schemas, read into `surface`)."""
    from mcpstate.probe.surfacediff import baseline_of

    return baseline_of(applied.surface, ()) if applied else None


def switch(job: Job, env: Env, state: State) -> State:
    """Swap, check and commit; on failure put the targets back. Returns the new state."""
    desired = _desired(job, env, state)
    try:
        _log(env, job, "swapping", detail={"targets": sorted(t.path for t in desired)})
        written = swap_entries(env.project_dir, env.state_dir, job.tx, job.server, desired)
        _log(env, job, "swapped")
        if job.spec is not None:
            _check(job, env, written)
        _log(env, job, "checked")
        state = _commit(job, env, state, written)
    except StepFailed as failure:
        job.failure = failure
        _roll_back(job, env, failure.step, str(failure))
    except McpStateError as e:  # a target or the state could not be written (ENOSPC, EACCES)
        job.failure = StepFailed("swapping", str(e))
        _roll_back(job, env, "swapping", str(e))
    except BaseException as e:  # a bug or Ctrl-C mid-swap: put the targets back first
        _roll_back(job, env, "interrupted", type(e).__name__)
        raise
    discard(env.state_dir, job.tx)
    return state


def _desired(job: Job, env: Env, state: State) -> dict[Target, dict[str, Any] | None]:
    desired: dict[Target, dict[str, Any] | None] = {}
    if job.spec is not None and job.launch is not None:
        for target in _serving(job, env):
            desired[target] = render_for(target.client, job.launch, env.environ, job.server)
    old_paths = set(job.applied.entries) if job.applied else set()
    for path in old_paths - {t.path for t in desired}:
        desired[Target(state.targets.get(path, "claude-code"), path)] = None
    return desired


def _serving(job: Job, env: Env) -> list[Target]:
    """The targets this server goes to: each one whose `servers:` names it, or has none."""
    return [t for t in env.targets if t.serves(job.server)]


def _check(job: Job, env: Env, written: Mapping[str, str]) -> None:
    """The entry as written is read back, and its server probed again."""
    assert job.spec is not None and job.launch is not None
    for target in _serving(job, env):
        entry = read_entry(env.project_dir, target, job.server)
        if entry is None or entry_sha256(entry) != written.get(target.path):
            raise StepFailed("checked", f"{target.path}: the entry read back differs from the one written")
    if job.spec.test.skip:
        return  # not tested: no probe after the swap either
    live = resolved(client_folders(job.launch, env.project_dir), env.environ, job.server)
    deadline = time.monotonic() + job.spec.test.watch_s
    while True:
        report = env.probe(live, job.spec.test, None)
        if not report.passed:
            raise StepFailed("checked", "live check: " + "; ".join(report.failures))
        if time.monotonic() + job.spec.test.watch_interval_s > deadline:
            return
        time.sleep(job.spec.test.watch_interval_s)  # the watch window is wall time by design


def _commit(job: Job, env: Env, state: State, written: Mapping[str, str]) -> State:
    servers = dict(state.servers)
    targets = {**state.targets, **{t.path: t.client for t in env.targets}}
    if job.spec is None:
        servers.pop(job.server, None)
        revision = job.applied.revision if job.applied else 0
    else:
        revision = (job.applied.revision if job.applied else 0) + 1
        servers[job.server] = _applied(job, revision, written)
    mark = env.journal.mark(committing=job.tx)  # plan then reads the journal from here on
    new = save_state(env.state_dir, state._replace(servers=servers, targets=targets, journal=mark))
    job.revision = revision
    record = server_to_json(servers[job.server]) if job.server in servers else None
    _log(env, job, "committed", detail={"revision": revision, "description": job.description,
                                        "serial": new.serial, "record": _without_previous(record)})
    return new


def _applied(job: Job, revision: int, written: Mapping[str, str]) -> AppliedServer:
    spec = job.spec
    assert spec is not None
    previous = _without_previous(server_to_json(job.applied)) if job.applied else None
    return AppliedServer(
        name=job.server, revision=revision, source=spec.source, package=spec.package,
        version=spec.version, integrity=job.integrity or spec.integrity,
        store_path=str(job.store_path) if job.store_path else None, entries=dict(written),
        config=spec.config(), protected=spec.protected, tools=job.tools,
        applied_at=now_iso(), previous=previous, tx=job.tx, closure=spec.closure, surface=job.surface)


def _without_previous(record: dict[str, Any] | None) -> dict[str, Any] | None:
    return {k: v for k, v in record.items() if k != "previous"} if record else None


def _roll_back(job: Job, env: Env, step: str, reason: str) -> None:
    _log(env, job, "rolling_back", detail={"step": step, "reason": reason})
    restored = restore_entries(env.project_dir, env.state_dir, job.tx, job.server)
    job.rolled_back = True
    _log(env, job, "rolled_back", detail={"step": step, "reason": reason, "restored": restored})


def _log(env: Env, job: Job, event: str, detail: object = None) -> None:
    before = job.applied.version if job.applied else None
    after = job.spec.version if job.spec else None
    env.journal.append(job.tx, job.op, job.server, event, from_=before, to=after, detail=detail)
