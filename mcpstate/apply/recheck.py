"""The lock folder read and checked again right before staging (DESIGN §4, §7).

The plan checked the lock folder when it loaded the lockfile, but the files may change
between that load and the install: a second look at this moment, whose bytes are then
the very bytes staging installs from (the spec carries them), closes that window."""

from __future__ import annotations

from pathlib import Path

from mcpstate.errors import LockfileError
from mcpstate.lockfile.closure import CLOSURE_FILES, FOLDER
from mcpstate.model import ServerSpec
from mcpstate.registry.urls import DEFAULTS


def recheck(spec: ServerSpec, project: Path, npm_registry: str | None) -> ServerSpec:
    """`spec` with the closure files as found and checked now; LockfileError when the
    folder is refused, or differs from what the plan was made from."""
    from mcpstate.lockfile.lockcheck import Expect, check_server

    expect = Expect(spec.name, spec.source, spec.package, spec.version, spec.integrity,
                    npm_registry or DEFAULTS["npm"], spec.tools)
    files, problems = check_server(project, expect)
    if problems:
        raise LockfileError([f"{p}; nothing was installed" for p in problems])
    closure = {name: data for name, data in files.items() if name in CLOSURE_FILES.get(spec.source, ())}
    if closure != dict(spec.lock_files):
        raise LockfileError([f"{FOLDER}/{spec.name}/ changed after the plan was made; nothing was "
                             "installed: run `mcpstate plan` again and review it"])
    return spec._replace(lock_files=closure)
