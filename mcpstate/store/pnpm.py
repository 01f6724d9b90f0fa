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
from mcpstate.home import DataDir
from mcpstate.store.tools import pnpm_bin

LOCK_FILES = ("package.json", "pnpm-lock.yaml")
_NOT_FOUND = ("ERR_PNPM_FETCH_404", "ERR_PNPM_NO_MATCHING_VERSION", "ERR_PNPM_NO_VERSIONS")
_TARBALL = re.compile(r"(https?://\S+?/(@[^/\s]+/[^/\s]+|[^/@\s][^/\s]*)/-/[^/\s]+?-(\d[^/\s]*?)\.tgz)")


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
        # caches of its own: pnpm trusts the metadata it cached for a while, and a lock
        # must see the registry as it is now (a patch published a minute ago)
        _pnpm(["install", "--lockfile-only", "--ignore-scripts"], work, registry,
              f"pnpm lock {package}@{version}", caches=work / ".caches")
        return {name: (work / name).read_bytes() for name in LOCK_FILES}


def install(dest: Path, files: Mapping[str, bytes], registry: str | None,
            allow_scripts: bool, final: Path) -> None:
    """Install the closure `files` lock into `dest` (moved to `final` later)."""
    for name in LOCK_FILES:
        (dest / name).write_bytes(files[name])
    args = ["install", "--frozen-lockfile", "--prod", "--prefer-offline"]
    if not allow_scripts:
        args.append("--ignore-scripts")
    _pnpm(args, dest, registry, "pnpm install", builds=allow_scripts)
    for folder in _bin_folders(dest / "node_modules"):
        _relocate_bins(folder, dest, final)


def locked_packages(lock: bytes) -> list[LockedPackage]:
    """Every package of a pnpm-lock.yaml with its version and integrity, sorted.

    libyaml's loader when PyYAML has it: a real closure's lock (server-everything's,
    27 KB) takes the pure-Python loader 0.15 s, as long as pnpm's whole warm install."""
    import yaml

    doc = yaml.load(lock, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader)) or {}
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


def _pnpm(args: list[str], cwd: Path, registry: str | None, what: str, caches: Path | None = None,
          builds: bool = False) -> None:
    from mcpstate.subproc import run_captured

    _write_settings(cwd, builds)
    dirs = DataDir.from_environ()
    store, metadata = (caches / "content", caches / "metadata") if caches else (
        dirs.pnpm_store, dirs.pnpm_metadata)
    cmd = [str(pnpm_bin()), *args, f"--store-dir={store}", "--reporter=append-only"]
    if registry:
        cmd.append(f"--registry={registry}")
    # pnpm 12 keeps its metadata cache in $XDG_CACHE_HOME/pnpm (no --cache-dir): ours
    env = {**os.environ, "npm_config_yes": "false", "CI": "true", "XDG_CACHE_HOME": str(metadata)}
    proc = run_captured(cmd, what=what, error=InstallError, cwd=cwd, env=env)
    if proc.returncode != 0:
        raise translate(proc, what)


def _write_settings(folder: Path, builds: bool) -> None:
    """pnpm 12 reads its settings from pnpm-workspace.yaml only. A download that fails
    its integrity check is retried, and pnpm waits 10 s, then 1 min: an apply should
    fail in seconds, so retries are short (and as few as npm_config_fetch_retries says).
    pnpm runs no dependency's build script unless allowed: `allow_install_scripts: true`
    allows them all, as npm would run them. No update check: it asks the registry for
    pnpm's own versions on every run."""
    retries = os.environ.get("npm_config_fetch_retries", "2")
    retries = retries if retries.isdigit() else "2"
    text = (f"fetchRetries: {retries}\nfetchRetryMintimeout: 1000\nfetchRetryMaxtimeout: 5000\n"
            "updateNotifier: false\n")
    (folder / "pnpm-workspace.yaml").write_text(text + ("dangerouslyAllowAllBuilds: true\n" if builds else ""))


def translate(proc: subprocess.CompletedProcess[str], what: str) -> InstallError:
    """pnpm's failure as a message a user can act on."""
    from mcpstate.subproc import failure_message

    text = f"{proc.stdout}\n{proc.stderr}"
    if "ERR_PNPM_TARBALL_INTEGRITY" in text or "EINTEGRITY" in text:
        match = _TARBALL.search(text) or _TARBALL.search(re.sub(r"\n\s*", "", text))  # unwrapped
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


def _bin_folders(root: Path) -> list[Path]:
    """Every `.bin` folder pnpm made (the entry's, and each package's own), links not followed."""
    return [Path(top) / ".bin" for top, dirs, _ in os.walk(root) if ".bin" in dirs]


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
