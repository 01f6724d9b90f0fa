"""Locking and installing a server's closure: the bridge between the lock folder's
files (lockfile/closure.py) and the installers (pnpm for npm, uv for PyPI)."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from mcpstate.errors import IntegrityError, StoreError
from mcpstate.model import ServerSpec


def resolve_closure(spec: ServerSpec, registry: str | None,
                    previous: Mapping[str, bytes] | None = None) -> dict[str, bytes]:
    """The lock folder's files for `spec`'s pin; with `previous`, unchanged pins are kept."""
    assert spec.package and spec.version
    if spec.source == "npm":
        from mcpstate.store import pnpm

        files = pnpm.resolve(spec.package, spec.version, registry, previous)
    else:
        from mcpstate.store import uv

        files = uv.resolve(spec.package, spec.version, registry, previous)
    check_own_integrity(spec, files)
    return files


def own_integrity(spec: ServerSpec, files: Mapping[str, bytes]) -> list[str]:
    """The hashes the lock folder's files give for the server's own package."""
    assert spec.package and spec.version
    if spec.source == "npm":
        from mcpstate.store import pnpm

        found = pnpm.locked_integrity(files["pnpm-lock.yaml"], spec.package, spec.version)
        return [found] if found else []
    from mcpstate.store import uv

    wanted = uv._normal(spec.package)
    return [h for name, version, hashes in uv.locked_packages(files["requirements.txt"])
            if uv._normal(name) == wanted and version == spec.version for h in hashes]


def check_own_integrity(spec: ServerSpec, files: Mapping[str, bytes]) -> list[str]:
    """The lockfile's `integrity:` must be among the lock folder's hashes of the package;
    returns those hashes."""
    found = own_integrity(spec, files)
    if spec.integrity and spec.integrity not in found:
        raise IntegrityError(f"{spec.package} {spec.version}: integrity mismatch: the lockfile has "
                             f"{spec.integrity}, the closure lock has {', '.join(found) or 'none'}")
    return found


def install_locked(staging: Path, spec: ServerSpec, registry: str | None, final: Path) -> str:
    """Install the closure the lock folder locks into `staging`; return the package's integrity."""
    from mcpstate.lockfile.closure import digest

    from mcpstate.lockfile.closure import pinned_version

    files = spec.lock_files
    if not files:  # a revision's record (rollback) whose store entry is gone
        raise StoreError(f"[{spec.name}] no lock folder files for closure {spec.closure} and no "
                         "intact store entry of it: it cannot be installed again here")
    if digest(files) != spec.closure or pinned_version(spec.source, spec.package or "", files) != spec.version:
        raise StoreError(f"[{spec.name}] the lock folder does not lock {spec.package} {spec.version} "
                         f"with closure {spec.closure}; run `mcpstate lock`")
    found = check_own_integrity(spec, files)
    if spec.source == "npm":
        from mcpstate.store import pnpm

        pnpm.install(staging, files, registry, spec.allow_install_scripts, final)
    else:
        from mcpstate.store import uv

        uv.install(staging, files, registry, spec.package or "", spec.integrity)
    return spec.integrity or (found[0] if found else "")
