"""Claude Desktop's `claude_desktop_config.json`: `mcpServers`, stdio entries only.

Claude Desktop expands no variables, so entries get values resolved at apply time and
the file is written 0600 (targets.file_mode). Its config has no url entries (remote
servers are added in the app, as connectors), so a remote server is refused: a bridge
rendered here (`npx mcp-remote <url>`) would be fetched unpinned at launch, never
staged, verified or health-tested as what it is, and carry its headers on a command
line that `ps` shows. Whoever wants the bridge declares it as a server of its own
(`source: npm`, `package: mcp-remote`, args `[<url>, --header, ...]`): then it is
pinned, verified and tested like any other."""

from __future__ import annotations

from typing import Any

from mcpstate.errors import TargetError
from mcpstate.model import Launch
from mcpstate.targets.entries import stdio_entry

KEY = "mcpServers"
EXPANDS_VARIABLES = False


def render_entry(launch: Launch) -> dict[str, Any]:
    if launch.url is not None:
        # the url is not named: here it is resolved, and may hold a secret
        raise TargetError(
            "claude-desktop cannot launch a remote server: its config file runs local "
            "commands only. Add the server in Claude Desktop as a connector and drop the "
            "claude-desktop target, or declare a pinned bridge instead of the remote server "
            "(source: npm, package: mcp-remote, args: [<url>])")
    return stdio_entry(launch)
