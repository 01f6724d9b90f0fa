"""Claude Code's `.mcp.json`: `mcpServers`, `${VAR}` expanded by the client."""

from __future__ import annotations

from typing import Any

from mcpstate.model import Launch

KEY = "mcpServers"
EXPANDS_VARIABLES = True


def reference(name: str, default: str | None) -> str:
    return f"${{{name}:-{default}}}" if default is not None else f"${{{name}}}"


def render_entry(launch: Launch) -> dict[str, Any]:
    if launch.url is not None:
        entry: dict[str, Any] = {"type": launch.transport, "url": launch.url}
        if launch.headers:
            entry["headers"] = dict(launch.headers)
        return entry
    entry = {"command": launch.command, "args": list(launch.args)}
    if launch.env:
        entry["env"] = dict(launch.env)
    return entry
