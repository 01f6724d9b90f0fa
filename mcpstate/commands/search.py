"""mcpstate search TERM: the active servers of the MCP Registry whose name matches."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any

from mcpstate.context import Context
from mcpstate.render.result import Line, Result

if TYPE_CHECKING:
    from mcpstate.registry.mcp import Entry

COLUMNS = ("NAME", "VERSION", "SOURCE", "DESCRIPTION")
MIN_DESCRIPTION = 20  # below this a description says nothing: it runs past the edge instead


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("term", metavar="TERM", help="part of a server name, e.g. filesystem")
    parser.add_argument("--format", choices=("text", "json"), default="text",
                        help="json: every match (schemas/search.schema.json)")


def run(ctx: Context, args: argparse.Namespace) -> Result:
    from mcpstate.lockfile.load import load_lockfile
    from mcpstate.registry.mcp import open_mcp_registry

    # The lockfile only says which registry; search works without one.
    configured = load_lockfile(ctx.lockfile_path).registries if ctx.lockfile_path.exists() else {}
    with open_mcp_registry(configured) as registry:
        entries = registry.search(args.term)
        base = registry.base
    rows = [_row(e) for e in entries]
    document = {"format_version": "1", "registry": base, "term": args.term, "servers": rows}
    return Result(0, document, lambda: _table(rows, args.term, base))


def _row(entry: Entry) -> dict[str, Any]:
    from mcpstate.importer.serverjson import source_of

    return {"name": entry.name, "version": entry.version, "source": source_of(entry.server),
            "description": entry.description}


def _table(rows: list[dict[str, Any]], term: str, base: str) -> list[Line]:
    import shutil

    if not rows:
        return [(f"No active server in the MCP Registry at {base} matches {term!r}.", None)]
    cells = [[r["name"], r["version"], r["source"]] for r in rows]
    widths = [max(len(c[i]) for c in [list(COLUMNS[:3]), *cells]) for i in range(3)]
    room = max(MIN_DESCRIPTION, shutil.get_terminal_size((100, 24)).columns - sum(widths) - 6)
    lines: list[Line] = [(_join([*COLUMNS[:3]], widths, COLUMNS[3]), "bold")]
    lines += [(_join(c, widths, _cut(r["description"], room)), None) for c, r in zip(cells, rows)]
    lines.append((f"{len(rows)} server(s). Add one with: mcpstate add NAME[@VERSION]", None))
    return lines


def _join(cells: list[str], widths: list[int], last: str) -> str:
    return ("  ".join(c.ljust(w) for c, w in zip(cells, widths)) + "  " + last).rstrip()


def _cut(text: str, room: int) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= room else flat[: room - 1].rstrip() + "…"
