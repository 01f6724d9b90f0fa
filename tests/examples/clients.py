"""Client config entries as each client would launch them (testing/clients.py), for a
third-party MCP client (the MCP Inspector) that expands no variables itself."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from testing.clients import expand_claude_code, expand_vscode


def inspector_config(client: str, text: str, environ: Mapping[str, str], workspace: str) -> dict[str, Any]:
    """The `mcpServers` config the Inspector's `--config` reads, from one client's file
    text, every entry as that client would launch it."""
    from mcpstate.targets import jsonc

    doc = jsonc.parse(text)
    if client == "claude-code":
        servers = doc["mcpServers"]
        entries = {name: expand_claude_code(entry, environ) for name, entry in servers.items()}
    elif client == "vscode":
        home = environ["HOME"]
        entries = {name: expand_vscode(entry, environ, home, workspace)
                   for name, entry in doc["servers"].items()}
    else:
        raise ValueError(f"no expansion for client {client!r}")
    return {"mcpServers": entries}

