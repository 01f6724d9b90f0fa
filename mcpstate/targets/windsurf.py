"""Windsurf's `~/.codeium/windsurf/mcp_config.json` (a user file only): `mcpServers`;
Windsurf expands `${env:VAR}` as Cursor does, and a remote entry's url is `serverUrl`."""

from __future__ import annotations

from typing import Any

from mcpstate.model import Launch
from mcpstate.targets import cursor
from mcpstate.targets.entries import stdio_entry

KEY = "mcpServers"
EXPANDS_VARIABLES = True
reference_in = cursor.env_reference_in  # `${env:VAR}` only (no `${userHome}`), no default syntax


def render_entry(launch: Launch) -> dict[str, Any]:
    if launch.url is None:
        return stdio_entry(launch)
    entry: dict[str, Any] = {"serverUrl": launch.url}
    if launch.headers:
        entry["headers"] = dict(launch.headers)
    return entry
