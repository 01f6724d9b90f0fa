"""The client config formats. Each module gives KEY, render_entry(launch) and how the
client writes an environment reference; jsonfile.py does the reading and writing."""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from pathlib import Path
from types import ModuleType
from typing import Any

from mcpstate.secrets.references import rewrite
from mcpstate.fsutil import sha256_bytes
from mcpstate.store.launch import resolved
from mcpstate.model import Launch, Target, TargetFile
from mcpstate.targets.jsonfile import TargetDoc, entry_sha256, read_doc

MODULES = {"claude-code": "claude_code", "cursor": "cursor", "vscode": "vscode",
           "claude-desktop": "claude_desktop"}


def client_module(client: str) -> ModuleType:
    return importlib.import_module(f"mcpstate.targets.{MODULES[client]}")


def resolve_path(project_dir: Path, target: Target) -> Path:
    path = Path(target.path).expanduser()
    return path if path.is_absolute() else project_dir / path


def read_target(project_dir: Path, target: Target) -> TargetDoc:
    module = client_module(target.client)
    parse = getattr(module, "parse", None)
    return read_doc(resolve_path(project_dir, target), module.KEY, parse)


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
