"""Record each server's reviewed tool surface (DESIGN §12): stage the server as it is
locked, health-test it with the lockfile's settings, keep the tools it lists. `lock`,
`update`, `add` and `import` call it; they write tools.json (lockfile/surface.py)
before the lockfile's `tools:`, as they write closures.

A server that cannot show its tools gets no `tools:` and is reported as unreviewed:
`test: {skip: true}` (never probed), a remote server that asks for a sign-in (401
with WWW-Authenticate), and one that cannot be started or fails its health test now
(a variable not set here, a crash): the command still pins the rest, and says why.
A store entry that cannot be staged (a wrong integrity) fails the command as apply
would; nothing is written then."""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import NamedTuple

from mcpstate.errors import McpStateError
from mcpstate.home import DataDir
from mcpstate.lockfile.edit import Edit
from mcpstate.model import ServerSpec
from mcpstate.probe.surface import Surface
from mcpstate.state.layout import StateDir

SKIPPED = "test: {skip: true}: never probed"
SIGN_IN = "the server asks for a sign-in (401 with WWW-Authenticate): its tools cannot be read"


class Recorded(NamedTuple):
    server: str
    surface: Surface | None  # None: unreviewed
    digest: str | None
    why: str  # recorded: new, refresh, closure locked, folder edited; unreviewed: the reason

    @property
    def reviewed(self) -> bool:
        return self.surface is not None


def stale_reason(spec: ServerSpec, lockfile_path: Path, relocked: bool, refresh: bool) -> str | None:
    """Why `spec`'s surface must be recorded (again), or None when `tools:` and tools.json
    agree and nothing that could change the tools moved."""
    from mcpstate.lockfile.surface import read_surface_bytes, surface_mismatch

    if spec.test.skip:
        return None
    if spec.tools is None and read_surface_bytes(lockfile_path, spec.name) is None:
        return "new"
    if surface_mismatch(lockfile_path, spec.name, spec.tools):
        return "folder edited"
    return "refresh" if refresh else "closure locked" if relocked else None


def record_surfaces(specs: Sequence[tuple[ServerSpec, str]], lockfile_path: Path, state_dir: StateDir,
                    registries: Mapping[str, str | None], say: Callable[[str], None]) -> list[Recorded]:
    """Each (spec, why) staged and probed, one after another, under the project's lock
    (as `mcpstate test` stages: no recovery or gc runs meanwhile)."""
    from mcpstate.state.lock import state_lock
    from mcpstate.store.lock import WAIT_S, store_lock
    from mcpstate.store.roots import add_root

    if not specs:
        return []
    home = DataDir.from_environ()
    with state_lock(state_dir, "lock"), store_lock(home, shared=True, timeout_s=WAIT_S):
        add_root(home, state_dir.root)  # the entries it stages are this project's from now on
        return [_record(spec, why, lockfile_path, home, registries, say) for spec, why in specs]


def unreviewed(spec: ServerSpec) -> Recorded:
    return Recorded(spec.name, None, None, SKIPPED)


def _record(spec: ServerSpec, why: str, lockfile_path: Path, home: DataDir,
            registries: Mapping[str, str | None], say: Callable[[str], None]) -> Recorded:
    from mcpstate.probe import probe
    from mcpstate.store.launch import entry_launch, resolved
    from mcpstate.targets.variables import client_folders

    store_path = None
    if spec.source in ("npm", "pypi"):
        from mcpstate.store.entries import stage

        say(f"[{spec.name}] staging {spec.source} {spec.package}@{spec.version} to read its tools")
        store_path = stage(home, spec, registries.get(spec.source)).path
    say(f"[{spec.name}] probing to record its tools")
    launch = client_folders(entry_launch(spec, store_path, home), lockfile_path.resolve().parent)
    try:
        live = resolved(launch, os.environ, spec.name)
    except McpStateError as e:
        return Recorded(spec.name, None, None, f"not probed: {e}")
    report = probe(live, spec.test, None)
    if not report.passed:
        return Recorded(spec.name, None, None, f"the health test failed: {'; '.join(report.failures)}")
    if report.auth_required or report.surface is None:
        return Recorded(spec.name, None, None, SIGN_IN)
    return Recorded(spec.name, report.surface, report.surface_digest, why)


def write_recorded(lockfile_path: Path, recorded: Sequence[Recorded]) -> None:
    """tools.json of each reviewed server (before the lockfile names its digest)."""
    from mcpstate.lockfile.surface import write_surface

    for done in recorded:
        if done.surface is not None:
            write_surface(lockfile_path, done.server, done.surface)


def with_tools(edits: Sequence[Edit], recorded: Sequence[Recorded]) -> list[Edit]:
    """One Edit per server: what `edits` had for it, and its new `tools:`."""
    by_server = {e.server: e for e in edits}
    for done in recorded:
        if done.digest is not None:
            by_server[done.server] = replace(by_server.get(done.server, Edit(done.server)), tools=done.digest)
    return list(by_server.values())
