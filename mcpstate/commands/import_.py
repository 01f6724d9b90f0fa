"""mcpstate import: add lockfile servers for the entries of a client config,
creating the lockfile when there is none. Packages are pinned to exact versions
with their integrity; literal secrets become `${VAR}` references."""

from __future__ import annotations

import argparse
from collections.abc import Mapping
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from mcpstate.context import Context
from mcpstate.model import CLIENTS, DEFAULT_TARGET_PATHS

HEADER = """\
# mcpstate lockfile: the MCP servers of this project, pinned and reviewed.
# Imported from {source} by `mcpstate import`; `mcpstate plan` shows what apply would change.
version: 1
targets:
  - {{client: {client}, path: {target}}}
"""


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--from", dest="from_path", metavar="PATH",
                        help="the client config to read (default: the client's file in the project)")
    parser.add_argument("--client", choices=CLIENTS, default="claude-code",
                        help="the format of that file (default: claude-code)")
    parser.add_argument("--format", choices=("text", "json"), default="text",
                        help="json: the servers added, the variables to export, the warnings "
                             "(schemas/import.schema.json)")


def run(ctx: Context, args: argparse.Namespace) -> int:
    path = Path(args.from_path) if args.from_path else ctx.project_dir / DEFAULT_TARGET_PATHS[args.client]
    return import_config(ctx, path.resolve(), args.client, args.format)


def adopt_for_init(ctx: Context, existing: Path) -> int | None:
    """For `mcpstate init`: adopt an existing .mcp.json; None when it has no servers."""
    from mcpstate.importer.adopt import read_client_config

    if not read_client_config(existing, "claude-code"):
        return None
    return import_config(ctx, existing, "claude-code")


def import_config(ctx: Context, path: Path, client: str, fmt: str = "text") -> int:
    """Add the servers of the client config at `path` to the lockfile (made if missing)."""
    from mcpstate.importer import adopt
    from mcpstate.lockfile import append, edit
    from mcpstate.lockfile.load import load_lockfile

    entries = adopt.read_client_config(path, client)
    before = ctx.lockfile_path.read_bytes() if ctx.lockfile_path.exists() else None
    lockfile = load_lockfile(ctx.lockfile_path) if before is not None else None
    text = before.decode("utf-8") if before is not None else _header(ctx, path, client)
    secrets = adopt.Secrets()
    skipped: list[str] = []  # warnings about config entries left out
    drafts = _drafts(ctx, entries, set(lockfile.servers) if lockfile else set(), secrets, skipped)
    if drafts:
        _resolve(drafts, lockfile.registries if lockfile else {})
        new_text = append.append_servers(text, {d.name: d.fields for d in drafts})
        edit.save(ctx.lockfile_path, before, new_text)
    if fmt == "json":
        _report_json(ctx, path, drafts, secrets, skipped)
    elif drafts:
        _report(ctx, path, drafts, secrets)
    else:
        ctx.out.print(f"Nothing to import from {_show(path)}.")
    return 0


def _drafts(ctx: Context, entries: dict[str, dict[str, Any]], existing: set[str],
            secrets: Any, skipped: list[str]) -> list[Any]:
    from mcpstate.importer.adopt import draft_server, lockfile_name

    drafts, taken = [], set(existing)
    for original, entry in entries.items():
        if lockfile_name(original, set()) in existing:
            skipped.append(f"{original}: already in the lockfile, left as it is")
            ctx.out.warn(skipped[-1])
            continue
        name = lockfile_name(original, taken)
        taken.add(name)
        drafts.append(draft_server(name, original, entry, secrets))
    return drafts


def _resolve(drafts: list[Any], configured: Mapping[str, str]) -> None:
    """Pin every package draft, fetching each catalog once, concurrently."""
    from mcpstate.importer.adopt import resolve
    from mcpstate.registry import fetch_catalogs

    keys = [(d.parsed.source, d.parsed.package) for d in drafts
            if d.parsed is not None and d.parsed.source in ("npm", "pypi")]
    if not keys:
        return
    catalogs = fetch_catalogs(configured, keys)
    now = datetime.now(timezone.utc)
    for draft in drafts:
        key = (draft.parsed.source, draft.parsed.package) if draft.parsed else None
        resolve(draft, catalogs.get(key) if key else None, now)


def _report(ctx: Context, path: Path, drafts: list[Any], secrets: Any) -> None:
    width = max(len(d.name) for d in drafts)
    for draft in drafts:
        f = draft.fields
        what = f.get("package") or f.get("command") or f.get("url")
        version = f" {f['version']}" if "version" in f else ""
        ctx.out.print(f"+ {draft.name.ljust(width)}  {f['source']} {what}{version}")
        for note in draft.notes:
            ctx.out.warn(f"{draft.name}: {note}")
    if secrets.users:
        ctx.out.warn(_secrets_warning(secrets))
    ctx.out.print(f"Imported {len(drafts)} server(s) from {_show(path)} into "
                  f"{_show(ctx.lockfile_path)}; review it, then run: mcpstate plan")


def _secrets_warning(secrets: Any) -> str:
    names = ", ".join(f"{var} ({', '.join(users)})" for var, users in secrets.users.items())
    return ("literal secrets were replaced by ${VAR} references in the lockfile; "
            f"export these variables before `mcpstate apply`: {names}")


def _report_json(ctx: Context, path: Path, drafts: list[Any], secrets: Any, skipped: list[str]) -> None:
    """Warnings go to stderr as in text mode, and into the document; secrets only by
    variable name (`secrets.values` holds the values and must never be printed)."""
    notes = [f"{d.name}: {note}" for d in drafts for note in d.notes]
    notes += [_secrets_warning(secrets)] if secrets.users else []
    for note in notes:
        ctx.out.warn(note)
    ctx.out.json({
        "format_version": "1", "from": _show(path), "lockfile": _show(ctx.lockfile_path),
        "added": [_added_json(d) for d in drafts],
        "secret_variables": [{"variable": var, "servers": list(users)}
                             for var, users in secrets.users.items()],
        "warnings": skipped + notes})


def _added_json(draft: Any) -> dict[str, Any]:
    f = draft.fields  # env and headers stay out: only the lockfile needs them
    return {"server": draft.name, "entry": draft.original, "source": f["source"],
            "package": f.get("package"), "version": f.get("version"),
            "command": f.get("command"), "url": f.get("url")}


def _header(ctx: Context, path: Path, client: str) -> str:
    # The imported file becomes the target when it is inside the project.
    try:
        target = path.relative_to(ctx.project_dir).as_posix()
    except ValueError:
        target = DEFAULT_TARGET_PATHS[client]
    return HEADER.format(source=_show(path), client=client, target=target)


def _show(path: Path) -> str:
    from mcpstate.lockfile.load import display

    return display(path)


__all__ = ["adopt_for_init", "import_config"]
