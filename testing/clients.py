"""How each client launches a written entry: its own variable expansion (DESIGN §14),
written here from the clients' documentation, apart from mcpstate's code, so tests can
check that what mcpstate writes is what a client would run.

Each function expands exactly the variables its client expands and nothing else: a
variable of another client stays as written, so an entry written in the wrong client's
syntax fails to launch, as it would in that client.

    launch = as_client("vscode", entry, project_dir)   # a probe.Launch, variables expanded
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

# Claude Code: ${VAR} and ${VAR:-default}, from the environment, in command, args, env,
# url and headers; a variable that is unset and has no default is an error of the config.
_CLAUDE_CODE = re.compile(r"\$\{([^}:]+)(?::-([^}]*))?\}")
# Cursor and VS Code: ${userHome}, ${workspaceFolder}, ${env:VAR} (unset: empty); VS Code's
# ${input:...} asks the user; other ${...} stay. Windsurf: ${env:VAR} only.
_EDITOR = re.compile(r"\$\{(userHome|workspaceFolder|env:[^}]+|input:[^}]+)\}")
_ENV_ONLY = re.compile(r"\$\{(env:[^}]+)\}")
# Gemini CLI: $VAR and ${VAR}
_GEMINI = re.compile(r"\$(?:\{([A-Za-z_][A-Za-z0-9_]*)\}|([A-Za-z_][A-Za-z0-9_]*))")


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


def expand_vscode(value: Any, environ: Mapping[str, str], user_home: str, workspace: str,
                  pattern: re.Pattern[str] = _EDITOR) -> Any:
    """`value` with VS Code's (or Cursor's) variables expanded; `${input:...}` asks the
    user, so it fails."""
    def one(match: re.Match[str]) -> str:
        name = match.group(1)
        if name == "userHome":
            return user_home
        if name == "workspaceFolder":
            return workspace
        if name.startswith("env:"):
            return environ.get(name[4:], "")
        raise UnresolvedVariable(f"${{{name}}} needs the user to answer a prompt")

    return _walk(value, lambda text: pattern.sub(one, text))


def expand_gemini(value: Any, environ: Mapping[str, str]) -> Any:
    return _walk(value, lambda text: _GEMINI.sub(lambda m: environ.get(m[1] or m[2], ""), text))


def expand_as(client: str, value: Any, environ: Mapping[str, str], project: Path) -> Any:
    """`value` as `client` expands it (claude-desktop and codex expand nothing)."""
    home = environ.get("HOME", os.path.expanduser("~"))
    expanders: dict[str, Callable[[], Any]] = {
        "claude-code": lambda: expand_claude_code(value, environ),
        "cursor": lambda: expand_vscode(value, environ, home, str(project)),
        "vscode": lambda: expand_vscode(value, environ, home, str(project)),
        "windsurf": lambda: expand_vscode(value, environ, home, str(project), _ENV_ONLY),
        "gemini": lambda: expand_gemini(value, environ),
    }
    return expanders.get(client, lambda: value)()


def as_client(client: str, entry: Mapping[str, Any], project: Path,
              env: Mapping[str, str] | None = None) -> Any:
    """The Launch `client` makes of an `entry` it read: stdio (command, args, env) or
    remote (url, or windsurf's serverUrl, and headers)."""
    from mcpstate.probe import Launch

    x = expand_as(client, dict(entry), os.environ if env is None else env, project)
    url = x.get("url", x.get("serverUrl"))
    if url is not None:
        return Launch(url=str(url), headers={k: str(v) for k, v in (x.get("headers") or {}).items()})
    return Launch(command=str(x["command"]), args=tuple(str(a) for a in x.get("args", ())),
                  env={k: str(v) for k, v in (x.get("env") or {}).items()})


def _walk(value: Any, expand: Callable[[str], str]) -> Any:
    if isinstance(value, str):
        return expand(value)
    if isinstance(value, list):
        return [_walk(v, expand) for v in value]
    if isinstance(value, dict):  # keys are names, never expanded
        return {k: _walk(v, expand) for k, v in value.items()}
    return value
