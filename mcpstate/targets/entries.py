"""The entry shapes the client formats share; each client module adds what differs."""

from __future__ import annotations

from typing import Any

from mcpstate.model import Launch


def stdio_entry(launch: Launch, **first: str) -> dict[str, Any]:
    """`{**first, command, args, env?}`: `first` for a leading `type` key (VS Code)."""
    entry: dict[str, Any] = {**first, "command": launch.command, "args": list(launch.args)}
    if launch.env:
        entry["env"] = dict(launch.env)
    return entry


def remote_entry(launch: Launch, **first: str) -> dict[str, Any]:
    entry: dict[str, Any] = {**first, "url": launch.url}
    if launch.headers:
        entry["headers"] = dict(launch.headers)
    return entry
