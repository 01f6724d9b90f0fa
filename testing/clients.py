"""How each client launches a written entry: its own variable expansion (DESIGN §14),
written here from the clients' documentation, apart from mcpstate's code, so tests can
check that what mcpstate writes is what a client would run.

    launch = as_client("vscode", entry, project_dir)   # a probe.Launch, variables expanded
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

# claude-code: ${VAR} and ${VAR:-default}; gemini: $VAR and ${VAR}
_DOLLAR_BRACE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}")
_DOLLAR_BARE = re.compile(r"\$([A-Za-z_][A-Za-z0-9_]*)")
# cursor, vscode, windsurf: ${env:VAR}, ${userHome}, ${workspaceFolder}
_EDITOR = re.compile(r"\$\{(env:([A-Za-z_][A-Za-z0-9_]*)|userHome|workspaceFolder|workspaceFolderBasename)\}")


def _claude_code(value: str, env: Mapping[str, str], project: Path) -> str:
    def one(m: re.Match[str]) -> str:
        if m[1] in env:
            return env[m[1]]
        if m[2] is not None:
            return m[2]
        raise KeyError(f"claude-code: ${{{m[1]}}} is not set")
    return _DOLLAR_BRACE.sub(one, value)


def _gemini(value: str, env: Mapping[str, str], project: Path) -> str:
    value = _DOLLAR_BRACE.sub(lambda m: env.get(m[1], ""), value)
    return _DOLLAR_BARE.sub(lambda m: env.get(m[1], ""), value)


def _editor(value: str, env: Mapping[str, str], project: Path) -> str:
    def one(m: re.Match[str]) -> str:
        if m[2]:
            return env.get(m[2], "")
        return {"userHome": env.get("HOME", os.path.expanduser("~")), "workspaceFolder": str(project),
                "workspaceFolderBasename": project.name}[m[1]]
    return _EDITOR.sub(one, value)


def _nothing(value: str, env: Mapping[str, str], project: Path) -> str:
    return value


EXPANDERS: dict[str, Callable[[str, Mapping[str, str], Path], str]] = {
    "claude-code": _claude_code, "gemini": _gemini, "cursor": _editor, "vscode": _editor,
    "windsurf": _editor, "claude-desktop": _nothing, "codex": _nothing,
}


def as_client(client: str, entry: Mapping[str, Any], project: Path,
              env: Mapping[str, str] | None = None) -> Any:
    """The Launch `client` makes of an `entry` it read: stdio (command, args, env) or
    remote (url, or windsurf's serverUrl, and headers)."""
    from mcpstate.probe import Launch

    environ = os.environ if env is None else env
    expand = EXPANDERS[client]
    url = entry.get("url", entry.get("serverUrl"))
    if url is not None:
        return Launch(url=expand(str(url), environ, project),
                      headers={k: expand(str(v), environ, project) for k, v in (entry.get("headers") or {}).items()})
    return Launch(command=expand(str(entry["command"]), environ, project),
                  args=tuple(expand(str(a), environ, project) for a in entry.get("args", ())),
                  env={k: expand(str(v), environ, project) for k, v in (entry.get("env") or {}).items()})
