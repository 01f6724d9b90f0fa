"""Client variables in the lockfile (DESIGN §14): `${workspaceFolder}`, `${userHome}` and
`${input:ID}` are expanded by the clients that define them, and passed through to them
as written. A server that uses one must go only to such clients: any other would hand
the server the text `${workspaceFolder}` itself.

Which targets a server goes to is read from `targets:` (default: claude-code) and each
target's `servers:` list, so the rule runs on the document as written."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from mcpstate.secrets.references import CLIENT_VARIABLE

Problem = tuple[tuple[Any, ...], str]

# the variable (before any `:`) -> the clients that expand it
DEFINED_BY = {"workspaceFolder": ("cursor", "vscode"), "userHome": ("cursor", "vscode"),
              "input": ("vscode",)}
_DEFAULT_TARGETS = [{"client": "claude-code"}]


def check_client_variables(data: Mapping[str, Any]) -> Iterator[Problem]:
    servers = data.get("servers")
    if not isinstance(servers, Mapping):
        return
    targets = _targets(data.get("targets"))
    for name, server in servers.items():
        if not isinstance(server, Mapping):
            continue
        clients = [(i, t["client"]) for i, t in targets if _serves(t, name)]
        for path, value in _strings(("servers", name), server):
            yield from _check_value(path, value, clients)


def _check_value(path: tuple[Any, ...], value: str, clients: list[tuple[int, str]]) -> Iterator[Problem]:
    for match in CLIENT_VARIABLE.finditer(value):
        variable = match.group(1).split(":")[0]
        defined_by = DEFINED_BY[variable]
        others = [f"{client} (targets[{i}])" if i >= 0 else f"{client} (the default target)"
                  for i, client in clients if client not in defined_by]
        if others:
            yield path, (f"{match.group()} is expanded only by {', '.join(defined_by)}; "
                         f"{', '.join(others)} would pass it to the server as written. Limit those "
                         f"targets with servers: [...], or write the value out")
            return


def _targets(raw: Any) -> list[tuple[int, Mapping[str, Any]]]:
    """(index, target) of each well-formed target; (-1, claude-code) when none is listed."""
    if not isinstance(raw, list) or not raw:
        return [(-1, t) for t in _DEFAULT_TARGETS]
    return [(i, t) for i, t in enumerate(raw)
            if isinstance(t, Mapping) and isinstance(t.get("client"), str)]


def _serves(target: Mapping[str, Any], server: Any) -> bool:
    only = target.get("servers")
    return not isinstance(only, list) or server in only


def _strings(path: tuple[Any, ...], value: Any) -> Iterator[tuple[tuple[Any, ...], str]]:
    """Every text of a server's launch: command, args, env, url, headers."""
    for key in ("command", "url"):
        if isinstance(value.get(key), str):
            yield (*path, key), value[key]
    args = value.get("args")
    for i, arg in enumerate(args if isinstance(args, list) else ()):
        if isinstance(arg, str):
            yield (*path, "args", i), arg
    for field in ("env", "headers"):
        values = value.get(field)
        for key, text in (values.items() if isinstance(values, Mapping) else ()):
            if isinstance(text, str):
                yield (*path, field, key), text
