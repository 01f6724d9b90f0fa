"""Health tests outside apply: `mcpstate test` (stage if needed, test, never swap) and
`mcpstate status` (every managed server probed live, concurrently)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from mcpstate.errors import McpStateError, UsageError
from mcpstate.home import DataDir
from mcpstate.lockfile.rules import is_exact_version
from mcpstate.store.launch import entry_launch, resolved
from mcpstate.model import AppliedServer, Launch, Lockfile, ServerSpec, State, TestSpec
from mcpstate.registry.urls import install_registries
from mcpstate.apply.rollback import spec_from_record
from mcpstate.state.file import server_to_json
from mcpstate.state.layout import StateDir
from mcpstate.state.lock import state_lock
from mcpstate.targets.variables import client_folders

if TYPE_CHECKING:
    from mcpstate.probe.report import Report
    from mcpstate.probe.surfacediff import Baseline


@dataclass(frozen=True)
class Tested:
    server: str
    version: str | None
    report: Report
    report_path: Path | None


def test_server(lockfile: Lockfile, state: State, state_dir: StateDir, name: str,
                version: str | None, lock_timeout: float = 30.0) -> Tested:
    """Stage `name` (at `version` if given) into the store and health-test it, under the
    state lock as an apply stages: an apply's recovery, which clears what dead runs left
    in staging, and gc never run while a test installs or uses its store entry."""
    spec = _spec_to_test(lockfile, name, version)
    if spec.test.skip:  # not even staged: there is nothing to test it with
        from mcpstate.probe.report import skipped_report

        return Tested(name, spec.version, skipped_report(_transport(spec)), None)
    with state_lock(state_dir, "test", lock_timeout):
        return _stage_and_test(spec, lockfile, state, state_dir)


def _spec_to_test(lockfile: Lockfile, name: str, version: str | None) -> ServerSpec:
    spec = lockfile.servers.get(name)
    if spec is None:
        raise UsageError(f"no server named {name!r} in {lockfile.path}")
    if version is not None and not spec.test.skip:
        if spec.source not in ("npm", "pypi"):
            raise UsageError(f"{name}: --version applies to npm and pypi servers only")
        if not is_exact_version(spec.source, version):
            raise UsageError(f"{name}: --version {version!r} is not an exact {spec.source} version "
                             "(as a lockfile pin: one version, no range, no path)")
        if version != spec.version:  # not the locked closure: installed unlocked, as written
            spec = spec._replace(version=version, integrity=None, closure=None, lock_files={}, tools=None)
    return spec


def _stage_and_test(spec: ServerSpec, lockfile: Lockfile, state: State, state_dir: StateDir) -> Tested:
    from mcpstate.probe import write_report

    from mcpstate.store.lock import WAIT_S, store_lock

    home = DataDir.from_environ()
    current = state.servers.get(spec.name)
    from mcpstate.probe.surfacediff import baseline_of

    previous = baseline_of(current.surface, ()) if current else None
    with store_lock(home, shared=True, timeout_s=WAIT_S):  # no store gc while it is used
        store_path = _stage(spec, lockfile, home, state_dir)
        report = _probe(spec, store_path, spec.test, previous, Path(lockfile.path).resolve().parent, home)
    report = _against_reviewed(report, spec, Path(lockfile.path))
    path = write_report(report, state_dir.reports, spec.name, spec.version or spec.source)
    return Tested(spec.name, spec.version, report, path)


def _against_reviewed(report: Report, spec: ServerSpec, lockfile_path: Path) -> Report:
    """DESIGN §12: `test` fails, as apply would, when the live tools are not the reviewed ones."""
    from dataclasses import replace

    from mcpstate.lockfile.surface import Reviewed, read_surface, surface_verdict

    if spec.tools is None:
        return report
    verdict, what = surface_verdict(report, Reviewed(spec.tools, read_surface(lockfile_path, spec.name) or ()))
    if verdict != "drifted":
        return report
    failure = f"the server's tools differ from the reviewed ones (tools.json): {what}"
    return replace(report, passed=False, failures=(*report.failures, failure))


def _stage(spec: ServerSpec, lockfile: Lockfile, home: DataDir, state_dir: StateDir) -> Path | None:
    """The entry, staged with this project recorded as a root of the store."""
    if spec.source not in ("npm", "pypi"):
        return None
    from mcpstate.store.entries import stage
    from mcpstate.store.roots import add_root

    add_root(home, state_dir.root)
    return stage(home, spec, install_registries(lockfile.registries, os.environ).get(spec.source)).path


def _probe(spec: ServerSpec, store_path: Path | None, test: TestSpec,
           previous: Baseline | None, project_dir: Path, home: DataDir) -> Report:
    from mcpstate.apply.jobs import probe_launch

    launch = entry_launch(spec, store_path, home)
    live = resolved(client_folders(launch, project_dir), os.environ, spec.name)
    return probe_launch(live, test, previous)


def status_launches(state: State, lockfile: Lockfile | None, state_dir: StateDir
                    ) -> tuple[dict[str, tuple[Launch, TestSpec]], dict[str, str]]:
    """What each managed server's entries launch (from its committed revision), with the
    thresholds its lockfile entry sets; and why a server cannot be launched at all."""
    from mcpstate.store.entries import recorded_entry

    launches, problems = {}, {}
    project_dir = Path(lockfile.path).resolve().parent if lockfile else state_dir.root.resolve().parent
    home = DataDir.from_environ()
    for name, applied in state.servers.items():
        spec = _spec_of(applied, lockfile)
        # outside the store is corruption, which stops status: never a server's problem
        store = recorded_entry(home, state_dir.store, applied.store_path) if applied.store_path else None
        try:
            launch = client_folders(entry_launch(spec, store, home), project_dir)  # as the client starts it
            launches[name] = (resolved(launch, os.environ, name), spec.test)
        except McpStateError as e:
            problems[name] = str(e)
    return launches, problems


def _spec_of(applied: AppliedServer, lockfile: Lockfile | None) -> ServerSpec:
    current = lockfile.servers.get(applied.name) if lockfile else None
    test = (current.test if current else TestSpec())._replace(on_breaking="warn", watch_s=0.0)
    return spec_from_record(applied.name, server_to_json(applied), test)


def probe_all(launches: Mapping[str, tuple[Launch, TestSpec]], parallelism: int) -> dict[str, Report]:
    """Probe each launch, but those whose lockfile entry says `test: {skip: true}`."""
    from mcpstate.probe import probe_many
    from mcpstate.probe.report import skipped_report

    skipped = {name for name, (_, test) in launches.items() if test.skip}
    reports = probe_many({n: pair for n, pair in launches.items() if n not in skipped}, parallelism)
    for name in skipped:
        reports[name] = skipped_report("http" if launches[name][0].url else "stdio")
    return reports


def _transport(spec: ServerSpec) -> str:
    return "http" if spec.source == "remote" else "stdio"
