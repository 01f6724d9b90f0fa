"""What a server's lock folder may hold (DESIGN §4): its contents, not only its digest.

`closure:` and `tools:` prove only that nobody changed the files after the digests were
taken, and whoever edits a pull request can retake them. So the files themselves are
checked against what `mcpstate lock` writes, and anything else is refused ("lockfile
injection": a `file:` dependency, a tarball on another host, an `--extra-index-url`):

    npm:    package.json, pnpm-lock.yaml, tools.json
    pypi:   requirements.txt, tools.json
    others: tools.json

`check_folder` is pure (bytes in, problems out); `read_folder` beside it reads a folder
with lstat and O_NOFOLLOW, never following a symlink. Each problem names the file
(relative to the project), the 1-based line and a rule id."""

from __future__ import annotations

import json
import os
import re
import stat
from collections.abc import Mapping
from pathlib import Path
from typing import NamedTuple

from mcpstate.lockfile.closure import FOLDER

MAX_BYTES = 4 << 20
NPMJS = "https://registry.npmjs.org/"
ALLOWED = {"npm": ("package.json", "pnpm-lock.yaml", "tools.json"),
           "pypi": ("requirements.txt", "tools.json")}
OTHERS = ("tools.json",)  # command and remote servers: a reviewed surface only
# What store/pnpm.py `manifest` writes, and nothing more: every other key of a root
# package.json is something pnpm acts on (scripts, pnpm.overrides, patchedDependencies,
# packageManager, which can make pnpm fetch another pnpm, workspaces, resolutions...).
PACKAGE_JSON_KEYS = frozenset({"name", "version", "private", "dependencies"})


class Problem(NamedTuple):
    file: str  # relative to the project: mcpstate.lock.d/<server>/<name>
    line: int  # 1-based
    rule: str
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: rule {self.rule}: {self.message}"


class Expect(NamedTuple):
    """What the lockfile says the folder must lock."""

    server: str
    source: str
    package: str | None = None
    version: str | None = None
    integrity: str | None = None
    registry: str = NPMJS  # npm: the tarballs' registry
    tools: str | None = None


# A folder entry as read: its bytes, or why it is not a regular file ("symlink", "folder", ...).
Entry = bytes | str


def check_folder(expect: Expect, entries: Mapping[str, Entry]) -> list[Problem]:
    """Every problem of a lock folder whose entries (name -> bytes, or what else it is) are given."""
    where = f"{FOLDER}/{expect.server}"
    allowed = ALLOWED.get(expect.source, OTHERS)
    problems = []
    files: dict[str, bytes] = {}
    for name, entry in sorted(entries.items()):
        file = f"{where}/{name}"
        if isinstance(entry, str):
            problems.append(Problem(file, 1, "regular-file", f"is a {entry}: only regular files may be "
                                    "in a lock folder (a symlink is never followed)"))
        elif name not in allowed:
            problems.append(Problem(file, 1, "unknown-file", f"a {expect.source} server's lock folder holds "
                                    f"only {', '.join(allowed)}"))
        elif len(entry) >= MAX_BYTES:
            problems.append(Problem(file, 1, "size", f"{len(entry):,} bytes: each file must be under 4 MiB"))
        else:
            files[name] = entry
    for name, data in files.items():
        problems += [Problem(f"{where}/{name}", line, rule, msg) for line, rule, msg in _check_file(name, data, expect)]
    return problems


Found = list[tuple[int, str, str]]  # (line, rule, message) within one file


def _check_file(name: str, data: bytes, expect: Expect) -> Found:
    from mcpstate.lockfile import pnpmcheck

    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as e:
        return [(data[:e.start].count(b"\n") + 1, "encoding", "not UTF-8 text")]
    if name == "package.json":
        return check_package_json(text, expect)
    if name == "pnpm-lock.yaml":
        return pnpmcheck.check_pnpm_lock(text, expect)
    if name == "requirements.txt":
        return check_requirements(text, expect)
    return check_tools(data, expect)


# -- package.json ---------------------------------------------------------------------------

def check_package_json(text: str, expect: Expect) -> Found:
    def pairs(items: list[tuple[str, object]]) -> dict[str, object]:
        keys = [k for k, _ in items]
        twice = sorted({k for k in keys if keys.count(k) > 1})
        if twice:
            raise ValueError(f"duplicate key {twice[0]!r}")
        return dict(items)

    try:
        doc = json.loads(text, object_pairs_hook=pairs)
    except (ValueError, RecursionError) as e:
        return [(getattr(e, "lineno", 1), "package-json", f"not a JSON object of mcpstate's: {e}")]
    if not isinstance(doc, dict):
        return [(1, "package-json", "not a JSON object")]
    found: Found = [(_json_line(text, key), "package-json", f"the key {key!r} is not allowed: mcpstate writes "
                     f"only {', '.join(sorted(PACKAGE_JSON_KEYS))} (pnpm acts on the others)")
                    for key in doc if key not in PACKAGE_JSON_KEYS]
    wanted = {expect.package: expect.version}
    if doc.get("dependencies") != wanted:
        found.append((_json_line(text, "dependencies"), "package-json",
                      f"dependencies must be exactly {json.dumps(wanted)}, the server's package at its pin"))
    for key, kind in (("name", str), ("version", str), ("private", bool)):
        if key in doc and not isinstance(doc[key], kind):
            found.append((_json_line(text, key), "package-json", f"{key} must be a {kind.__name__}"))
    return found


