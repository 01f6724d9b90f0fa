"""What a change does to a server's closure, package by package, for reviewers:
`closure: 1 changed (@x/lib 1.0.0 -> 1.0.1), 0 added, 0 removed`.

The planner stays pure; this reads files, and only for the changes whose closure moves:
the new closure from the lock folder (as loaded with the lockfile), the applied one from
the lock files staging left in the applied store entry."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from mcpstate.errors import McpStateError
from mcpstate.model import Change, Lockfile, Observed, Plan
from mcpstate.state.layout import StateDir

LOCK_FILE = {"npm": "pnpm-lock.yaml", "pypi": "requirements.txt"}
SHOWN = 5  # changed packages named on the line; the rest are counted


def with_closure_diffs(plan: Plan, lockfile: Lockfile, observed: Observed, state_dir: StateDir) -> Plan:
    """`plan` with a closure line added to each change whose closure moves."""
    changes = tuple(_with_diff(c, lockfile, observed, state_dir) for c in plan.changes)
    return plan._replace(changes=changes)


def _with_diff(change: Change, lockfile: Lockfile, observed: Observed, state_dir: StateDir) -> Change:
    spec = lockfile.servers.get(change.server)
    if spec is None or not spec.closure or not spec.lock_files or spec.source not in LOCK_FILE:
        return change
    applied = observed.state.servers.get(change.server)
    if applied is not None and applied.closure == spec.closure:
        return change
    after = packages(spec.source, spec.lock_files.get(LOCK_FILE[spec.source], b""))
    before = _applied_packages(applied.store_path if applied else None, spec.source, state_dir)
    line = diff_line(before, after) if applied else f"closure: {len(after)} package(s) locked"
    details = tuple(d for d in change.details if not d.startswith("closure: sha256-"))
    data = closure_json(before if applied else {}, after)
    return change._replace(details=(*details, line), closure_diff=data)


def closure_json(before: Mapping[str, str] | None, after: Mapping[str, str]) -> dict[str, object]:
    """The plan JSON's `closure_diff`. `before_known` is false when the applied revision
    left no closure lock to compare with: `added` then lists every package locked now."""
    known = before is not None
    old = before or {}
    return {
        "added": [{"package": n, "version": after[n]} for n in sorted(after) if n not in old],
        "removed": [{"package": n, "version": old[n]} for n in sorted(old) if n not in after],
        "changed": [{"package": n, "before": old[n], "after": after[n]}
                    for n in sorted(after) if n in old and old[n] != after[n]],
        "before_known": known,
    }


def packages(source: str, lock: bytes) -> dict[str, str]:
    """name -> version of every package a lock file locks."""
    if source == "npm":
        from mcpstate.store.pnpm import locked_packages

        return {p.name: p.version for p in locked_packages(lock)}
    from mcpstate.store.uv import locked_packages as pinned

    return {name: version for name, version, _ in pinned(lock)}


def _applied_packages(store_path: str | None, source: str, state_dir: StateDir) -> dict[str, str] | None:
    if not store_path:
        return None
    try:
        entry = state_dir.confine(store_path, within=state_dir.store)
        return packages(source, (Path(entry) / LOCK_FILE[source]).read_bytes())
    except (OSError, ValueError, McpStateError):
        return None  # staged without a closure lock (npm/pip), or gone: nothing to compare


def diff_line(before: Mapping[str, str] | None, after: Mapping[str, str]) -> str:
    if before is None:
        return f"closure: {len(after)} package(s) locked, none recorded before"
    changed = [f"{n} {before[n]} -> {after[n]}" for n in sorted(after) if n in before and before[n] != after[n]]
    added = [f"{n} {after[n]}" for n in sorted(after) if n not in before]
    removed = [f"{n} {before[n]}" for n in sorted(before) if n not in after]
    parts = [_part(len(changed), "changed", changed), _part(len(added), "added", added),
             _part(len(removed), "removed", removed)]
    return "closure: " + ", ".join(parts)


def _part(count: int, word: str, items: list[str]) -> str:
    if not items:
        return f"0 {word}"
    shown = ", ".join(items[:SHOWN]) + (", ..." if len(items) > SHOWN else "")
    return f"{count} {word} ({shown})"
