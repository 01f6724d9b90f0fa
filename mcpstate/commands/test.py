"""mcpstate test NAME [--version V]: stage if needed and health-test one server; never swaps."""

from __future__ import annotations

import argparse

from mcpstate.context import Context


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("name", metavar="NAME")
    parser.add_argument("--version", dest="test_version", metavar="V",
                        help="test this version instead of the lockfile's pin")
    parser.add_argument("--format", choices=("text", "json"), default="text")


def run(ctx: Context, args: argparse.Namespace) -> int:
    from mcpstate.apply.health import test_server
    from mcpstate.lockfile.load import load_lockfile
    from mcpstate.probe import render_report_text
    from mcpstate.state.file import load_state

    lockfile = load_lockfile(ctx.lockfile_path)
    state_dir = ctx.state_dir(lockfile.state_dir)
    ctx.out.progress(f"[{args.name}] staging and testing")
    tested = test_server(lockfile, load_state(state_dir), state_dir, args.name, args.test_version)
    if args.format == "json":
        ctx.out.json({**tested.report.to_json(), "server": tested.server, "version": tested.version,
                      "report_path": str(tested.report_path)})
    else:
        ctx.out.write(render_report_text(tested.report))
        ctx.out.progress(f"report: {tested.report_path}")
    return 0 if tested.report.passed else 1
