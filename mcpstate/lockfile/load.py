"""Load the lockfile: YAML with line numbers, the schema, then the rules of DESIGN §4.
Every problem is reported at once, as `file:line:col: key.path: message`."""

from __future__ import annotations

import json
import os
import re
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mcpstate.errors import LockfileError
from mcpstate.fsutil import sha256_bytes
from mcpstate.model import (LoadSpec, Lockfile, Retention, ServerSpec, SmokeCall, Target, TestSpec,
                            UpdatePolicy, default_path, default_scope)

if TYPE_CHECKING:
    from mcpstate.state.layout import StateDir

# PyYAML, the YAML loader and the rules are imported where used: a lockfile whose checked
# document is kept in the state dir (lockfile/checked.py) needs none of them

_PLAIN = re.compile(r"^[A-Za-z0-9_-]+$")
DEFAULT_TARGETS = (Target("claude-code", ".mcp.json"),)


@lru_cache(maxsize=None)
def load_schema(name: str) -> dict[str, Any]:
    """A JSON Schema shipped inside the package (`schemas/<name>.schema.json`)."""
    text = (Path(__file__).parents[1] / "schemas" / f"{name}.schema.json").read_text()
    return json.loads(text)  # type: ignore[no-any-return]


def load_lockfile(path: Path, deep: bool = False, closures: bool = True,
                  checked_in: StateDir | None = None) -> Lockfile:
    """Read, check and build the lockfile; raise LockfileError listing every problem.

    `deep` also checks update constraints with the real npm and PEP 440 parsers;
    `closures=False` skips the lock folder checks, closures and tool surfaces (for
    `mcpstate lock`, which mends them); `checked_in`: a state dir that may keep the checked
    document of these very bytes, sparing the parse, the schema and the rules (lockfile/checked.py)."""
    try:
        raw = Path(path).read_bytes()
    except FileNotFoundError:
        raise LockfileError([f"{display(path)}: no lockfile here (run 'mcpstate init' to write one)"]) from None
    except OSError as e:
        raise LockfileError([f"{display(path)}: cannot read: {e.strerror}"]) from None
    sha256 = sha256_bytes(raw)
    data = _recalled(checked_in, sha256, path, closures) if checked_in is not None and not deep else None
    if data is None:
        data = parse_lockfile_text(raw, path, deep, closures)
    return build_lockfile(data, str(path), sha256)


def _recalled(state_dir: StateDir, sha256: str, path: Path, closures: bool) -> dict[str, Any] | None:
    """The checked document kept for these bytes, if the checks that read other files still
    pass (any problem: the full check finds it again and words it, with lines and columns)."""
    from mcpstate.lockfile.checked import recall

    data = recall(state_dir, sha256)
    if data is None or live_problems(data, path, closures) or folder_problems(data, path, closures):
        return None
    return data


def live_problems(data: dict[str, Any], path: Path, closures: bool = True) -> list[tuple[tuple[Any, ...], str]]:
    """The checks that read other files than the lockfile: they run on every load, even
    when the checked document is kept (lockfile/checked.py keeps only what the bytes decide)."""
    found = state_dir_problems(data, Path(path).parent)
    if closures:
        from mcpstate.lockfile.closure import closure_problems
        from mcpstate.lockfile.surface import surface_problems

        found += closure_problems(data, path) + surface_problems(data, path)
    return found


def folder_problems(data: dict[str, Any], path: Path, closures: bool = True) -> list[str]:
    """The lock folders' contents (lockfile/lockcheck.py): `file:line: rule id: why`, each
    file named relative to the project. A live check too: it reads the folders, and the
    registry the tarballs must come from may be set in the environment."""
    if not closures:
        return []
    from mcpstate.lockfile.lockcheck import lockfile_problems

    return [str(p) for p in lockfile_problems(data, path, os.environ)]


def parse_lockfile_text(raw: bytes, path: Path, deep: bool = False,
                        closures: bool = True) -> dict[str, Any]:
    """The checked document; raise LockfileError with every problem found."""
    from mcpstate.lockfile.yamlmarks import YamlSyntaxError, load_marked, locate

    name = display(path)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as e:
        raise LockfileError([f"{name}: not UTF-8 text (byte {e.start})"]) from None
    try:
        data, duplicates = load_marked(text)
    except YamlSyntaxError as e:
        raise LockfileError([f"{name}:{e.line}:{e.column}: {e.message}"]) from None
    if not isinstance(data, dict):
        raise LockfileError([f"{name}:1:1: the lockfile must be a mapping with 'version: 1' and 'servers:'"])
    problems = [f"{name}:{line}:{col}: {msg}" for (line, col), msg in duplicates]
    found = find_problems(data, deep) + live_problems(data, path, closures)
    found.sort(key=lambda pm: locate(data, pm[0]))
    problems += [_format(name, data, p, m) for p, m in found]
    problems += folder_problems(data, path, closures)
    if problems:
        raise LockfileError(problems)
    return data


