"""mcpstate outdated: SERVER, SOURCE, LOCKED, WANTED, LATEST for registry servers."""

from __future__ import annotations

import argparse
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from mcpstate.context import Context
from mcpstate.render.result import Line, Result

if TYPE_CHECKING:
    from mcpstate.lockfile.pins import PinStatus

COLUMNS = ("SERVER", "SOURCE", "LOCKED", "WANTED", "LATEST")


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("names", nargs="*", metavar="NAME", help="only these servers")
    parser.add_argument("--format", choices=("text", "json"), default="text")


def run(ctx: Context, args: argparse.Namespace) -> Result:
    from mcpstate.lockfile import pins
    from mcpstate.lockfile.load import load_lockfile
    from mcpstate.registry import fetch_catalogs
    from mcpstate.registry.follow import follow_mcp_registry

    lockfile = load_lockfile(ctx.lockfile_path)
    servers = pins.registry_servers(lockfile, args.names)
    catalogs = fetch_catalogs(lockfile.registries, pins.catalog_keys(servers))
    now = datetime.now(timezone.utc)
    statuses = follow_mcp_registry(lockfile.registries, pins.pin_statuses(servers, catalogs, now), now)
    errors = [f"{s.server.name}: {s.error}" for s in statuses if s.error]
    return Result(1 if errors else 0, {"format_version": "1", "servers": [_json_row(s) for s in statuses]},
                  lambda: _table(statuses), errors=errors,
                  warnings=list(dict.fromkeys(s.note for s in statuses if s.note)))


def is_outdated(status: PinStatus) -> bool:
    from mcpstate.registry.versions import is_newer

    if status.catalog is None:
        return False
    locked = status.server.version or ""
    return any(v is not None and is_newer(status.catalog.ecosystem, v, locked)
               for v in (status.wanted, status.latest))


def _json_row(status: PinStatus) -> dict[str, Any]:
    server = status.server
    row = {"server": server.name, "source": server.source, "package": server.package,
           "locked": server.version, "wanted": status.wanted, "latest": status.latest,
           "outdated": is_outdated(status)}
    return {**row, "error": status.error} if status.error else row


def _table(statuses: list[PinStatus]) -> list[Line]:
    """npm's way: only the servers with something newer (or an error) are listed."""
    shown = [s for s in statuses if is_outdated(s) or s.error]
    if not shown:
        return [(f"All {len(statuses)} pinned servers are up to date.", None)]
    rows = [COLUMNS] + [(s.server.name, s.server.source, s.server.version or "-",
                         s.wanted or "-", s.latest or "-") if not s.error else
                        (s.server.name, s.server.source, s.server.version or "-", "?", "?")
                        for s in shown]
    widths = [max(len(row[i]) for row in rows) for i in range(len(COLUMNS))]
    return [("  ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip(), _style(status))
            for row, status in zip(rows, [None, *shown])]


def _style(status: PinStatus | None) -> str | None:
    # As npm: red when `update` would move the pin, yellow when only --latest would.
    if status is None:
        return "bold"
    if status.error:
        return "red"
    from mcpstate.registry.versions import is_newer

    moves = status.wanted and status.catalog and is_newer(status.catalog.ecosystem, status.wanted,
                                                          status.server.version or "")
    return "red" if moves else "yellow"
