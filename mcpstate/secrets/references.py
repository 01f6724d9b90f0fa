"""`${VAR}` and `${VAR:-default}` references: how each client writes them, and their
values at apply time (DESIGN §11). Secrets stay in the environment."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping

from mcpstate.errors import McpStateError
from mcpstate.secrets.redact import remember

# `${workspaceFolder}` and `${userHome}` look like references but are client variables
# (DESIGN §14): never looked up in the environment, passed through to the client.
REFERENCE = re.compile(r"\$\{(?!(?:workspaceFolder|userHome)\})([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}")
CLIENT_VARIABLE = re.compile(r"\$\{(workspaceFolder|userHome|input:[^}]*)\}")


class UnresolvedReference(McpStateError):
    pass


def resolve(value: str, environ: Mapping[str, str], where: str) -> str:
    """The value with every reference replaced; a variable that is unset and has no
    default is an error naming it. Each value taken from the environment is remembered
    for redaction (a default is not: the lockfile shows it in clear anyway)."""
    def one(match: re.Match[str]) -> str:
        name, default = match.group(1), match.group(2)
        if name in environ:
            remember(name, environ[name])
            return environ[name]
        if default is not None:
            return default
        raise UnresolvedReference(f"{where}: environment variable {name} is not set")
    asked = next((m.group() for m in CLIENT_VARIABLE.finditer(value) if m.group(1).startswith("input:")), None)
    if asked:  # a prompt to the user when VS Code starts the server: no value exists before
        raise UnresolvedReference(f"{where}: {asked} is asked of the user by VS Code when it starts the "
                                  "server; mcpstate cannot probe it. Reference an environment variable "
                                  "instead (${VAR} in the lockfile), or manage this server by hand")
    return REFERENCE.sub(one, value)


def resolve_all(values: Mapping[str, str], environ: Mapping[str, str], where: str) -> dict[str, str]:
    return {k: resolve(v, environ, f"{where}.{k}") for k, v in values.items()}


def rewrite(value: str, style: Callable[[str, str | None], str]) -> str:
    """The value with each reference written the way a client expects it."""
    return REFERENCE.sub(lambda m: style(m.group(1), m.group(2)), value)


def names(value: str) -> list[str]:
    return [m.group(1) for m in REFERENCE.finditer(value)]
