"""Every client's entries in the one shape adopt.py reads (`command`, `args`, `env`,
`type`, `url`, `headers`), with each client's references written as the lockfile's
`${VAR}`: Cursor's `${env:VAR}`, Gemini's `$VAR`, Codex's variable names (`env_vars`,
`bearer_token_env_var`, `env_http_headers`). Client variables (`${workspaceFolder}`,
`${userHome}`, `${input:ID}`) are kept as written (DESIGN §14)."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from mcpstate.errors import TargetError
from mcpstate.model import Target

_ENV_COLON = re.compile(r"\$\{env:([A-Za-z_][A-Za-z0-9_]*)\}")
_BARE = re.compile(r"\$([A-Za-z_][A-Za-z0-9_]*)")


def read_entries(path: Path, client: str) -> dict[str, dict[str, Any]]:
    """The entries of a client config file, by name, in the lockfile's shape."""
    from mcpstate.targets import read_target

    if not path.exists():
        raise TargetError(f"{path}: no such file (give the config with --from PATH)")
    doc = read_target(path.parent, Target(client, str(path)))
    normalise = _NORMALISE.get(client, _env_colon)
    return {name: normalise(dict(entry)) for name, entry in doc.entries.items()}


def _same(entry: dict[str, Any]) -> dict[str, Any]:
    return entry


def _references(entry: dict[str, Any], convert: Callable[[str], str]) -> dict[str, Any]:
    def one(value: Any) -> Any:
        if isinstance(value, str):
            return convert(value)
        if isinstance(value, list):
            return [one(v) for v in value]
        if isinstance(value, dict):
            return {k: one(v) for k, v in value.items()}
        return value
    return {k: one(v) for k, v in entry.items()}


def _env_colon(entry: dict[str, Any]) -> dict[str, Any]:
    """Cursor, VS Code, Windsurf: `${env:VAR}` is the lockfile's `${VAR}`."""
    entry = _references(entry, lambda v: _ENV_COLON.sub(r"${\1}", v))
    if "serverUrl" in entry and "url" not in entry:  # Windsurf's name for it
        entry["url"] = entry.pop("serverUrl")
    return entry


def _gemini(entry: dict[str, Any]) -> dict[str, Any]:
    """`$VAR` is `${VAR}`; `httpUrl` is Streamable HTTP, a bare `url` SSE."""
    entry = _references(entry, lambda v: _BARE.sub(r"${\1}", v))
    if "httpUrl" in entry:
        entry = {"type": "http", "url": entry.pop("httpUrl"), **entry}
    elif "url" in entry:
        entry = {"type": "sse", **entry}
    return entry


def _codex(entry: dict[str, Any]) -> dict[str, Any]:
    """Variables passed by name become references to the same name."""
    out = {k: v for k, v in entry.items()
           if k not in ("env_vars", "bearer_token_env_var", "http_headers", "env_http_headers")}
    env = dict(entry.get("env") or {})
    env.update({name: f"${{{name}}}" for name in entry.get("env_vars") or ()})
    if env:
        out["env"] = env
    headers = dict(entry.get("http_headers") or {})
    headers.update({h: f"${{{v}}}" for h, v in (entry.get("env_http_headers") or {}).items()})
    if entry.get("bearer_token_env_var"):
        headers["Authorization"] = f"Bearer ${{{entry['bearer_token_env_var']}}}"
    if headers:
        out["headers"] = headers
    return out


_NORMALISE: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {
    "claude-code": _same, "claude-desktop": _same, "gemini": _gemini, "codex": _codex}
