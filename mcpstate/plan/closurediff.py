"""What a change does to a server's closure, package by package, for reviewers:
`closure: 1 changed (@x/lib 1.0.0 -> 1.0.1), 0 added, 0 removed`.

The planner stays pure; this reads files, and only for the changes whose closure moves:
the new closure from the lock folder (as loaded with the lockfile), the applied one from
the lock files staging left in the applied store entry.

A real closure may hold one package at several versions (server-everything's has
content-type 1.0.5 and 2.1.0): each name maps to all of its versions, written
`content-type 1.0.5+2.1.0` when they move."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from mcpstate.errors import McpStateError
from mcpstate.model import Change, Lockfile, Observed, Plan
from mcpstate.state.layout import StateDir

LOCK_FILE = {"npm": "pnpm-lock.yaml", "pypi": "requirements.txt"}
SHOWN = 5  # changed packages named on the line; the rest are counted
Versions = tuple[str, ...]  # of one package name, sorted


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
    line = diff_line(before, after) if applied else f"closure: {_count(after)} package(s) locked"
    details = tuple(d for d in change.details if not d.startswith("closure: sha256-"))
    data = closure_json(before if applied else {}, after)
    return change._replace(details=(*details, line), closure_diff=data)


def closure_json(before: Mapping[str, Versions] | None, after: Mapping[str, Versions]) -> dict[str, object]:
    """The plan JSON's `closure_diff`. `before_known` is false when the applied revision
    left no closure lock to compare with: `added` then lists every package locked now. A
    package locked at several versions (npm allows it) shows them joined by ", "."""
    known = before is not None
    old = {name: ", ".join(v) for name, v in (before or {}).items()}
    new = {name: ", ".join(v) for name, v in after.items()}
    return {
        "added": [{"package": n, "version": new[n]} for n in sorted(new) if n not in old],
        "removed": [{"package": n, "version": old[n]} for n in sorted(old) if n not in new],
        "changed": [{"package": n, "before": old[n], "after": new[n]}
                    for n in sorted(new) if n in old and old[n] != new[n]],
        "before_known": known,
    }


def packages(source: str, lock: bytes) -> dict[str, Versions]:
    """name -> the versions of it that a lock file locks."""
    if source == "npm":
        from mcpstate.store.pnpm import locked_packages

        pairs = [(p.name, p.version) for p in locked_packages(lock)]
    else:
        from mcpstate.store.uv import locked_packages as pinned

        pairs = [(name, version) for name, version, _ in pinned(lock)]
    found: dict[str, set[str]] = {}
    for name, version in pairs:
        found.setdefault(name, set()).add(version)
    return {name: tuple(sorted(versions)) for name, versions in found.items()}


def _applied_packages(store_path: str | None, source: str, state_dir: StateDir) -> dict[str, Versions] | None:
    if not store_path:
        return None
    try:
        from mcpstate.home import DataDir
        from mcpstate.store.entries import recorded_entry

        entry = recorded_entry(DataDir.from_environ(), state_dir.store, store_path)
        return packages(source, (Path(entry) / LOCK_FILE[source]).read_bytes())
    except (OSError, ValueError, McpStateError):
        return None  # staged without a closure lock (npm/pip), or gone: nothing to compare


def diff_line(before: Mapping[str, Versions] | None, after: Mapping[str, Versions]) -> str:
    if before is None:
        return f"closure: {_count(after)} package(s) locked, none recorded before"
    changed = [f"{n} {_v(before[n])} -> {_v(after[n])}" for n in sorted(after) if n in before and before[n] != after[n]]
    added = [f"{n} {_v(after[n])}" for n in sorted(after) if n not in before]
    removed = [f"{n} {_v(before[n])}" for n in sorted(before) if n not in after]
    parts = [_part(len(changed), "changed", changed), _part(len(added), "added", added),
             _part(len(removed), "removed", removed)]
    return "closure: " + ", ".join(parts)


def _count(found: Mapping[str, Versions]) -> int:
    return sum(len(versions) for versions in found.values())


def _v(versions: Versions) -> str:
    return "+".join(versions)


def _part(count: int, word: str, items: list[str]) -> str:
    if not items:
        return f"0 {word}"
    shown = ", ".join(items[:SHOWN]) + (", ..." if len(items) > SHOWN else "")
    return f"{count} {word} ({shown})"
