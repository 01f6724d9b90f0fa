"""npm servers through pnpm: `resolve` locks a server's closure as `package.json` +
`pnpm-lock.yaml` (the lock folder's files); `install` puts exactly that closure into a
store entry, frozen, from pnpm's content store (hard links) when it has the files.

pnpm checks every tarball of the closure against the integrity in pnpm-lock.yaml; its
failures are translated here into messages that name the package."""

from __future__ import annotations

import json
import os
import re
import subprocess
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import NamedTuple

from mcpstate.errors import InstallError, IntegrityError
from mcpstate.store.tools import pnpm_bin, user_dirs

LOCK_FILES = ("package.json", "pnpm-lock.yaml")
_NOT_FOUND = ("ERR_PNPM_FETCH_404", "ERR_PNPM_NO_MATCHING_VERSION", "ERR_PNPM_NO_VERSIONS")
_TARBALL = re.compile(r'"(https?://[^"\s]+?/(@[^/"]+/[^/"]+|[^/@"][^/"]*)/-/[^/"]+?-(\d[^/"]*)\.tgz)"')


class LockedPackage(NamedTuple):
    name: str
    version: str
    integrity: str


def manifest(package: str, version: str) -> bytes:
    """The lock folder's package.json: one exact dependency, the server's package."""
    doc = {"name": "mcpstate-closure", "version": "0.0.0", "private": True,
           "dependencies": {package: version}}
    return (json.dumps(doc, indent=2) + "\n").encode()


def resolve(package: str, version: str, registry: str | None,
            previous: Mapping[str, bytes] | None = None) -> dict[str, bytes]:
    """The lock folder's files for `package@version`. With `previous` files, pnpm keeps
    every transitive version that still fits (a re-lock); without, it resolves afresh."""
    with tempfile.TemporaryDirectory(prefix="mcpstate-lock-") as tmp:
        work = Path(tmp)
        (work / "package.json").write_bytes(manifest(package, version))
        if previous and "pnpm-lock.yaml" in previous:
            (work / "pnpm-lock.yaml").write_bytes(previous["pnpm-lock.yaml"])
        _pnpm(["install", "--lockfile-only", "--ignore-scripts"], work, registry,
              f"pnpm lock {package}@{version}")
        return {name: (work / name).read_bytes() for name in LOCK_FILES}


def install(dest: Path, files: Mapping[str, bytes], registry: str | None,
            allow_scripts: bool, final: Path) -> None:
    """Install the closure `files` lock into `dest` (moved to `final` later)."""
    for name in LOCK_FILES:
        (dest / name).write_bytes(files[name])
    args = ["install", "--frozen-lockfile", "--prod", "--prefer-offline"]
    if not allow_scripts:
        args.append("--ignore-scripts")
    _pnpm(args, dest, registry, "pnpm install")
    _relocate_bins(dest / "node_modules" / ".bin", dest, final)


def locked_packages(lock: bytes) -> list[LockedPackage]:
    """Every package of a pnpm-lock.yaml with its version and integrity, sorted."""
    import yaml

    doc = yaml.safe_load(lock) or {}
    out = []
    for key, meta in (doc.get("packages") or {}).items():
        name, _, version = str(key).rpartition("@")
        integrity = ((meta or {}).get("resolution") or {}).get("integrity", "")
        out.append(LockedPackage(name, version.split("(")[0], str(integrity)))
    return sorted(out)


def locked_integrity(lock: bytes, package: str, version: str) -> str | None:
    for found in locked_packages(lock):
        if (found.name, found.version) == (package, version):
            return found.integrity
    return None


def _pnpm(args: list[str], cwd: Path, registry: str | None, what: str) -> None:
    from mcpstate.subproc import failure_message, run_captured

    dirs = user_dirs()
    cmd = [str(pnpm_bin()), *args, f"--store-dir={dirs.pnpm_store}",
           f"--config.cache-dir={dirs.home / 'cache' / 'pnpm-metadata'}",
           "--config.update-notifier=false", "--reporter=append-only"]
    if registry:
        cmd.append(f"--registry={registry}")
    env = {**os.environ, "npm_config_yes": "false", "CI": "true"}
    proc = run_captured(cmd, what=what, error=InstallError, cwd=cwd, env=env)
    if proc.returncode != 0:
        raise translate(proc, what)


def translate(proc: subprocess.CompletedProcess[str], what: str) -> InstallError:
    """pnpm's failure as a message a user can act on."""
    from mcpstate.subproc import failure_message

    text = f"{proc.stdout}\n{proc.stderr}"
    if "ERR_PNPM_TARBALL_INTEGRITY" in text or "EINTEGRITY" in text:
        match = _TARBALL.search(text)
        who = f"{match.group(2)} {match.group(3)}" if match else "a package of the closure"
        return IntegrityError(f"{who}: integrity mismatch: the registry served other bytes than "
                              "the lock folder's pnpm-lock.yaml locks; nothing was installed")
    if any(code in text for code in _NOT_FOUND):
        name = re.search(r"([@\w./-]+@[\w.+-]+)['\"]? (?:is not in|isn't in)", text)
        detail = _pnpm_line(text)
        return InstallError(f"{what}: no such package or version on the registry"
                            f"{' (' + name.group(1) + ')' if name else ''}: {detail}")
    return InstallError(failure_message(proc, what))


def _pnpm_line(text: str) -> str:
    """pnpm's own one-line explanation (the line after `ERR_PNPM_...`), if any."""
    for line in text.splitlines():
        if "ERR_PNPM_" in line:
            return line.split("ERR_PNPM_", 1)[1].split(None, 1)[-1].strip() or line.strip()
    return "(no detail)"


def _relocate_bins(folder: Path, staging: Path, final: Path) -> None:
    """pnpm's shims in node_modules/.bin carry the install folder's path (NODE_PATH):
    point them at where the entry will live once renamed."""
    if not folder.is_dir():
        return
    old, new = str(staging).encode(), str(final).encode()
    for shim in folder.iterdir():
        if shim.is_file() and not shim.is_symlink():
            data = shim.read_bytes()
            if old in data:
                shim.write_bytes(data.replace(old, new))
