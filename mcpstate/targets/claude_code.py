"""Claude Code's `.mcp.json`: `mcpServers`, `${VAR}` expanded by the client."""

from __future__ import annotations

from typing import Any

from mcpstate.model import Launch
from mcpstate.targets.entries import remote_entry, stdio_entry

KEY = "mcpServers"
EXPANDS_VARIABLES = True


def reference(name: str, default: str | None) -> str:
    return f"${{{name}:-{default}}}" if default is not None else f"${{{name}}}"


def render_entry(launch: Launch) -> dict[str, Any]:
    if launch.url is not None:
        return remote_entry(launch, type=launch.transport)
    return stdio_entry(launch)
