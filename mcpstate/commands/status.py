"""mcpstate status: every managed server probed live, concurrently."""

from __future__ import annotations

import argparse
from typing import Any

from mcpstate.context import Context
from mcpstate.render.result import Result, Text


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--format", choices=("text", "json", "prometheus"), default="text")
    parser.add_argument("--output", metavar="FILE", help="write there (atomically) instead of stdout")
    parser.add_argument("--parallelism", type=int, default=8, metavar="N")


def run(ctx: Context, args: argparse.Namespace) -> Result:
    from mcpstate.apply.health import probe_all, status_launches
    from mcpstate.errors import LockfileError
    from mcpstate.lockfile.load import load_lockfile
    from mcpstate.render.status import status_rows
    from mcpstate.state.file import load_state

    problem = None
    try:
        lockfile = load_lockfile(ctx.lockfile_path)
    except LockfileError as e:
        # the servers are still probed (a broken lockfile must not blind monitoring),
        # but status fails and says so: it never reports 'all well' off a lockfile it cannot read
        lockfile, problem = None, str(e)
    state_dir = ctx.state_dir(lockfile.state_dir if lockfile else None)
    state = load_state(state_dir)
    launches, problems = status_launches(state, lockfile, state_dir)
    reports = probe_all(launches, max(1, args.parallelism))
    rows = status_rows(state.servers, reports, problems, _reviewed(lockfile))
    # the metrics carry the health; a failed unit every minute would only be noise
    code = 1 if problem else 0 if args.format == "prometheus" or all(r["up"] is not False for r in rows) else 1
    document = {"format_version": "1", "lockfile": {"valid": problem is None, "error": problem}, "servers": rows}
    result = Result(code, document, lambda: _text(rows, args.format, problem is None),
                    errors=[problem] if problem else [])
    if args.output:
        _write_file(ctx, args.output, result, args.format)
        return Result(code, errors=result.errors)
    return result


def _reviewed(lockfile: Any) -> dict[str, Any]:
    """Each lockfile server's reviewed surface (its `tools:`, checked on load, and tools.json)."""
    from mcpstate.lockfile.surface import Reviewed, read_surface

    if lockfile is None:
        return {}
    found = {}
    for name, spec in lockfile.servers.items():
        tools = read_surface(lockfile.path, name) if spec.tools else None
        if spec.tools and tools is not None:
            found[name] = Reviewed(spec.tools, tools)
    return found


def _text(rows: list[dict[str, Any]], fmt: str, lockfile_valid: bool) -> Text:
    import time

    from mcpstate.render.status import prometheus, status_text

    if fmt == "prometheus":
        return prometheus(rows, time.time(), lockfile_valid)
    if rows:
        return "\n".join(status_text(rows)) + "\n"
    return "No managed servers yet.\n" if lockfile_valid else ""


def _write_file(ctx: Context, given: str, result: Result, fmt: str) -> None:
    """The output that stdout would have had, written atomically to `given`."""
    import io

    from mcpstate.fsutil import atomic_write
    from mcpstate.render.console import Output
    from mcpstate.render.result import render_result

    buffer = io.StringIO()
    render_result(result, fmt, Output(color=False, stdout=buffer, stderr=ctx.out.stderr))
    atomic_write(ctx.path(given), buffer.getvalue().encode())
