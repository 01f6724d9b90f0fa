"""mcpstate gc: retention cleanup (DESIGN §10). Lists each item with its size and the
total freed; `--dry-run` lists the same items and removes nothing."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any

from mcpstate.context import Context
from mcpstate.render.result import Result

if TYPE_CHECKING:
    from mcpstate.gc.select import Item, Kept, Policy, Selection
    from mcpstate.model import Retention
    from mcpstate.state.layout import StateDir

FORMAT_VERSION = "1"


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--dry-run", action="store_true", help="list what would be removed; remove nothing")
    parser.add_argument("--keep", type=int, metavar="N",
                        help="keep the N newest store entries of each package, besides the live ones "
                             "(default: retention.keep_versions)")
    parser.add_argument("--older-than", metavar="DURATION",
                        help="remove store entries older than this, e.g. 30d (default: retention.max_age_days)")
    parser.add_argument("--format", choices=("text", "json"), default="text")
    parser.add_argument("--lock-timeout", default="30s", metavar="DURATION",
                        help="how long to wait for a running apply (default 30s)")


def run(ctx: Context, args: argparse.Namespace) -> Result:
    import time

    from mcpstate.durations import parse_duration
    from mcpstate.errors import UsageError
    from mcpstate.gc.select import Policy, Selection

    if args.keep is not None and args.keep < 0:
        raise UsageError("--keep must be 0 or more")
    older = parse_duration(args.older_than, "--older-than") if args.older_than else None
    retention, state_dir = _settings(ctx)
    policy = Policy.of(retention, args.keep, older)
    selection = Selection()
    if state_dir.exists():  # no state dir, nothing to collect: and the lock would create one
        selection = _collect(ctx, state_dir, policy, args, time.time())
    lines = [(line, None) for line in text_lines(selection, args.dry_run, ctx.verbose)]
    return Result(0, gc_json(selection, args.dry_run), lines)


def _settings(ctx: Context) -> tuple[Retention, StateDir]:
    """The lockfile's retention and state dir; the defaults when there is no lockfile.
    A lockfile that is there but invalid is an error: its retention may keep more."""
    from mcpstate.lockfile.load import load_lockfile
    from mcpstate.model import Retention

    if not ctx.lockfile_path.exists():
        return Retention(), ctx.state_dir()
    lockfile = load_lockfile(ctx.lockfile_path)
    return lockfile.retention, ctx.state_dir(lockfile.state_dir)


def _collect(ctx: Context, state_dir: StateDir, policy: Policy, args: argparse.Namespace, now: float) -> Selection:
    from mcpstate.durations import parse_duration
    from mcpstate.gc.run import collect, execute
    from mcpstate.home import DataDir
    from mcpstate.state.lock import state_lock
    from mcpstate.store.lock import store_lock

    timeout = parse_duration(args.lock_timeout, "--lock-timeout")
    home = DataDir.from_environ()
    with state_lock(state_dir, "gc", timeout), store_lock(home, shared=False, timeout_s=timeout):
        selection = collect(state_dir, ctx.project_dir, policy, now, home)
        if not args.dry_run:
            execute(state_dir, selection, home)
    return selection


def gc_json(selection: Selection, dry_run: bool) -> dict[str, Any]:
    """schemas/gc.schema.json"""
    return {"format_version": FORMAT_VERSION, "dry_run": bool(dry_run),
            "items": [i.to_json() for i in selection.items],
            "kept_roots": [k.to_json() for k in selection.kept_roots],
            "freed_bytes": selection.freed_bytes}


def text_lines(selection: Selection, dry_run: bool, verbose: bool) -> list[str]:
    """Each item with its kind, path, size and reason, then the total; roots with -v."""
    from mcpstate.render.table import table

    items, roots = selection.items, selection.kept_roots
    lines = ["Nothing to collect."]
    if items:
        lines = [f"{'Would remove' if dry_run else 'Removed'} {_count(len(items), 'item')}:"]
        lines += _indent(table(["KIND", "PATH", "SIZE", "REASON"],
                               [[i.kind, _where(i), human_size(i.bytes), i.reason] for i in items]))
    if roots and verbose:
        lines.append(f"Kept {_count(len(roots), 'live item')}:")
        lines += _indent(table(["KIND", "PATH", "WHY"], [[k.kind, _where(k), k.reason] for k in roots]))
    elif roots:
        lines.append(f"Kept {_count(len(roots), 'live item')} (-v lists them).")
    if items:
        lines.append(f"{'Would free' if dry_run else 'Freed'} {human_size(selection.freed_bytes)}.")
    return lines


def _where(item: Item | Kept) -> str:
    """Paths in the shared store are shown from MCPSTATE_HOME, the project's from its state dir."""
    return f"$MCPSTATE_HOME/{item.path}" if item.area == "store" else item.path


def human_size(n: int) -> str:
    if n < 1024:
        return f"{n} B"
    size, unit = n / 1024, "KiB"
    for bigger in ("MiB", "GiB"):
        if size < 1024:
            break
        size, unit = size / 1024, bigger
    return f"{size:.1f} {unit}"


def _indent(rows: list[str]) -> list[str]:
    return ["  " + row for row in rows]


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"