def find_problems(data: dict[str, Any], deep: bool = False) -> list[tuple[tuple[Any, ...], str]]:
    """What the document itself gets wrong. Without `deep`, a function of the document
    alone, whose verdict lockfile/checked.py keeps: a check that reads any other file (or
    the environment, or the clock) belongs in `live_problems`."""
    from mcpstate.lockfile.rules import check_lockfile
    from mcpstate.lockfile.schemacheck import SchemaChecker
    from mcpstate.lockfile.yamlmarks import non_json_values

    if isinstance(data.get("version"), int) and data["version"] > 1:
        return [(("version",), f"format version {data['version']} is newer than this mcpstate"
                 " understands (1); upgrade mcpstate")]
    problems = SchemaChecker(load_schema("lockfile")).errors(data)
    placed = {path for path, _ in problems}  # the schema named these already, by their type
    problems += [(p, m) for p, m in non_json_values(data) if not any(p[:len(q)] == q for q in placed)]
    problems += list(check_lockfile(data))
    if deep:
        from mcpstate.lockfile.constraints import check_constraints

        problems += list(check_constraints(data))
    return problems


def state_dir_problems(data: dict[str, Any], project: Path) -> list[tuple[tuple[Any, ...], str]]:
    """`state_dir:` must not name somebody else's folder: mcpstate would write and delete there."""
    from mcpstate.state.layout import StateDir

    value = data.get("state_dir")
    if not isinstance(value, str) or not value:
        return []
    why = StateDir((project / value).resolve()).foreign()
    return [(("state_dir",), why)] if why else []


def _format(name: str, data: Any, path: tuple[Any, ...], message: str) -> str:
    from mcpstate.lockfile.yamlmarks import locate

    line, col = locate(data, path)
    keys = key_path(path)
    return f"{name}:{line}:{col}: {keys + ': ' if keys else ''}{message}"


def key_path(path: tuple[Any, ...]) -> str:
    """`servers.memory.args[0]`; names that are not plain words in quotes."""
    text = ""
    for part in path:
        if isinstance(part, int):
            text += f"[{part}]"
        elif _PLAIN.fullmatch(str(part)):
            text += f".{part}" if text else str(part)
        else:
            text += f"[{json.dumps(str(part))}]"
    return text


def display(path: Path | str) -> str:
    """A path as the user would type it: relative to the working folder when inside it."""
    path = str(path)
    try:
        rel = os.path.relpath(path)
    except ValueError:
        return path
    return path if rel.startswith("..") else rel


def build_lockfile(data: dict[str, Any], path: str, sha256: str) -> Lockfile:
    defaults = data.get("defaults", {}).get("test", {})
    servers = {name: _with_lock_files(build_server(name, raw, defaults), path)
               for name, raw in data["servers"].items()}
    targets = tuple(build_target(t) for t in data.get("targets", ())) or DEFAULT_TARGETS
    retention = Retention(**data.get("retention", {}))
    registries = dict(data.get("registries", {}))
    return Lockfile(path, sha256, targets, servers, registries, retention, data.get("state_dir"))


def build_target(raw: dict[str, Any]) -> Target:
    """A user-scoped target without `path:` keeps its client's well-known path unexpanded
    (`~/.claude.json`): expanded where the file is read, the same on every machine."""
    client = raw["client"]
    scope = raw.get("scope") or default_scope(client)
    servers = tuple(raw["servers"]) if "servers" in raw else None
    return Target(client, raw.get("path") or default_path(client, scope), scope, servers)


def build_server(name: str, raw: dict[str, Any], default_test: dict[str, Any]) -> ServerSpec:
    test = build_test({**default_test, **raw.get("test", {})})
    fields = {k: raw[k] for k in ("package", "version", "integrity", "closure", "tools", "bin", "command",
                                  "url", "transport", "registry_name") if k in raw}
    return ServerSpec(
        name=name, source=raw["source"], args=tuple(raw.get("args", ())),
        env=dict(raw.get("env", {})), headers=dict(raw.get("headers", {})),
        protected=raw.get("protected", False),
        allow_install_scripts=raw.get("allow_install_scripts", False),
        update=UpdatePolicy(**raw.get("update", {})), test=test, **fields)


def _with_lock_files(spec: ServerSpec, path: str) -> ServerSpec:
    """A locked server carries its lock folder's files, as checked against `closure:`."""
    if spec.closure is None:
        return spec
    from mcpstate.lockfile.closure import read_files

    return spec._replace(lock_files=read_files(path, spec.name, spec.source) or {})


def build_test(raw: dict[str, Any]) -> TestSpec:
    values = dict(raw)
    values["required_tools"] = tuple(values.get("required_tools", ()))
    values["smoke"] = tuple(SmokeCall(**dict(s)) for s in values.get("smoke", ()))
    if "load" in values:
        values["load"] = LoadSpec(**dict(values["load"]))
    return TestSpec(**values)
