"""A registry `server.json` -> the draft of a lockfile server, for `mcpstate add`.

Data in, data out: the package is pinned afterwards by the same path as `import`
(`adopt.resolve`). Secrets are never written: an input marked `isSecret`, named
like a secret, or whose value looks like one becomes a `${VAR}` reference, and
every variable the user must now export is listed in `Exports`, with why."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from mcpstate.errors import RegistryError, UsageError
from mcpstate.importer.adopt import Draft, lockfile_name
from mcpstate.importer.commandline import NPX_QUIET, UVX_QUIET, ParsedCommand
from mcpstate.secrets.detect import env_name, looks_secret, scan_value

INSTALLED = ("npm", "pypi")  # the registryTypes mcpstate installs
TRANSPORTS = {"streamable-http": "http", "sse": "sse"}
SERVER_NAME = re.compile(r"[a-z0-9][a-z0-9._-]{0,63}")
_PLACEHOLDER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")


@dataclass
class Exports:
    """Variables the new lockfile block references: name -> why it must be exported.
    An environment variable keeps its own name; a header's or an argument's is named
    after the server too (`{token}` of server github: GITHUB_TOKEN)."""

    server: str
    why: dict[str, str] = field(default_factory=dict)
    prefix: bool = False

    def reference(self, hint: str, why: str) -> str:
        var, own = env_name(hint.lstrip("-")), env_name(self.server)
        if self.prefix and not (var == own or var.startswith(own + "_")):
            var = f"{own}_{var}"
        self.why.setdefault(var, why)
        return f"${{{var}}}"

    def named_after_server(self) -> Exports:
        """The same list, naming new variables after the server (for headers and args)."""
        return Exports(self.server, self.why, prefix=True)


def server_name(registry_name: str, chosen: str | None) -> str:
    """`--as`, checked, or the last part of the registry name made a valid server name."""
    if chosen is not None:
        if not SERVER_NAME.fullmatch(chosen):
            raise UsageError(f"--as {chosen!r}: a server name is 1-64 characters of "
                             "a-z 0-9 . _ - starting with a letter or digit")
        return chosen
    return lockfile_name(registry_name.rsplit("/", 1)[-1], set())[:64]


def installable_package(server: Mapping[str, Any]) -> Mapping[str, Any] | None:
    """The first package mcpstate can install and launch over stdio, if any."""
    for package in _dicts(server.get("packages")):
        transport = package.get("transport")
        kind = transport.get("type", "stdio") if isinstance(transport, dict) else "stdio"
        if package.get("registryType") in INSTALLED and package.get("identifier") and kind == "stdio":
            return package
    return None


def source_of(server: Mapping[str, Any]) -> str:
    """What `add` would make of a server.json: npm, pypi, remote, or `-` (nothing usable)."""
    package = installable_package(server)
    if package is not None:
        return str(package["registryType"])
    return "remote" if _remote(server) is not None else "-"


def draft_from_server_json(name: str, server: Mapping[str, Any], exports: Exports) -> Draft:
    """The lockfile fields of `server` (a server.json), unpinned."""
    registry_name = str(server["name"])
    draft = Draft(name, registry_name, {})
    package = installable_package(server)
    if package is not None:
        _package_draft(draft, package, exports)
        return draft
    remote = _remote(server)
    if remote is None:
        raise RegistryError(f"{registry_name} {server.get('version')}: no npm or PyPI package over stdio "
                            "and no streamable-http or sse remote; mcpstate cannot run it")
    draft.fields = {"source": "remote", "registry_name": registry_name,
                    "url": str(remote["url"]), "transport": TRANSPORTS[remote["type"]]}
    headers = _key_values(remote.get("headers"), exports.named_after_server())
    draft.fields.update({"headers": headers} if headers else {})
    return draft


def _package_draft(draft: Draft, package: Mapping[str, Any], exports: Exports) -> None:
    source, identifier = str(package["registryType"]), str(package["identifier"])
    version = package.get("version") if isinstance(package.get("version"), str) else None
    draft.parsed = ParsedCommand(source, "", package=identifier, pin=version)
    draft.fields = {"source": source, "package": identifier, "registry_name": draft.original}
    args = arguments(package.get("packageArguments"), exports.named_after_server())
    draft.fields.update({"args": args} if args else {})
    env = _key_values(package.get("environmentVariables"), exports)
    draft.fields.update({"env": env} if env else {})
    dropped = _runner_options(package.get("runtimeArguments"), source)
    if dropped:
        draft.notes.append(f"runtime arguments not kept: {' '.join(dropped)} (they are options "
                           f"of the {source} runner; mcpstate launches the package itself)")


def arguments(raw: Any, exports: Exports) -> list[str]:
    """packageArguments as a command line: positional values, `--name value` for named ones."""
    args: list[str] = []
    for arg in _dicts(raw):
        hint = str(arg.get("valueHint") or arg.get("name") or "value")
        value = input_value(arg, hint, exports)
        if arg.get("type") == "named" and isinstance(arg.get("name"), str):
            if value is not None or arg.get("isRequired"):
                args += [arg["name"]] + ([value] if value is not None else [])
        elif value is not None:
            args.append(value)
    return args


def input_value(item: Mapping[str, Any], hint: str, exports: Exports) -> str | None:
    """The value to write for one input, a reference for a secret or a required
    input with nothing given; None for an optional one with nothing given."""
    value = item.get("value") if isinstance(item.get("value"), str) else None
    variables = item.get("variables")
    if value is not None and isinstance(variables, dict) and _PLACEHOLDER.search(value):
        return _PLACEHOLDER.sub(lambda m: _variable(m.group(1), variables, exports), value)
    if item.get("isSecret") or looks_secret(hint):
        return exports.reference(hint, "secret")
    given = value if value is not None else item.get("default")
    if isinstance(given, str) and given:
        return exports.reference(hint, "secret") if scan_value(given, hint) else given
    return exports.reference(hint, "required, no default") if item.get("isRequired") else None


def _variable(name: str, variables: Mapping[str, Any], exports: Exports) -> str:
    item = variables.get(name)
    value = input_value(item, name, exports) if isinstance(item, dict) else None
    return value if value is not None else exports.reference(name, "required, no default")


def _key_values(raw: Any, exports: Exports) -> dict[str, str]:
    """environmentVariables or headers: {name: value}, optional ones without a value left out."""
    out = {}
    for item in _dicts(raw):
        if isinstance(item.get("name"), str):
            value = input_value(item, item["name"], exports)
            if value is not None:
                out[item["name"]] = value
    return out


def _remote(server: Mapping[str, Any]) -> Mapping[str, Any] | None:
    return next((r for r in _dicts(server.get("remotes"))
                 if r.get("type") in TRANSPORTS and isinstance(r.get("url"), str)), None)


def _runner_options(raw: Any, source: str) -> list[str]:
    """runtimeArguments that would change how npx/uvx runs; known no-op flags are not news."""
    quiet = NPX_QUIET if source == "npm" else UVX_QUIET
    words = [str(a.get("value") or a.get("name") or "") for a in _dicts(raw)]
    return [w for w in words if w and w not in quiet]


def _dicts(raw: Any) -> Sequence[Mapping[str, Any]]:
    return [item for item in raw if isinstance(item, dict)] if isinstance(raw, list) else []
