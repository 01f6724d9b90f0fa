"""Codex's `config.toml` (`.codex/config.toml`, `~/.codex/config.toml`): one
`[mcp_servers.NAME]` table per server, edited with tomlkit (tomlfile.py).

Codex expands no variable inside a value, but it can hand variables of its own
environment to a server by name. So a reference whose whole value is one variable
stays a name, never a value: an env value `${VAR}` under the key `VAR` goes to
`env_vars`, a header `${VAR}` to `env_http_headers`, `Authorization: Bearer ${VAR}` to
`bearer_token_env_var`. Anything else (a reference inside a longer value, one under
another name, a default) is resolved at apply time, and the file is then private
(0600), as Claude Desktop's is."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from mcpstate.errors import TargetError
from mcpstate.model import Launch
from mcpstate.secrets.references import resolve, resolve_all
from mcpstate.targets import tomlfile

KEY = "mcp_servers"
EXPANDS_VARIABLES = False
parse = tomlfile.parse
read_doc = tomlfile.read_doc
with_entry = tomlfile.with_entry
_WHOLE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-[^}]*)?\}")
_BEARER = re.compile(r"Bearer \$\{([A-Za-z_][A-Za-z0-9_]*)\}")


def render(launch: Launch, environ: Mapping[str, str], server: str) -> dict[str, Any]:
    """The table for one server: names passed through where Codex can, values elsewhere."""
    where = f"[{server}]"
    if launch.url is not None:
        return _remote(launch, environ, where)
    passed = [k for k, v in launch.env.items() if _passes(k, v, environ)]
    entry: dict[str, Any] = {"command": resolve(launch.command or "", environ, f"{where} command"),
                             "args": [resolve(a, environ, f"{where} args") for a in launch.args]}
    rest = {k: v for k, v in launch.env.items() if k not in passed}
    if rest:
        entry["env"] = resolve_all(rest, environ, f"{where} env")
    if passed:
        entry["env_vars"] = passed
    return entry


def _passes(name: str, value: str, environ: Mapping[str, str]) -> bool:
    """Whether Codex can give the server `name` from its own environment: the value is
    that very variable, and it is set (else its default is what was tested)."""
    match = _WHOLE.fullmatch(value)
    return match is not None and match.group(1) == name and (name in environ or "-" not in value)


def _remote(launch: Launch, environ: Mapping[str, str], where: str) -> dict[str, Any]:
    if launch.transport == "sse":
        raise TargetError(f"{where} codex connects to Streamable HTTP servers only; this one is SSE "
                          "(transport: sse): drop the codex target for it with servers: [...]")
    entry: dict[str, Any] = {"url": resolve(launch.url or "", environ, f"{where} url")}
    values, names = {}, {}
    for header, value in launch.headers.items():
        bearer = _BEARER.fullmatch(value) if header.lower() == "authorization" else None
        whole = _WHOLE.fullmatch(value)
        if bearer and "bearer_token_env_var" not in entry:
            entry["bearer_token_env_var"] = bearer.group(1)
        elif whole and "-" not in value:
            names[header] = whole.group(1)
        else:
            values[header] = resolve(value, environ, f"{where} headers.{header}")
    if values:
        entry["http_headers"] = values
    if names:
        entry["env_http_headers"] = names
    return entry


def render_entry(launch: Launch) -> dict[str, Any]:
    """The table for a launch whose values are resolved already."""
    return render(launch, {}, "?")
