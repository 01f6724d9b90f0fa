"""`plan --refresh-only`'s one live look (DESIGN §12): a remote server whose tools
changed under the same URL is drift. Each managed remote server with a `tools:` pin is
probed; those whose live surface is not the reviewed one are returned with what
differs. Plain `plan` never calls this: it stays offline."""

from __future__ import annotations

import os
from pathlib import Path

from mcpstate.errors import McpStateError
from mcpstate.model import Launch, Lockfile, State, TestSpec

PARALLELISM = 4


def remote_tools_drift(lockfile: Lockfile, state: State, project_dir: Path) -> tuple[dict[str, str], list[str]]:
    """(server -> `changed: x; ...` for each drifted remote server, warnings for the ones
    that could not be probed)."""
    from mcpstate.lockfile.surface import Reviewed, read_surface, surface_verdict
    from mcpstate.probe import probe_many

    launches, warnings = _launches(lockfile, state, project_dir)
    reports = probe_many(launches, PARALLELISM)
    drift = {}
    for name, report in reports.items():
        spec = lockfile.servers[name]
        reviewed = read_surface(lockfile.path, name)
        verdict, what = surface_verdict(report, Reviewed(spec.tools or "", reviewed or ()))
        if verdict == "drifted" and what:
            drift[name] = what
        elif verdict is None:
            warnings.append(f"{name}: its tools could not be listed: {'; '.join(report.failures)}")
    return drift, warnings


def _launches(lockfile: Lockfile, state: State, project_dir: Path
              ) -> tuple[dict[str, tuple[Launch, TestSpec]], list[str]]:
    from mcpstate.store.launch import entry_launch, resolved
    from mcpstate.targets.variables import client_folders

    launches: dict[str, tuple[Launch, TestSpec]] = {}
    warnings = []
    for name, spec in lockfile.servers.items():
        if spec.source != "remote" or not spec.tools or spec.test.skip or name not in state.servers:
            continue
        try:
            launch = client_folders(entry_launch(spec, None), project_dir)
            launches[name] = (resolved(launch, os.environ, name), spec.test._replace(smoke=(), load=None))
        except McpStateError as e:
            warnings.append(f"{name}: not probed for tool drift: {e}")
    return launches, warnings

