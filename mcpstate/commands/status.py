"""mcpstate status: every managed server probed live, concurrently."""

from __future__ import annotations

import argparse

from mcpstate.context import Context


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--format", choices=("text", "json", "prometheus"), default="text")
    parser.add_argument("--output", metavar="FILE", help="write there (atomically) instead of stdout")
    parser.add_argument("--parallelism", type=int, default=8, metavar="N")


def run(ctx: Context, args: argparse.Namespace) -> int:
    import json
    import time

    from mcpstate.errors import LockfileError
    from mcpstate.fsutil import atomic_write
    from mcpstate.apply.health import probe_all, status_launches
    from mcpstate.lockfile.load import load_lockfile
    from mcpstate.render.status import prometheus, status_rows, status_text
    from mcpstate.state.file import load_state

    try:
        lockfile = load_lockfile(ctx.lockfile_path)
    except LockfileError:
        lockfile = None  # status reads the state; a broken lockfile must not blind monitoring
    state = load_state(ctx.state_dir(lockfile.state_dir if lockfile else None))
    launches, problems = status_launches(state, lockfile)
    reports = probe_all(launches, max(1, args.parallelism))
    rows = status_rows(state.servers, reports, problems)
    if args.format == "prometheus":
        text = prometheus(rows, time.time())
    elif args.format == "json":
        text = json.dumps({"format_version": "1", "servers": rows}, indent=2) + "\n"
    else:
        text = "\n".join(status_text(rows)) + "\n" if rows else "No managed servers yet.\n"
    if args.output:
        from mcpstate.redact import redact

        atomic_write(ctx.path(args.output), redact(text).encode())
    else:
        ctx.out.write(text)
    if args.format == "prometheus":
        return 0  # the metrics carry the health; a failed unit every minute would only be noise
    return 0 if all(r["up"] for r in rows) else 1
