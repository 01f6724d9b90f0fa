"""Client config entries as each client would launch them, for a third-party MCP client
(the MCP Inspector) that expands no variables itself.

Each function expands exactly the variables its client expands (DESIGN §14) and nothing
else: a variable of another client stays as written, so an entry written in the wrong
client's syntax fails to launch, as it would in that client.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

# Claude Code: ${VAR} and ${VAR:-default}, from the environment, in command, args, env,
# url and headers; a variable that is unset and has no default is an error of the config.
_CLAUDE_CODE = re.compile(r"\$\{([^}:]+)(?::-([^}]*))?\}")
# VS Code: ${userHome}, ${workspaceFolder}, ${env:VAR} (unset: empty); other ${...} stay.
_VSCODE = re.compile(r"\$\{(userHome|workspaceFolder|env:[^}]+|input:[^}]+)\}")


class UnresolvedVariable(LookupError):
    """A variable the client could not resolve, so it would not launch the entry."""


def expand_claude_code(value: Any, environ: Mapping[str, str]) -> Any:
    """`value` (an entry or any part of it) with Claude Code's variables expanded."""
    def one(match: re.Match[str]) -> str:
        name, default = match.group(1), match.group(2)
        if name in environ:
            return environ[name]
        if default is not None:
            return default
        raise UnresolvedVariable(f"${{{name}}} is not set and has no default")

    return _walk(value, lambda text: _CLAUDE_CODE.sub(one, text))


def expand_vscode(value: Any, environ: Mapping[str, str], user_home: str, workspace: str) -> Any:
    """`value` with VS Code's variables expanded; `${input:...}` asks the user, so it fails."""
    def one(match: re.Match[str]) -> str:
        name = match.group(1)
        if name == "userHome":
            return user_home
        if name == "workspaceFolder":
            return workspace
        if name.startswith("env:"):
            return environ.get(name[4:], "")
        raise UnresolvedVariable(f"${{{name}}} needs the user to answer a prompt")

    return _walk(value, lambda text: _VSCODE.sub(one, text))


def _walk(value: Any, expand: Callable[[str], str]) -> Any:
    if isinstance(value, str):
        return expand(value)
    if isinstance(value, list):
        return [_walk(v, expand) for v in value]
    if isinstance(value, dict):  # keys are names, never expanded
        return {k: _walk(v, expand) for k, v in value.items()}
    return value


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

