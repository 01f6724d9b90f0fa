"""mcpstate history [NAME]: the revisions, Helm's columns."""

from __future__ import annotations

import argparse

from mcpstate.context import Context


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("name", nargs="?", metavar="NAME")
    parser.add_argument("--format", choices=("text", "json"), default="text")


def run(ctx: Context, args: argparse.Namespace) -> int:
    from mcpstate.state.history import history_rows
    from mcpstate.state.journal import read_journal_all
    from mcpstate.render.table import table
    from mcpstate.state.file import load_state

    state_dir = ctx.state_dir_even_without_lockfile()
    journal = read_journal_all(state_dir)  # gc moves old lines to archives
    for warning in journal.warnings:
        ctx.out.warn(warning)
    records = journal.records
    rows = history_rows(records, load_state(state_dir), args.name)
    if args.format == "json":
        ctx.out.json({"format_version": "1", "revisions": [r.to_json() for r in rows]})
        return 0
    if not rows:
        ctx.out.print(f"No history{' for ' + args.name if args.name else ''} yet.")
        return 0
    head = (["SERVER"] if not args.name else []) + ["REVISION", "UPDATED", "STATUS", "VERSION", "DESCRIPTION"]
    body = [([r.server] if not args.name else []) +
            [str(r.revision or "-"), r.updated, r.status, r.version or "-", _short(r.description)]
            for r in rows]
    for line in table(head, body):
        ctx.out.print(line)
    return 0


def _short(text: str, limit: int = 100) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."
