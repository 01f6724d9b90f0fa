"""The client config formats. Each module gives KEY, render_entry(launch) and how the
client writes an environment reference; jsonfile.py does the reading and writing."""

from __future__ import annotations

import importlib
from pathlib import Path
from types import ModuleType

from mcpstate.model import Target, TargetFile
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
    import hashlib

    doc = read_target(project_dir, target)
    entries = {name: entry_sha256(entry) for name, entry in doc.entries.items()}
    sha = hashlib.sha256(doc.raw).hexdigest() if doc.raw is not None else None
    warnings = tuple(getattr(client_module(target.client), "warnings", lambda d: ())(doc))
    return TargetFile(target.client, target.path, doc.raw is not None, sha, entries, warnings)
