"""mcpstate test NAME [--version V]: stage if needed and health-test one server; never swaps."""

from __future__ import annotations

import argparse

from mcpstate.context import Context
from mcpstate.render.result import Result


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("name", metavar="NAME")
    parser.add_argument("--version", dest="test_version", metavar="V",
                        help="test this version instead of the lockfile's pin")
    parser.add_argument("--format", choices=("text", "json"), default="text")


def run(ctx: Context, args: argparse.Namespace) -> Result:
    from mcpstate.apply.health import test_server
    from mcpstate.lockfile.load import load_lockfile
    from mcpstate.probe import render_report_text
    from mcpstate.state.file import load_state

    lockfile = load_lockfile(ctx.lockfile_path)
    state_dir = ctx.state_dir(lockfile.state_dir)
    ctx.out.progress(f"[{args.name}] staging and testing")
    tested = test_server(lockfile, load_state(state_dir), state_dir, args.name, args.test_version)
    report = tested.report
    document = {**report.to_json(), "server": tested.server, "version": tested.version,
                "report_path": str(tested.report_path) if tested.report_path else None}
    notes = [f"report: {tested.report_path}"] if tested.report_path else []
    return Result(0 if report.passed else 1, document, lambda: render_report_text(report), notes=notes)
