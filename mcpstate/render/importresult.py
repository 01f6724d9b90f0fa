"""What an import added, for `mcpstate import` and `mcpstate init`: a line per server
for people, and the `--format json` document (schemas/import.schema.json).

Secrets appear only by variable name: `Secrets.values` holds the values and is
never read here."""

from __future__ import annotations

from typing import Any

from mcpstate.importer.adopt import Draft, Secrets
from mcpstate.importer.run import Imported
from mcpstate.lockfile.load import display
from mcpstate.render.addresult import unreviewed
from mcpstate.render.result import Line, Result


def import_result(imported: Imported) -> Result:
    """The warnings go to stderr in both formats, and into the JSON document too."""
    notes = [f"{d.name}: {note}" for d in imported.drafts for note in d.notes]
    notes += [secrets_warning(imported.secrets)] if imported.secrets.users else []
    warnings = imported.skipped + notes + unreviewed(imported.surfaces)
    return Result(0, _document(imported, warnings), _lines(imported), warnings=warnings)


def _lines(imported: Imported) -> list[Line]:
    drafts = imported.drafts
    if not drafts:
        return [(f"Nothing to import from {display(imported.source)}.", None)]
    width = max(len(d.name) for d in drafts)
    lines: list[Line] = [(f"+ {d.name.ljust(width)}  {_what(d)}", None) for d in drafts]
    lines.append((f"Imported {len(drafts)} server(s) from {display(imported.source)} into "
                  f"{display(imported.lockfile)}; review it, then run: mcpstate plan", None))
    return lines


def _what(draft: Draft) -> str:
    f = draft.fields
    what = f.get("package") or f.get("command") or f.get("url")
    version = f" {f['version']}" if "version" in f else ""
    return f"{f['source']} {what}{version}"


def secrets_warning(secrets: Secrets) -> str:
    names = ", ".join(f"{var} ({', '.join(users)})" for var, users in secrets.users.items())
    return ("literal secrets were replaced by ${VAR} references in the lockfile; "
            f"export these variables before `mcpstate apply`: {names}")


def _document(imported: Imported, warnings: list[str]) -> dict[str, Any]:
    return {"format_version": "1", "from": display(imported.source), "lockfile": display(imported.lockfile),
            "added": [_added_json(d) for d in imported.drafts],
            "secret_variables": [{"variable": var, "servers": list(users)}
                                 for var, users in imported.secrets.users.items()],
            "warnings": warnings}


def _added_json(draft: Draft) -> dict[str, Any]:
    f = draft.fields  # env and headers stay out: only the lockfile needs them
    return {"server": draft.name, "entry": draft.original, "source": f["source"],
            "package": f.get("package"), "version": f.get("version"),
            "command": f.get("command"), "url": f.get("url")}