def _json_line(text: str, key: str) -> int:
    """The line where `"key"` is first written (1 when it is not found)."""
    at = text.find(json.dumps(key))
    return text.count("\n", 0, at) + 1 if at >= 0 else 1


# -- requirements.txt ------------------------------------------------------------------------

_REQUIREMENT = re.compile(
    r"(?P<name>[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?)==(?P<version>[0-9][0-9A-Za-z.!+_-]*)"
    r"(?:[ \t]*;[ \t]*(?P<marker>[A-Za-z0-9_.'\"<>=!~ \t(),*+-]+?))?"
    r"(?P<hashes>(?:[ \t]+--hash=sha256:[0-9a-f]{64})+)[ \t]*")
_HASH = re.compile(r"--hash=(sha256:[0-9a-f]{64})")


def requirement_lines(text: str) -> tuple[list[tuple[int, str]], Found]:
    """The logical lines (start line, text without comments), joined at a final `\\` as
    pip and uv join them; a comment that ends in `\\` or a file that ends inside a
    continuation is refused (readers would disagree on what it continues)."""
    logical: list[tuple[int, str]] = []
    found: Found = []
    start, parts = 0, list[str]()
    for number, line in enumerate(text.splitlines(), start=1):
        if re.match(r"\s*#", line):
            if line.rstrip().endswith("\\"):
                found.append((number, "continuation", "a comment line ends in '\\'"))
            if parts:  # pip ends a continuation at a comment line
                logical.append((start, " ".join(parts)))
                parts = []
            continue
        if not parts:
            start = number
        code = re.sub(r"(^|\s)#.*$", "", line)
        if code.rstrip().endswith("\\"):
            parts.append(code.rstrip()[:-1])
            continue
        parts.append(code)
        logical.append((start, " ".join(parts)))
        parts = []
    if parts:
        found.append((start, "continuation", "the file ends inside a '\\' continuation"))
    return [(n, t.strip()) for n, t in logical if t.strip()], found


def check_requirements(text: str, expect: Expect) -> Found:
    lines, found = requirement_lines(text)
    seen: dict[str, int] = {}
    own: list[tuple[str, tuple[str, ...]]] = []
    for number, line in lines:
        match = _REQUIREMENT.fullmatch(line)
        if match is None:
            found.append((number, *_why_not_a_requirement(line)))
            continue
        name = match["name"]
        if name != normal(name):
            found.append((number, "name", f"{name!r} is not written as PEP 503 normalises it ({normal(name)!r})"))
        # uv's universal lock forks a package into disjoint environments, each line with
        # its marker: only such lines may name a package again
        first = seen.get(normal(name))
        if first is not None and (first < 0 or not match["marker"]):
            found.append((number, "duplicate", f"{normal(name)} is listed twice (first at line {abs(first)}), "
                          "and not for two environments (each with a `; marker`)"))
        seen.setdefault(normal(name), number if match["marker"] else -number)
        if expect.package and normal(name) == normal(expect.package):
            own.append((match["version"], tuple(_HASH.findall(match["hashes"]))))
    found += _own_requirement(own, expect)
    return sorted(found)


def _why_not_a_requirement(line: str) -> tuple[str, str]:
    if line.startswith("-"):
        return "option-line", f"{line.split()[0]!r}: option lines are not allowed, only `name==version --hash=...`"
    if "@" in line or "://" in line or "/" in line or line.startswith("."):
        return "requirement-form", "URL, path and `@` direct references are not allowed, only `name==version`"
    if "==" in line and "--hash=sha256:" not in line:
        return "hash", "each requirement needs one or more --hash=sha256:<64 hex digits>"
    return "requirement-form", "only `name==version [; marker] --hash=sha256:...` lines, comments and blank lines"


def _own_requirement(own: list[tuple[str, tuple[str, ...]]], expect: Expect) -> Found:
    if not expect.package:
        return []
    if not any(version == expect.version for version, _ in own):
        return [(1, "own-package", f"{normal(expect.package)}=={expect.version} (the server's package at its "
                 "pin) is not among the requirements")]
    hashes = {h for version, found in own if version == expect.version for h in found}
    if expect.integrity and expect.integrity not in hashes:
        return [(1, "own-package", f"{normal(expect.package)}'s hashes do not include the lockfile's "
                 f"integrity {expect.integrity}")]
    return []


