"""Cursor's `.cursor/mcp.json`: `mcpServers`; Cursor expands `${env:VAR}` in command,
args, env, url and headers when it starts a server."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from mcpstate.model import Launch
from mcpstate.targets.entries import remote_entry, stdio_entry

KEY = "mcpServers"
EXPANDS_VARIABLES = True


def reference_in(environ: Mapping[str, str]) -> Callable[[str, str | None], str]:
    """How a `${VAR}` / `${VAR:-default}` reference is written, given the apply's
    environment.

    `${env:VAR}` has no default syntax (in Cursor nor in VS Code), so a default is
    settled at apply time, the way the health test settles it (envrefs.resolve): when
    VAR is set, the entry keeps the reference `${env:VAR}` and the client reads the
    variable itself; when it is unset, the entry gets the default, written out. The
    entry thus launches what was tested. A default is never a secret (the lockfile
    holds it in clear), so writing it out leaks nothing. Setting or unsetting VAR later
    changes no file until the server is applied again."""
    def reference(name: str, default: str | None) -> str:
        if default is None or name in environ:
            return f"${{env:{name}}}"
        return default
    return reference


def render_entry(launch: Launch) -> dict[str, Any]:
    if launch.url is not None:
        return remote_entry(launch)  # Cursor tells Streamable HTTP from SSE by itself
    return stdio_entry(launch)
