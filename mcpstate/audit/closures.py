"""Which packages each server runs: the closures its lock folder pins.

    mcpstate.lock.d/<server>/pnpm-lock.yaml    npm: pnpm's lockfile (v9), `packages:` keys
    mcpstate.lock.d/<server>/requirements.txt  pypi: `uv pip compile --universal --generate-hashes`

A server without its lock folder file contributes only its own package@version
(`locked` is False: its dependencies are unknown, and the output says so).
Command and remote servers have no packages to audit.

These are readers of the two installers' formats and nothing more: the lock
folder's layout and digest belong to lockfile/; audit only needs names and versions.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path
from typing import NamedTuple

from mcpstate.errors import LockfileError
from mcpstate.model import Lockfile

FOLDER = "mcpstate.lock.d"
LOCK_FILE = {"npm": "pnpm-lock.yaml", "pypi": "requirements.txt"}
ECOSYSTEM = {"npm": "npm", "pypi": "PyPI"}  # OSV's spelling

# `name==version` at the start of a requirement line; an environment marker may follow.
_PINNED = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)(\[[^\]]*\])?\s*==\s*([^\s;\\]+)")


class Package(NamedTuple):
    source: str  # "npm" or "pypi"
    name: str
    version: str


class Closure(NamedTuple):
    server: str
    source: str
    packages: tuple[Package, ...]
    locked: bool  # False: only the server's own package is known
    lock_file: str | None = None  # relative to the lockfile's folder


def parse_pnpm_lock(text: str, where: str = "pnpm-lock.yaml") -> list[Package]:
    """The packages of a pnpm lockfile (v9 `name@version` keys; v6 `/name@version`)."""
    import yaml

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    try:
        doc = yaml.load(text, Loader=loader)  # noqa: S506 - a safe loader
    except yaml.YAMLError as e:
        raise LockfileError([f"{where}: not valid YAML ({_yaml_problem(e)})"]) from None
    packages = doc.get("packages") if isinstance(doc, dict) else None
    if packages is None:
        return []  # a closure with no dependencies at all
    if not isinstance(packages, dict):
        raise LockfileError([f"{where}: 'packages' must be a mapping of name@version keys"])
    return _unique(_pnpm_key(str(key), where) for key in packages)


def _pnpm_key(key: str, where: str) -> Package:
    bare = key.lstrip("/").split("(", 1)[0]  # v6's leading slash; a peer suffix `(zod@4.0.0)`
    name, at, version = bare.rpartition("@")
    if not at or not name or name == "@" or not version:
        raise LockfileError([f"{where}: package key {key!r} is not name@version"])
    return Package("npm", name, version)


def parse_requirements(text: str, where: str = "requirements.txt") -> list[Package]:
    """The pinned packages of a compiled requirements file; hashes, markers, comments and
    options are skipped. A requirement that is not pinned with == is an error: the
    closure must say exactly what runs."""
    found = []
    for number, line in enumerate(_logical_lines(text), start=1):
        if not line or line.startswith(("#", "-")):
            continue
        match = _PINNED.match(line)
        if match is None:
            raise LockfileError([f"{where}: requirement {line.split()[0]!r} is not pinned with =="
                                 f" (requirement {number})"])
        found.append(Package("pypi", _normal(match.group(1)), match.group(3)))
    return _unique(found)


def _logical_lines(text: str) -> list[str]:
    """Lines with backslash continuations joined and `# comments` cut."""
    joined = re.sub(r"\\\r?\n", " ", text)
    return [re.split(r"(?:^|\s)#", line, maxsplit=1)[0].strip() for line in joined.splitlines()]


def _normal(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()  # PEP 503


def _unique(packages: Iterable[Package]) -> list[Package]:
    return list(dict.fromkeys(packages))


def _yaml_problem(error: Exception) -> str:
    mark = getattr(error, "problem_mark", None)
    where = f"line {mark.line + 1}: " if mark is not None else ""
    return f"{where}{getattr(error, 'problem', None) or error}"


def server_closures(lockfile: Lockfile) -> list[Closure]:
    """Every npm and PyPI server's closure, in lockfile order."""
    base = Path(lockfile.path).parent
    closures = []
    for server in lockfile.servers.values():
        if server.source not in LOCK_FILE or not server.package or not server.version:
            continue
        closures.append(_closure(base, server.name, server.source, server.package, server.version))
    return closures


def _closure(base: Path, name: str, source: str, package: str, version: str) -> Closure:
    relative = f"{FOLDER}/{name}/{LOCK_FILE[source]}"
    try:
        text = (base / relative).read_text(encoding="utf-8")
    except FileNotFoundError:
        own = Package(source, _normal(package) if source == "pypi" else package, version)
        return Closure(name, source, (own,), locked=False)
    except (OSError, UnicodeDecodeError) as e:
        raise LockfileError([f"{relative}: cannot read: {getattr(e, 'strerror', None) or e}"]) from None
    parse = parse_pnpm_lock if source == "npm" else parse_requirements
    return Closure(name, source, tuple(parse(text, relative)), locked=True, lock_file=relative)