def normal(name: str) -> str:
    """PEP 503."""
    return re.sub(r"[-_.]+", "-", name).lower()


# -- tools.json ------------------------------------------------------------------------------

def check_tools(data: bytes, expect: Expect) -> Found:
    from mcpstate.probe.surface import SurfaceError, parse_surface, surface_bytes, surface_digest

    try:
        surface = parse_surface(data)
    except SurfaceError as e:
        return [(getattr(e.__context__, "lineno", 1), "tools", f"not a tool surface: {e}")]
    if expect.tools is None:
        return [(1, "tools", "the server has no tools: line in the lockfile")]
    if surface_digest(surface_bytes(surface)) != expect.tools:
        return [(1, "tools", "tools: is not the sha256 of this surface's canonical form (RFC 8785)")]
    return []


# -- reading a folder ------------------------------------------------------------------------

def read_folder(project: Path, server: str) -> tuple[dict[str, Entry], list[Problem]]:
    """The entries of `project/mcpstate.lock.d/<server>/` without following any symlink:
    ({} , []) when there is no such folder; a symlink on the way to it is a problem."""
    entries: dict[str, Entry] = {}
    for part in (FOLDER, f"{FOLDER}/{server}"):
        try:
            mode = os.lstat(project / part).st_mode
        except FileNotFoundError:
            return {}, []
        except OSError as e:
            return {}, [Problem(part, 1, "regular-file", f"cannot read: {e.strerror}")]
        if not stat.S_ISDIR(mode):
            kind = "symlink" if stat.S_ISLNK(mode) else "file"
            return {}, [Problem(part, 1, "regular-file", f"is a {kind}, not a folder (a symlink is never followed)")]
    folder = project / FOLDER / server
    for item in sorted(os.scandir(folder), key=lambda e: e.name):
        entries[item.name] = _read_entry(folder / item.name)
    return entries, []


def _read_entry(path: Path) -> Entry:
    mode = os.lstat(path).st_mode
    if not stat.S_ISREG(mode):
        return "symlink" if stat.S_ISLNK(mode) else "folder" if stat.S_ISDIR(mode) else "special file"
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0))
    except OSError:
        return "symlink"  # replaced by one since the lstat
    with os.fdopen(fd, "rb") as f:
        if not stat.S_ISREG(os.fstat(f.fileno()).st_mode):
            return "special file"
        return f.read(MAX_BYTES)  # MAX_BYTES read: the size rule refuses it


def check_server(project: Path, expect: Expect) -> tuple[dict[str, bytes], list[Problem]]:
    """Read and check one server's folder: (its files as checked, problems)."""
    entries, problems = read_folder(project, expect.server)
    if not entries and not problems:
        return {}, []
    problems += check_folder(expect, entries)
    return {k: v for k, v in entries.items() if isinstance(v, bytes)}, problems


def expect_of(name: str, server: Mapping[str, object], npm_registry: str) -> Expect:
    """What the lockfile's server entry (as parsed) says its folder must lock."""
    def text(key: str) -> str | None:
        value = server.get(key)
        return value if isinstance(value, str) else None

    return Expect(name, str(server.get("source")), text("package"), text("version"), text("integrity"),
                  npm_registry, text("tools"))


def lockfile_problems(data: Mapping[str, object], lockfile_path: Path | str,
                      environ: Mapping[str, str]) -> list[Problem]:
    """Every problem of the lock folders of the lockfile's servers (DESIGN §4)."""
    from mcpstate.lockfile.closure import valid_server_name

    servers = data.get("servers")
    project = Path(lockfile_path).parent
    if not isinstance(servers, Mapping) or not os.path.lexists(project / FOLDER):
        return []
    problems: list[Problem] = []
    for name, server in servers.items():
        if valid_server_name(name) and isinstance(server, Mapping):
            entries, found = read_folder(project, str(name))
            registry = _npm_registry(data, environ) if _names_a_tarball(entries) else NPMJS
            problems += found + check_folder(expect_of(str(name), server, registry), entries)
    return problems


def _names_a_tarball(entries: Mapping[str, Entry]) -> bool:
    """The registry matters only to a `tarball:` URL; otherwise it stays unresolved, as
    the registry package (httpx with it) costs plan 0.3 s to import."""
    lock = entries.get("pnpm-lock.yaml")
    return isinstance(lock, bytes) and b"tarball" in lock


def _npm_registry(data: Mapping[str, object], environ: Mapping[str, str]) -> str:
    from mcpstate.registry.urls import registry_urls

    registries = data.get("registries")
    return registry_urls(registries if isinstance(registries, Mapping) else {}, environ)["npm"]
