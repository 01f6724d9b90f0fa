"""Add one server of the MCP Registry to the lockfile: the work of `mcpstate add`.

The registry's server.json becomes a draft (serverjson.py), the draft is pinned by
`import`'s own path (`resolve_drafts`: exact version and integrity from npm or
PyPI), and the block is appended, everything else in the file byte-identical.
It prints nothing: the caller renders the `Added` it returns."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

from mcpstate.importer.adopt import Draft
from mcpstate.importer.serverjson import Exports
from mcpstate.lockfile.record import Recorded

if TYPE_CHECKING:
    from mcpstate.importer.surfaces import Recorder


class Added(NamedTuple):
    """What one `add` did: the lockfile written, the registry entry, the server block,
    the variables it references that the user must export."""

    lockfile: Path
    registry_url: str
    registry_name: str
    registry_version: str
    draft: Draft
    exports: Exports
    created: bool  # the lockfile did not exist before
    surfaces: tuple[Recorded, ...] = ()  # its tools: recorded, or why its surface is unreviewed


def split_spec(spec: str) -> tuple[str, str | None]:
    """`NAME[@VERSION]`: registry names hold no `@`, so the last one splits."""
    from mcpstate.errors import UsageError

    name, at, version = spec.rpartition("@") if "@" in spec else (spec, "", "")
    if not name or (at and not version):
        raise UsageError(f"{spec!r}: give NAME or NAME@VERSION, e.g. io.github.owner/server@1.2.0")
    return name, version or None


def add_server(lockfile_path: Path, spec: str, as_name: str | None, record: Recorder | None = None) -> Added:
    """Append the registry server `spec` (NAME[@VERSION]) to the lockfile, locked, its
    tool surface recorded by `record` when given. Nothing is written when the server
    cannot be found, drafted or pinned."""
    from mcpstate.importer.run import resolve_drafts
    from mcpstate.importer.serverjson import draft_from_server_json, server_name
    from mcpstate.lockfile import append, edit
    from mcpstate.lockfile.load import load_lockfile
    from mcpstate.lockfile.starter import STARTER
    from mcpstate.registry.mcp import open_mcp_registry

    before = lockfile_path.read_bytes() if lockfile_path.exists() else None
    lockfile = load_lockfile(lockfile_path) if before is not None else None
    configured: Mapping[str, str] = lockfile.registries if lockfile else {}
    registry_name, version = split_spec(spec)
    with open_mcp_registry(configured) as registry:
        entry = registry.version(registry_name, version or "latest")
        base = registry.base
    name = server_name(entry.name, as_name)
    _refuse_clash(name, set(lockfile.servers) if lockfile else set(), as_name is None)
    exports = Exports(name)
    draft = draft_from_server_json(name, entry.server, exports)
    resolve_drafts([draft], configured)
    surfaces = tuple(record([draft], configured)) if record else ()
    text = before.decode("utf-8") if before is not None else STARTER
    edit.save(lockfile_path, before, append.append_servers(text, {name: draft.fields}))
    return Added(lockfile_path, base, entry.name, entry.version, draft, exports, before is None, surfaces)


def _refuse_clash(name: str, existing: set[str], defaulted: bool) -> None:
    from mcpstate.errors import UsageError

    if name in existing:
        hint = "choose another name with --as NAME" if defaulted else "choose another --as NAME"
        raise UsageError(f"a server named {name!r} is already in the lockfile; it is left as it is: {hint}")
