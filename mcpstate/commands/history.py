"""mcpstate history [NAME]: the revisions, Helm's columns."""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from typing import TYPE_CHECKING

from mcpstate.context import Context
from mcpstate.render.result import Line, Result

if TYPE_CHECKING:
    from mcpstate.state.history import Row


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("names", nargs="*", metavar="NAME", help="only these servers (default: all)")
    parser.add_argument("--format", choices=("text", "json"), default="text")


def run(ctx: Context, args: argparse.Namespace) -> Result:
    from mcpstate.state.file import load_state
    from mcpstate.state.history import history_rows
    from mcpstate.state.journal import read_journal_all

    state_dir = ctx.state_dir_even_without_lockfile()
    journal = read_journal_all(state_dir)  # gc moves old lines to archives
    rows = history_rows(journal.records, load_state(state_dir), args.names)
    return Result(0, {"format_version": "1", "revisions": [r.to_json() for r in rows]},
                  lambda: _lines(rows, args.names), warnings=journal.warnings)


def _lines(rows: Sequence[Row], names: Sequence[str]) -> list[Line]:
    from mcpstate.render.table import table

    if not rows:
        return [(f"No history{' for ' + ', '.join(names) if names else ''} yet.", None)]
    one = len(names) == 1  # one server's history needs no SERVER column (Helm's columns)
    head = (["SERVER"] if not one else []) + ["REVISION", "UPDATED", "STATUS", "VERSION", "DESCRIPTION"]
    body = [([r.server] if not one else []) +
            [str(r.revision or "-"), r.updated, r.status, r.version or "-", _short(r.description)]
            for r in rows]
    return [(line, None) for line in table(head, body)]


def _short(text: str, limit: int = 100) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."
