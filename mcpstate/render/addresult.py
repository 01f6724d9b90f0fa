"""What `mcpstate add` did: lines for people, the `--format json` document
(schemas/add.schema.json). Variables appear by name only."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from mcpstate.importer.add import Added
from mcpstate.lockfile.load import display
from mcpstate.lockfile.record import Recorded
from mcpstate.render.result import Line, Result


def add_result(added: Added) -> Result:
    notes = [f"{added.draft.name}: {note}" for note in added.draft.notes]
    warnings = notes + ([exports_warning(added)] if added.exports.why else []) + unreviewed(added.surfaces)
    return Result(0, _document(added, warnings), _lines(added), warnings=warnings)


def unreviewed(surfaces: Sequence[Recorded]) -> list[str]:
    """A warning for each added server whose tools nobody can review yet (no `tools:`)."""
    return [f"{r.server}: surface unreviewed ({r.why}); it gets no tools: pin, run `mcpstate lock` "
            "to record it once it can be probed" for r in surfaces if not r.reviewed]


def exports_warning(added: Added) -> str:
    names = ", ".join(f"{var} ({why})" for var, why in added.exports.why.items())
    return f"{added.draft.name} references variables: export them before `mcpstate apply`: {names}"


def _lines(added: Added) -> list[Line]:
    f = added.draft.fields
    what = f.get("package") or f.get("url")
    version = f" {f['version']}" if "version" in f else ""
    made = " (new lockfile)" if added.created else ""
    lines: list[Line] = [
        (f"+ {added.draft.name}  {f['source']} {what}{version}", None),
        (f"Added {added.draft.name} from {added.registry_name} {added.registry_version} to "
         f"{display(added.lockfile)}{made}; review it, then run: mcpstate apply", None)]
    lines += [(f"  export {var}=...", None) for var in added.exports.why]
    return lines


def _document(added: Added, warnings: list[str]) -> dict[str, Any]:
    f = added.draft.fields  # env and headers stay out: the lockfile holds them
    return {"format_version": "1", "lockfile": display(added.lockfile), "registry": added.registry_url,
            "registry_name": added.registry_name, "registry_version": added.registry_version,
            "server": added.draft.name, "source": f["source"], "package": f.get("package"),
            "version": f.get("version"), "integrity": f.get("integrity"), "url": f.get("url"),
            "tools": f.get("tools"),
            "created_lockfile": added.created,
            "variables": [{"variable": v, "why": why} for v, why in added.exports.why.items()],
            "warnings": warnings}
