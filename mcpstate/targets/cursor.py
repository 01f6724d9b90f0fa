"""Cursor's `.cursor/mcp.json`: `mcpServers`; Cursor expands `${env:VAR}`, `${userHome}`
and `${workspaceFolder}` in command, args, env, url and headers when it starts a server.
`${HOME}` is written `${userHome}`, the client's own name for the home folder, so a store
path reads the same on every machine (DESIGN §14)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from mcpstate.model import Launch
from mcpstate.targets.entries import remote_entry, stdio_entry

KEY = "mcpServers"
EXPANDS_VARIABLES = True


def reference_in(environ: Mapping[str, str]) -> Callable[[str, str | None], str]:
    """`${env:VAR}` references, with the home folder as `${userHome}` (see `env_reference_in`)."""
    return env_reference_in(environ, home="${userHome}")


def env_reference_in(environ: Mapping[str, str], home: str | None = None) -> Callable[[str, str | None], str]:
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
        if name == "HOME" and default is None and home is not None:
            return home
        if default is None or name in environ:
            return f"${{env:{name}}}"
        return default
    return reference


def render_entry(launch: Launch) -> dict[str, Any]:
    if launch.url is not None:
        return remote_entry(launch)  # Cursor tells Streamable HTTP from SSE by itself
    return stdio_entry(launch)
