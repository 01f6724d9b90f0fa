"""Add the servers of a client config to the lockfile, making the lockfile when there
is none: the work of `mcpstate import`, and of `mcpstate init` when there is an
.mcp.json to adopt. Packages are pinned to exact versions with their integrity;
literal secrets become `${VAR}` references. It prints nothing: the caller renders
the `Imported` it returns."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from mcpstate.importer.adopt import Draft, Secrets
from mcpstate.lockfile.load import display
from mcpstate.lockfile.record import Recorded

if TYPE_CHECKING:
    from mcpstate.importer.surfaces import Recorder

HEADER = """\
# mcpstate lockfile: the MCP servers of this project, pinned and reviewed.
# Imported from {source} by `mcpstate import`; `mcpstate plan` shows what apply would change.
version: 1
targets:
  - {target}
"""


class Imported(NamedTuple):
    """What one import did: the config read, the lockfile written, the servers added,
    the variables that now hold the config's secrets, and the entries left out (why)."""

    source: Path
    lockfile: Path
    drafts: list[Draft]
    secrets: Secrets
    skipped: list[str]
    surfaces: tuple[Recorded, ...] = ()  # each added server's tools: recorded, or why unreviewed


def import_config(project_dir: Path, lockfile_path: Path, path: Path, client: str,
                  record: Recorder | None = None) -> Imported:
    """Add the servers of the client config at `path` to the lockfile (made if missing),
    their tool surfaces recorded by `record` when given. Nothing is written when any
    server cannot be pinned."""
    from mcpstate.importer.clients import read_entries
    from mcpstate.importer.targets import add_target, flow, target_for
    from mcpstate.lockfile import append, edit
    from mcpstate.lockfile.load import load_lockfile

    entries = read_entries(path, client)
    target = target_for(project_dir, path, client)
    before = lockfile_path.read_bytes() if lockfile_path.exists() else None
    lockfile = load_lockfile(lockfile_path) if before is not None else None
    text = before.decode("utf-8") if before is not None else HEADER.format(source=display(path), target=flow(target))
    text = add_target(text, target)  # the file's servers are managed there from now on
    secrets = Secrets()
    skipped: list[str] = []
    drafts = _drafts(entries, set(lockfile.servers) if lockfile else set(), secrets, skipped)
    surfaces: tuple[Recorded, ...] = ()
    if drafts:
        configured = lockfile.registries if lockfile else {}
        resolve_drafts(drafts, configured)
        surfaces = tuple(record(drafts, configured)) if record else ()
        text = append.append_servers(text, {d.name: d.fields for d in drafts})
    if before is None and not drafts:
        return Imported(path, lockfile_path, drafts, secrets, skipped)
    if before is None or text != before.decode("utf-8"):
        edit.save(lockfile_path, before, text)
    return Imported(path, lockfile_path, drafts, secrets, skipped, surfaces)


def _drafts(entries: Mapping[str, dict[str, Any]], existing: set[str], secrets: Secrets,
            skipped: list[str]) -> list[Draft]:
    """A draft for each entry not in the lockfile yet; the others are named in `skipped`."""
    from mcpstate.importer.adopt import draft_server, lockfile_name

    drafts, taken = [], set(existing)
    for original, entry in entries.items():
        if lockfile_name(original, set()) in existing:
            skipped.append(f"{original}: already in the lockfile, left as it is")
            continue
        name = lockfile_name(original, taken)
        taken.add(name)
        drafts.append(draft_server(name, original, entry, secrets))
    return drafts


def resolve_drafts(drafts: list[Draft], configured: Mapping[str, str]) -> None:
    """Pin every package draft, fetching each catalog once, concurrently (also `add`'s path)."""
    from mcpstate.importer.adopt import resolve
    from mcpstate.registry import fetch_catalogs

    keys = [key for key in map(_package_key, drafts) if key is not None]
    if not keys:
        return
    catalogs = fetch_catalogs(configured, keys)
    now = datetime.now(timezone.utc)
    for draft in drafts:
        key = _package_key(draft)
        resolve(draft, catalogs.get(key) if key else None, now)


def _package_key(draft: Draft) -> tuple[str, str] | None:
    """(source, package) of an npm or PyPI draft, the key of its registry catalog."""
    parsed = draft.parsed
    if parsed is None or parsed.source not in ("npm", "pypi") or not parsed.package:
        return None
    return parsed.source, parsed.package
