"""The shared store in the user's data dir (DESIGN §3): immutable installs under
`store/<source>/<name>@<version>-<closure digest, 12 hex>/` for a server locked in the
lock folder (installed with pnpm or uv from exactly those files), or
`store/<source>/<name>@<version>/` for one not locked yet (npm or pip). Every project of
the user shares them: a second project with the same lockfile reuses each entry.

An install is made in `<staging>/<random>/` and moved into the store by one
rename; the intact marker is written last, once every file the installer recorded is
found there, so a half-made entry is never mistaken for a good one, and an intact
entry is reused as it is."""

from __future__ import annotations

import errno
import json
import os
import stat
from pathlib import Path
from typing import NamedTuple

from mcpstate.errors import IntegrityError, StoreError
from mcpstate.fsutil import atomic_write, ensure_private_dir, fsync_dir
from mcpstate.home import DataDir
from mcpstate.model import ServerSpec
from mcpstate.stamps import now_iso

MARKER = ".mcpstate-intact"


class StoreEntry(NamedTuple):
    path: Path
    integrity: str
    reused: bool


def entry_dirname(package: str, version: str, closure: str | None = None) -> str:
    """`@scope/name` is written `@scope+name`, so an entry is one folder; a locked
    closure adds the first 12 hex digits of its digest."""
    base = f"{package.replace('/', '+')}@{version}"
    return f"{base}-{closure.partition('-')[2][:12]}" if closure else base


def entry_path(home: DataDir, source: str, package: str, version: str,
               closure: str | None = None) -> Path:
    """Where `package@version` lives; names that would leave the store are refused."""
    path = home.store / source / entry_dirname(package, version, closure)
    home.confine(path, within=home.store)
    if path.parent.parent != home.store or ".." in path.name.split("@"):
        raise StoreError(f"{package}@{version}: not a name a store entry can have")
    return path


def recorded_entry(home: DataDir, legacy_store: Path, store_path: str) -> Path:
    """A `store_path` read back from state.json, normalised (links not followed): in the
    shared store, or in a project's own store of an older mcpstate (`legacy_store`, the
    state dir's store/, planned as a move into the shared store). Anywhere else it is
    corruption, never a path to read or delete."""
    from mcpstate.fsutil import lexically_inside

    found = (lexically_inside(home.root, store_path, home.store)
             or lexically_inside(home.root, store_path, legacy_store))
    if found is None:
        raise StoreError(f"{store_path!r} points outside the shared store {home.store} and the "
                         f"project's store {legacy_store} (a corrupt or tampered state file, or "
                         "MCPSTATE_HOME or HOME other than at the last apply?); nothing was changed")
    return found


def in_shared_store(home: DataDir, path: Path | str) -> bool:
    from mcpstate.fsutil import lexically_inside

    return lexically_inside(home.root, path, home.store) is not None


def is_intact(path: Path | str) -> bool:
    """Path.is_file() of the marker, without building two Paths: plan asks once per server."""
    try:
        return stat.S_ISREG(os.stat(os.path.join(path, MARKER)).st_mode)
    except OSError as e:
        if e.errno in _MISSING or getattr(e, "winerror", None) in (21, 123, 1921):
            return False
        raise
    except ValueError:  # a path the OS cannot take (a NUL byte), as is_file() answers
        return False


_MISSING = frozenset({errno.ENOENT, errno.ENOTDIR, errno.EBADF, errno.ELOOP})  # what is_file() takes for "no"


def read_marker(path: Path) -> dict[str, str]:
    try:
        return json.loads((path / MARKER).read_text())  # type: ignore[no-any-return]
    except (OSError, ValueError) as e:
        raise StoreError(f"{path}: damaged store entry marker ({e})") from None


def stage(home: DataDir, spec: ServerSpec, registry: str | None) -> StoreEntry:
    """The intact store entry for `spec`, installing it when there is none.

    Verifies the lockfile's integrity when it has one (reused entries too). The caller
    holds the store lock, shared (store/lock.py), so gc cannot take the entry meanwhile."""
    assert spec.package and spec.version
    final = entry_path(home.create(), spec.source, spec.package, spec.version, spec.closure)
    if is_intact(final):
        integrity = read_marker(final)["integrity"]
        verify(spec, integrity)
        return StoreEntry(final, integrity, reused=True)
    import shutil
    import tempfile

    staging = Path(tempfile.mkdtemp(prefix="", dir=ensure_private_dir(home.staging)))
    try:
        integrity = _install(staging, spec, registry, final)
        verify(spec, integrity)
        _check_complete(staging, spec)
        marker = {"package": spec.package, "version": spec.version, "integrity": integrity,
                  "closure": spec.closure, "created": now_iso()}
        atomic_write(staging / MARKER, json.dumps(marker).encode(), mode=0o644)
        _move_into_store(staging, final)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return StoreEntry(final, integrity, reused=False)


def _install(staging: Path, spec: ServerSpec, registry: str | None, final: Path) -> str:
    assert spec.package and spec.version
    if spec.closure is not None:
        from mcpstate.store.locked import install_locked

        return install_locked(staging, spec, registry, final)
    if spec.source == "npm":
        from mcpstate.store import npm

        return npm.install(staging, spec.package, spec.version, registry, spec.allow_install_scripts)
    from mcpstate.store import pypi

    return pypi.install(staging, spec.package, spec.version, registry, spec.integrity, final)


def _check_complete(staging: Path, spec: ServerSpec) -> None:
    """The marker makes an entry intact: it is written only over a whole install."""
    assert spec.package and spec.version
    if spec.source == "npm":
        from mcpstate.store import npm

        missing = npm.missing_files(staging, spec.package)
    else:
        from mcpstate.store import pypi

        missing = pypi.missing_files(staging)
    if missing:
        shown = ", ".join(missing[:3]) + (f" and {len(missing) - 3} more" if len(missing) > 3 else "")
        raise StoreError(f"{spec.package} {spec.version}: the install is incomplete (missing {shown}); "
                         "nothing was added to the store. Run apply again")


def verify(spec: ServerSpec, integrity: str) -> None:
    if spec.integrity and spec.integrity != integrity:
        raise IntegrityError(f"{spec.package} {spec.version}: integrity mismatch: the lockfile has "
                             f"{spec.integrity}, the installed artifact has {integrity}")


def _move_into_store(staging: Path, final: Path) -> None:
    import shutil

    final.parent.mkdir(parents=True, exist_ok=True)
    if final.exists() and not is_intact(final):  # a leftover of a crash: never used, replace it
        shutil.rmtree(final)
    try:
        os.rename(staging, final)
    except OSError as e:
        if not is_intact(final):  # otherwise a parallel apply of the same version won: use it
            raise StoreError(f"cannot move the install into {final}: {e.strerror}") from None
    fsync_dir(final.parent)
