"""The lock folder `mcpstate.lock.d/<server>/` and the lockfile's `closure:` digest.

Each npm or PyPI server's closure is locked in its installer's own format, next to
the lockfile:

    npm:   package.json + pnpm-lock.yaml   (pnpm install --lockfile-only)
    pypi:  requirements.txt                (uv pip compile --universal --generate-hashes)

`closure:` is defined once, here, as

    "sha256-" + hex(sha256(for each closure file, in sorted order of its name:
                            name (UTF-8) + NUL + byte length (decimal ASCII) + NUL + bytes))

over exactly the files above (a `tools.json` beside them has its own `tools:` digest).
Names and lengths are hashed too, so moving bytes from one file to another changes it.

`closure_problems` is the validation rule (offline): a lockfile's `closure:` must equal
the digest of its folder's files, and those files must pin the lockfile's `version:`;
a server without `closure:` (a lockfile written by hand) is valid, and staged as before.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

FOLDER = "mcpstate.lock.d"
CLOSURE_FILES = {"npm": ("package.json", "pnpm-lock.yaml"), "pypi": ("requirements.txt",)}
_SERVER_NAME = re.compile(r"[a-z0-9][a-z0-9._-]{0,63}")
RUN_LOCK = "run `mcpstate lock` to lock it again, and commit the result"

Problem = tuple[tuple[Any, ...], str]


def digest(files: Mapping[str, bytes]) -> str:
    """The `closure:` value of a lock folder's closure files (see the module docstring)."""
    h = hashlib.sha256()
    for name in sorted(files):
        data = files[name]
        h.update(name.encode() + b"\0" + str(len(data)).encode() + b"\0" + data)
    return "sha256-" + h.hexdigest()


def valid_server_name(name: object) -> bool:
    """A name the rules accept (the others are reported there, not here)."""
    return isinstance(name, str) and _SERVER_NAME.fullmatch(name) is not None


def server_folder(lockfile_path: Path | str, server: str) -> Path:
    if not _SERVER_NAME.fullmatch(server):
        raise ValueError(f"{server!r} is not a server name")  # the rules refused it before
    return Path(lockfile_path).parent / FOLDER / server


def read_files(lockfile_path: Path | str, server: str, source: str) -> dict[str, bytes] | None:
    """The server's closure files, or None when any is missing."""
    folder = server_folder(lockfile_path, server)
    try:
        return {name: (folder / name).read_bytes() for name in CLOSURE_FILES[source]}
    except FileNotFoundError:
        return None


def write_files(lockfile_path: Path | str, server: str, files: Mapping[str, bytes]) -> None:
    """Each file atomically; the lockfile that names their digest is written after."""
    from mcpstate.fsutil import atomic_write

    folder = server_folder(lockfile_path, server)
    folder.mkdir(parents=True, exist_ok=True)
    for name, data in sorted(files.items()):
        atomic_write(folder / name, data, mode=0o644)


def pinned_version(source: str, package: str, files: Mapping[str, bytes]) -> str | None:
    """The version of `package` that the lock folder's files pin, if they pin one."""
    try:
        if source == "npm":
            return str(json.loads(files["package.json"])["dependencies"][package])
        from mcpstate.store.uv import _normal, locked_packages

        for name, version, _ in locked_packages(files["requirements.txt"]):
            if _normal(name) == _normal(package):
                return version
    except (KeyError, ValueError, TypeError, UnicodeDecodeError):
        return None
    return None


def closure_problems(data: Mapping[str, Any], lockfile_path: Path | str) -> list[Problem]:
    """Each npm/PyPI server whose `closure:` does not match its lock folder."""
    servers = data.get("servers")
    if not isinstance(servers, Mapping):
        return []
    problems = []
    for name, server in servers.items():
        if not isinstance(name, str) or not _SERVER_NAME.fullmatch(name) or not isinstance(server, Mapping):
            continue
        closure, source = server.get("closure"), server.get("source")
        if isinstance(closure, str) and source in CLOSURE_FILES:
            why = _mismatch(lockfile_path, name, server, closure)
            if why:
                problems.append((("servers", name, "closure"), f"{why}; {RUN_LOCK}"))
    return problems


def _mismatch(lockfile_path: Path | str, name: str, server: Mapping[str, Any], closure: str) -> str | None:
    where = f"{FOLDER}/{name}/"
    files = read_files(lockfile_path, name, server["source"])
    if files is None:
        return f"{where} lacks {' or '.join(CLOSURE_FILES[server['source']])}"
    if digest(files) != closure:
        return f"{where} does not match closure: (its files were changed by hand, or not committed)"
    pinned = pinned_version(server["source"], str(server.get("package")), files)
    if pinned != server.get("version"):
        return (f"{where} locks {server.get('package')} {pinned or '(not at all)'}, but version: is "
                f"{server.get('version')} (a pin moved without `mcpstate lock`)")
    return None
