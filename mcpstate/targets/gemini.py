"""Gemini CLI's `.gemini/settings.json` (and `~/.gemini/settings.json`): `mcpServers`
among the CLI's other settings; Gemini expands `$VAR` and `${VAR}` in them.

A remote entry says its transport by its key: `httpUrl` for Streamable HTTP, `url`
for SSE."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from mcpstate.model import Launch
from mcpstate.targets.entries import stdio_entry

KEY = "mcpServers"
EXPANDS_VARIABLES = True


def reference_in(environ: Mapping[str, str]) -> Callable[[str, str | None], str]:
    """`${VAR}`; a default is settled at apply time as for Cursor (cursor.reference_in):
    Gemini documents no `${VAR:-default}`, and what was tested is what it launches."""
    def reference(name: str, default: str | None) -> str:
        return f"${{{name}}}" if default is None or name in environ else default
    return reference


def render_entry(launch: Launch) -> dict[str, Any]:
    if launch.url is None:
        return stdio_entry(launch)
    entry: dict[str, Any] = {"url" if launch.transport == "sse" else "httpUrl": launch.url}
    if launch.headers:
        entry["headers"] = dict(launch.headers)
    return entry
