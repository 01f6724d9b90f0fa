"""The installers mcpstate runs, and where they live in the user's data dir (DESIGN §3).

pnpm is bootstrapped once into `MCPSTATE_HOME/tools/pnpm-<version>/` with the npm
already on the machine, at a version and integrity fixed here: the install is refused
unless npm's package-lock.json records exactly that integrity. uv is a Python
dependency of mcpstate and ships its own binary (`uv.find_uv_bin()`).

Both installers' caches live in `MCPSTATE_HOME/cache/`, on the same file system as the
store, so installs are hard links rather than copies.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Mapping
from pathlib import Path

from mcpstate.errors import InstallError, IntegrityError
from mcpstate.home import DataDir

PNPM_VERSION = "12.4.2"
# `npm view pnpm@12.4.2 dist.integrity`; newer pnpm releases need platform builds
PNPM_INTEGRITY = ("sha512-CK3GYTGAJ1x8ntraOdzwjJxhrU5+rzMKTzRh8QKw+QdCNFTRF/mOctR/7wYWBwZE17/"
                  "8lzpqV/UJCm18NosHyQ==")


def pnpm_dir(dirs: DataDir) -> Path:
    return dirs.tools / f"pnpm-{PNPM_VERSION}"


def pnpm_bin(environ: Mapping[str, str] | None = None) -> Path:
    """The pinned pnpm, bootstrapped on first use (one `npm install`, integrity checked).

    pnpm 12 is a native binary in a platform package (`@pnpm/<os>-<arch>`, an exact
    optional dependency of pnpm); its `pnpm` bin is a placeholder until an install
    script, which mcpstate does not run, replaces it. The binary is run directly."""
    folder = pnpm_dir(DataDir.from_environ(environ))
    if not folder.is_dir():
        _bootstrap_pnpm(folder, environ)
    for binary in sorted(folder.glob("node_modules/@pnpm/*/pnpm")):
        if os.access(binary, os.X_OK):
            return binary
    raise InstallError(f"{folder}: no pnpm binary for this platform in the pnpm {PNPM_VERSION} "
                       f"install; remove the folder to bootstrap it again")


def _bootstrap_pnpm(folder: Path, environ: Mapping[str, str] | None = None) -> None:
    from mcpstate.subproc import run_checked

    folder.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=".pnpm-", dir=folder.parent))
    try:
        (work / "package.json").write_text('{"private": true}\n')
        # the public registry by default: only pnpm itself comes from there
        run_checked(["npm", "install", "--no-audit", "--no-fund", "--ignore-scripts",
                     "--no-update-notifier", "--loglevel=error", "--save-exact",
                     f"pnpm@{PNPM_VERSION}"],
                    what=f"npm install pnpm@{PNPM_VERSION} (bootstrapping mcpstate's installer)",
                    error=InstallError, cwd=work, env=environ)
        verify_bootstrap(work / "package-lock.json")
        try:
            os.rename(work, folder)
        except OSError:
            if not folder.exists():  # otherwise a parallel bootstrap won: use it
                raise
    finally:
        shutil.rmtree(work, ignore_errors=True)


def verify_bootstrap(lock: Path) -> None:
    """npm's package-lock.json must record the integrity pinned here for pnpm."""
    found = _locked_integrity(lock)
    if found != PNPM_INTEGRITY:
        raise IntegrityError(f"pnpm {PNPM_VERSION}: integrity mismatch: mcpstate pins "
                             f"{PNPM_INTEGRITY}, npm installed {found}; nothing was kept")


def _locked_integrity(lock: Path) -> str | None:
    try:
        doc = json.loads(lock.read_text())
        return str(doc["packages"]["node_modules/pnpm"]["integrity"])
    except (OSError, ValueError, KeyError):
        return None


def uv_bin() -> Path:
    try:
        import uv
    except ImportError:
        raise InstallError("uv is not installed with mcpstate (pip install uv)") from None
    return Path(uv.find_uv_bin())
