"""The lockfile's semantic rules (DESIGN §4), run after the schema check.

Each rule yields (key path, message); lockfile.py adds file, line and column."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any

from mcpstate.secrets.references import CLIENT_VARIABLE, REFERENCE
from mcpstate.lockfile.clientvars import check_client_variables
from mcpstate.model import PROJECT_PATHS, SCOPES, USER_PATHS, default_path, default_scope
from mcpstate.secrets.detect import Finding, rewrite, scan_args, scan_value, variable

Problem = tuple[tuple[Any, ...], str]

SEMVER = re.compile(
    r"^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)"
    r"(?:-((?:0|[1-9]\d*|\d*[A-Za-z-][0-9A-Za-z-]*)(?:\.(?:0|[1-9]\d*|\d*[A-Za-z-][0-9A-Za-z-]*))*))?"
    r"(?:\+([0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*))?$")
# PEP 440 in its normalised form; anything else goes to `packaging` to decide.
PEP440 = re.compile(r"^(\d+!)?\d+(\.\d+)*((a|b|rc)\d+)?(\.post\d+)?(\.dev\d+)?(\+[a-z0-9]+(\.[a-z0-9]+)*)?$")
NPM_NAME = re.compile(r"^(@[a-z0-9][a-z0-9._~-]*/)?[a-z0-9~][a-z0-9._~-]*$")
PYPI_NAME = re.compile(r"^[A-Za-z0-9]([A-Za-z0-9._-]*[A-Za-z0-9])?$")
# fields a source may carry besides the common ones
ALLOWED = {
    "npm": {"package", "version", "integrity", "closure", "bin", "args", "env", "allow_install_scripts", "update"},
    "pypi": {"package", "version", "integrity", "closure", "bin", "args", "env", "update"},
    "command": {"command", "args", "env"},
    "remote": {"url", "transport", "headers"},
}
COMMON = {"source", "protected", "test", "registry_name", "tools"}
KNOWN = set().union(*ALLOWED.values(), COMMON)
REQUIRED = {"npm": ("package", "version"), "pypi": ("package", "version"),
            "command": ("command",), "remote": ("url",)}


def check_lockfile(data: Mapping[str, Any]) -> Iterator[Problem]:
    servers = data.get("servers")
    if isinstance(servers, Mapping):
        for name, server in servers.items():
            if not isinstance(name, str):
                yield ("servers", name), (f"a server name must be text, not {type(name).__name__} "
                                          f"{name!r} (quote it)")
            elif isinstance(server, Mapping) and _source(server) in ALLOWED:
                yield from check_server(("servers", name), server)
                if server["source"] == "remote" and _has_client(data.get("targets"), "claude-desktop", name):
                    yield (("servers", name, "source"), "claude-desktop (a target here) cannot launch "
                           "a remote server; add it as a connector in Claude Desktop, or bridge it "
                           "with a pinned npm server")
    yield from _check_targets(data.get("targets"), servers if isinstance(servers, Mapping) else {})
    yield from check_target_paths(data.get("targets"))
    yield from check_client_variables(data)


def _source(server: Mapping[str, Any]) -> str | None:
    source = server.get("source")
    return source if isinstance(source, str) else None  # a list here is the schema's to report


def _has_client(targets: Any, client: str, server: str) -> bool:
    """Whether a target of `client` gets `server` (every server unless `servers:` says)."""
    return isinstance(targets, list) and any(
        isinstance(t, Mapping) and t.get("client") == client
        and (not isinstance(t.get("servers"), list) or server in t["servers"]) for t in targets)


def check_server(path: tuple[Any, ...], server: Mapping[str, Any]) -> Iterator[Problem]:
    source = server["source"]
    for key in server:
        # unknown keys are the schema's to report; here only keys of another source
        if key in KNOWN and key not in ALLOWED[source] and key not in COMMON:
            yield (*path, key), f"'{key}' does not apply to a server with source: {source}"
    for key in REQUIRED[source]:
        if key not in server:
            yield path, f"a {source} server needs '{key}'"
    if source in ("npm", "pypi"):
        yield from _check_package(path, source, server)
    for field in ("env", "headers"):
        values = server.get(field)
        if isinstance(values, Mapping):
            yield from check_references((*path, field), values)
    yield from check_secrets(path, server)


def _check_package(path: tuple[Any, ...], source: str, server: Mapping[str, Any]) -> Iterator[Problem]:
    package, version, integrity = server.get("package"), server.get("version"), server.get("integrity")
    name_rule = NPM_NAME if source == "npm" else PYPI_NAME
    if isinstance(package, str) and not name_rule.fullmatch(package):
        yield (*path, "package"), f"{package!r} is not a valid {source} package name"
    if isinstance(version, str) and not is_exact_version(source, version):
        yield (*path, "version"), (f"{version!r} is not an exact version"
                                   " (pin one version; put ranges in update.constraint)")
    prefix = "sha512-" if source == "npm" else "sha256:"
    if isinstance(integrity, str) and not integrity.startswith(prefix):
        yield (*path, "integrity"), f"a {source} integrity starts with '{prefix}'"


def is_exact_version(source: str, version: str) -> bool:
    if source == "npm":
        return SEMVER.fullmatch(version) is not None
    if PEP440.fullmatch(version):
        return True
    from packaging.version import InvalidVersion, Version

    try:
        Version(version)
    except InvalidVersion:
        return False
    # packaging forgives surrounding blanks; a pin (and a store folder name) must not carry them
    return version == version.strip() and not any(c in version for c in "<>=!~*,/\\")


def check_references(path: tuple[Any, ...], values: Mapping[str, Any]) -> Iterator[Problem]:
    """References must be well formed."""
    for key, value in values.items():
        if isinstance(value, str) and "${" in CLIENT_VARIABLE.sub("", REFERENCE.sub("", value)):
            yield (*path, key), f"malformed reference in {value!r} (write ${{VAR}} or ${{VAR:-default}})"


def check_secrets(path: tuple[Any, ...], server: Mapping[str, Any]) -> Iterator[Problem]:
    """Secrets are referenced, never written (DESIGN §11): in env, headers, args and url."""
    name = str(path[-1])
    for field, key_prefix in (("env", False), ("headers", True)):
        values = server.get(field)
        for key, value in (values.items() if isinstance(values, Mapping) else ()):
            found = scan_value(value, str(key), key_prefix) if isinstance(value, str) else None
            if found:
                yield _refusal(name, (*path, field, key), value, found)
    args = server.get("args")
    if isinstance(args, list) and all(isinstance(a, str) for a in args):
        by_arg: dict[int, list[Finding]] = {}
        for i, finding in scan_args(args):
            by_arg.setdefault(i, []).append(finding)
        for i, found in by_arg.items():
            yield _refusal(name, (*path, "args", i), args[i], found)
    url = server.get("url")
    if isinstance(url, str) and (found := scan_value(url)):
        yield _refusal(name, (*path, "url"), url, found)


def _refusal(server: str, path: tuple[Any, ...], value: str, findings: list[Finding]) -> Problem:
    """One problem per value, with the value as it should be written (no secret in it)."""
    fixed = rewrite(value, findings, lambda f, _literal: f"${{{variable(f, server)}}}")
    literal = [f.why for f in findings if not f.default]
    if not literal:
        return path, f"a secret's reference must not carry a literal default: write {fixed}"
    return path, (f"looks like a secret written in the lockfile ({', '.join(literal)}); reference it "
                  f"from the environment instead, e.g. {fixed}")


def _check_targets(targets: Any, servers: Mapping[str, Any]) -> Iterator[Problem]:
    if not isinstance(targets, list):
        return
    seen: dict[str, int] = {}
    for i, target in enumerate(targets):
        if not isinstance(target, Mapping) or not isinstance(target.get("client"), str):
            continue
        client, scope = target["client"], target.get("scope")
        if scope == "project" and client not in PROJECT_PATHS:
            yield ("targets", i, "scope"), f"{client} has no project file; write scope: user"
            continue
        if scope not in (None, *SCOPES) or client not in USER_PATHS:
            continue  # the schema's to report
        path = target.get("path") or default_path(client, scope or default_scope(client))
        if path in seen:
            yield ("targets", i), f"target path {path!r} is listed twice (first as targets[{seen[path]}])"
        seen.setdefault(path, i)
        yield from _check_target_servers(i, target.get("servers"), servers)


def _check_target_servers(i: int, only: Any, servers: Mapping[str, Any]) -> Iterator[Problem]:
    seen: set[Any] = set()
    for j, name in enumerate(only if isinstance(only, list) else ()):
        if name in seen:
            yield ("targets", i, "servers", j), f"{name!r} is listed twice"
        elif isinstance(name, str) and name not in servers:
            yield ("targets", i, "servers", j), (f"no server {name!r} in this lockfile "
                                                 f"(servers: {', '.join(map(str, servers)) or 'none'})")
        seen.add(name)


def check_target_paths(targets: Any) -> Iterator[Problem]:
    """A project-scoped target's `path:` stays inside the project (DESIGN §4): relative
    to its folder, with no `..` that leads out. A user-scoped one may name any file."""
    if not isinstance(targets, list):
        return
    for i, target in enumerate(targets):
        if not isinstance(target, Mapping) or not isinstance(target.get("path"), str):
            continue
        client = target.get("client")
        scope = target.get("scope") or (default_scope(client) if client in USER_PATHS else "project")
        why = _outside_project(target["path"]) if scope == "project" else None
        if why:
            yield ("targets", i, "path"), (f"{target['path']!r} {why}: a project-scoped target's path is "
                                           "relative to the project folder and stays inside it")


def _outside_project(path: str) -> str | None:
    from pathlib import PurePosixPath, PureWindowsPath

    if path.startswith("~"):
        return "is in the home folder"
    if PurePosixPath(path).is_absolute() or PureWindowsPath(path).anchor:
        return "is an absolute path"
    depth = 0
    for part in re.split(r"[/\\]", path):
        depth += -1 if part == ".." else 0 if part in ("", ".") else 1
        if depth < 0:
            return "leads outside the project"
    return None
