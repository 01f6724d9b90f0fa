"""PyPI servers through uv: `resolve` locks a server's closure as one universal
`requirements.txt`, every line pinned and hashed (`uv pip compile --universal
--generate-hashes`); `install` makes a relocatable venv and `uv pip sync
--require-hashes` of exactly that file into it.

The package's own `integrity:` narrows its line to that one hash before the sync, so the
file installed is the one the lockfile names; uv checks every other hash."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile
from collections.abc import Mapping
from pathlib import Path

from mcpstate.errors import InstallError, IntegrityError
from mcpstate.home import DataDir
from mcpstate.store.tools import uv_bin

LOCK_FILES = ("requirements.txt",)
VENV = "venv"
_LINE = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==(\S+)")
_HASH = re.compile(r"--hash=(sha256:[0-9a-f]{64})")


def resolve(package: str, version: str, index: str | None,
            previous: Mapping[str, bytes] | None = None) -> dict[str, bytes]:
    """The lock folder's requirements.txt for `package==version`. With `previous`, uv
    keeps the pins that still fit (a re-lock); without, it resolves afresh."""
    with tempfile.TemporaryDirectory(prefix="mcpstate-lock-") as tmp:
        work = Path(tmp)
        (work / "requirements.in").write_text(f"{package}=={version}\n")
        if previous and "requirements.txt" in previous:
            (work / "requirements.txt").write_bytes(previous["requirements.txt"])
        _uv(["pip", "compile", "--universal", "--generate-hashes", "--no-header", "--quiet",
             "requirements.in", "-o", "requirements.txt"], work, index,
            f"uv pip compile {package}=={version}")
        return {"requirements.txt": (work / "requirements.txt").read_bytes()}


def install(dest: Path, files: Mapping[str, bytes], index: str | None, package: str,
            integrity: str | None) -> None:
    """`dest/venv` with exactly the closure of `files`' requirements.txt."""
    text = files["requirements.txt"].decode()
    if integrity:
        text = only_hash(text, package, integrity)
    (dest / "requirements.txt").write_text(text)
    _uv(["venv", "--relocatable", "--quiet", "--python", sys.executable, VENV], dest, None, "uv venv")
    _uv(["pip", "sync", "--require-hashes", "--quiet", "--python", str(dest / VENV / "bin" / "python"),
         "requirements.txt"], dest, index, f"uv pip sync ({package})")


def locked_packages(requirements: bytes) -> list[tuple[str, str, tuple[str, ...]]]:
    """(name, version, hashes) of every pinned line, sorted."""
    out: list[tuple[str, str, list[str]]] = []
    for line in requirements.decode().splitlines():
        match = _LINE.match(line)
        if match:
            out.append((match.group(1).lower(), match.group(2), []))
        if out:
            out[-1][2].extend(_HASH.findall(line))
    return sorted((n, v, tuple(h)) for n, v, h in out)


def only_hash(text: str, package: str, integrity: str) -> str:
    """`text` with `package`'s hashes narrowed to `integrity`; refused when it has none such."""
    wanted = _normal(package)
    for name, version, hashes in locked_packages(text.encode()):
        if _normal(name) == wanted:
            if integrity not in hashes:
                raise IntegrityError(f"{package} {version}: integrity mismatch: the lockfile has "
                                     f"{integrity}, the lock folder's requirements.txt has "
                                     f"{', '.join(hashes) or 'no hash'}; run `mcpstate lock`")
            return _drop_hashes(text, wanted, integrity)
    raise InstallError(f"{package} is not in the lock folder's requirements.txt; run `mcpstate lock`")


def _drop_hashes(text: str, wanted: str, keep: str) -> str:
    lines, inside = [], False
    for line in text.splitlines(keepends=True):
        match = _LINE.match(line)
        if match:
            inside = _normal(match.group(1)) == wanted
        hashed = _HASH.search(line)
        if inside and hashed and not match and hashed.group(1) != keep:
            continue
        lines.append(line)
    return "".join(lines)


def _normal(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _uv(args: list[str], cwd: Path, index: str | None, what: str) -> None:
    from mcpstate.subproc import run_captured

    cmd = [str(uv_bin()), *args]
    if index:
        cmd += ["--index-url", index]
    # the user's uv configuration (a mirror in uv.toml) is kept, as npm's and pip's are
    env = {**os.environ, "UV_CACHE_DIR": str(DataDir.from_environ().uv_cache), "UV_PYTHON_DOWNLOADS": "never"}
    env.pop("VIRTUAL_ENV", None)
    proc = run_captured(cmd, what=what, error=InstallError, cwd=cwd, env=env)
    if proc.returncode != 0:
        raise translate(proc, what)


def translate(proc: subprocess.CompletedProcess[str], what: str) -> InstallError:
    """uv's failure as a message a user can act on."""
    from mcpstate.subproc import failure_message

    text = f"{proc.stdout}\n{proc.stderr}"
    mismatch = re.search(r"Hash mismatch for `([^`]+)`", text)
    if mismatch:
        who = mismatch.group(1).replace("==", " ")
        return IntegrityError(f"{who}: integrity mismatch: the index served other bytes than the "
                              "lock folder's requirements.txt locks; nothing was installed")
    missing = re.search(r"Because (?:there is no version of (\S+)|(\S+) was not found in the "
                        r"package registry)", text)
    if missing:
        who = missing.group(1) or missing.group(2)
        return InstallError(f"{what}: no such package or version on the registry ({who})")
    return InstallError(failure_message(proc, what))
