"""The client config formats. Each module gives KEY, render_entry(launch) and how the
client writes an environment reference; jsonfile.py does the reading and writing."""

from __future__ import annotations

import importlib
import os
import re
from collections.abc import Mapping
from pathlib import Path
from types import ModuleType
from typing import Any

from mcpstate.secrets.references import rewrite
from mcpstate.fsutil import sha256_bytes
from mcpstate.store.launch import resolved
from mcpstate.model import Launch, Target, TargetFile
from mcpstate.errors import TargetError
from mcpstate.targets.jsonfile import TargetDoc, entry_sha256, read_doc, with_entry

MODULES = {"claude-code": "claude_code", "cursor": "cursor", "vscode": "vscode",
           "claude-desktop": "claude_desktop", "codex": "codex", "gemini": "gemini",
           "windsurf": "windsurf"}
_APP_DATA = re.compile(r"^%([A-Za-z_][A-Za-z0-9_]*)%")


def client_module(client: str) -> ModuleType:
    return importlib.import_module(f"mcpstate.targets.{MODULES[client]}")


def resolve_path(project_dir: Path, target: Target) -> Path:
    """The file: `~` is the home folder and a leading `%APPDATA%` that variable (the user
    files of DESIGN §14, spelled the same on every machine); others are in the project."""
    text = _APP_DATA.sub(lambda m: _folder_variable(m.group(1)), target.path)
    path = Path(text).expanduser()
    return path if path.is_absolute() else project_dir / path


def _folder_variable(name: str) -> str:
    value = os.environ.get(name)
    if not value:
        raise TargetError(f"%{name}% is not set: it names the folder of a user-scoped target")
    return value.replace("\\", "/")


def read_target(project_dir: Path, target: Target) -> TargetDoc:
    module = client_module(target.client)
    path = resolve_path(project_dir, target)
    if hasattr(module, "read_doc"):
        return module.read_doc(path, module.KEY)  # type: ignore[no-any-return]
    return read_doc(path, module.KEY, getattr(module, "parse", None))


def entry_written(client: str, doc: TargetDoc, name: str, entry: dict[str, Any] | None) -> bytes:
    """The file's bytes with `name` set to `entry` (None: removed), nothing else moved."""
    write = getattr(client_module(client), "with_entry", with_entry)
    return write(doc, name, entry)  # type: ignore[no-any-return]


def observe_target(project_dir: Path, target: Target) -> TargetFile:
    """The file as found: its sha256 and one hash per entry."""
    doc = read_target(project_dir, target)
    entries = {name: entry_sha256(entry) for name, entry in doc.entries.items()}
    sha = sha256_bytes(doc.raw) if doc.raw is not None else None
    warnings = tuple(getattr(client_module(target.client), "warnings", lambda d: ())(doc))
    return TargetFile(target.client, target.path, doc.raw is not None, sha, entries, warnings)


def render_for(client: str, launch: Launch, environ: Mapping[str, str], server: str) -> dict[str, Any]:
    """The entry a client gets: references in its own syntax, or resolved values for a
    client that expands nothing (claude-desktop)."""
    module = client_module(client)
    if hasattr(module, "render"):  # the client passes some references through by name (codex)
        return module.render(launch, environ, server)  # type: ignore[no-any-return]
    if getattr(module, "EXPANDS_VARIABLES", True):
        style = getattr(module, "reference_in", lambda _environ: module.reference)(environ)
        launch = Launch(command=rewrite(launch.command, style) if launch.command else None,
                        args=tuple(rewrite(a, style) for a in launch.args),
                        env={k: rewrite(v, style) for k, v in launch.env.items()},
                        url=rewrite(launch.url, style) if launch.url else None,
                        headers={k: rewrite(v, style) for k, v in launch.headers.items()},
                        transport=launch.transport)
    else:
        launch = resolved(launch, environ, server)
    return module.render_entry(launch)  # type: ignore[no-any-return]


def file_mode(client: str) -> int | None:
    """Files holding resolved secrets are private; others keep their mode."""
    return 0o600 if not getattr(client_module(client), "EXPANDS_VARIABLES", True) else None
