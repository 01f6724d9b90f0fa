"""What a change does to a server's tool surface, for reviewers (DESIGN §6, §12):
`tools: echo description changed; add removed (breaking)`, the classified diff as the
plan JSON's `tools_diff`, and a plan warning for each break and for each lint that fires
on a tool the change adds or changes.

Before is the surface the applied revision was tested with (AppliedServer.surface);
after is the lock folder's tools.json. The planner stays pure; this reads files, and
only for the servers the plan changes: a plan with nothing to do reads none."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from mcpstate.lockfile.surface import read_surface
from mcpstate.model import AppliedServer, Change, Lockfile, Plan, State
from mcpstate.probe.surface import Surface
from mcpstate.probe.surfacediff import (
    Baseline,
    SurfaceDiff,
    against,
    baseline_of,
    describe,
)

SHOWN = 5  # tools named on the line; the rest are counted


def with_tools_diffs(plan: Plan, lockfile: Lockfile, state: State) -> Plan:
    """`plan` with `tools_diff` and a `tools:` line on each change whose surface moves,
    and the warnings a reviewer must not miss."""
    changes, warnings = [], []
    for change in plan.changes:
        found = _diff(change, lockfile, state)
        if found is None:
            changes.append(change)
            continue
        diff, after = found
        changes.append(change._replace(tools_diff=diff.to_json(), details=(*change.details, tools_line(diff))))
        warnings += _warnings(change.server, diff, after, _other_tools(state, change.server))
    done = {c.server: c for c in changes}
    drift = tuple(done.get(c.server, c) for c in plan.drift)
    return plan._replace(changes=tuple(changes), drift=drift, warnings=(*plan.warnings, *warnings))


def _diff(change: Change, lockfile: Lockfile, state: State) -> tuple[SurfaceDiff, Surface] | None:
    spec = lockfile.servers.get(change.server)
    if spec is None:
        return None
    after = read_surface(Path(lockfile.path), change.server)
    applied = state.servers.get(change.server)
    if after is None or (applied is not None and applied.surface == after):
        return None  # no reviewed surface, or the one the applied revision was tested with
    baseline = _baseline(applied)
    if baseline is None:
        return None  # applied, but its surface was never recorded: nothing to compare
    diff = against(baseline, after, spec.test.required_tools)
    return (diff, after) if diff else None


def _baseline(applied: AppliedServer | None) -> Baseline | None:
    """A new server starts from nothing: every tool is added."""
    return Baseline(()) if applied is None else baseline_of(applied.surface, ())


def tools_line(diff: SurfaceDiff) -> str:
    """`tools: echo description changed; add removed (breaking)`."""
    parts = [f"{c.tool} {_words(c.changes)}" + (" (breaking)" if c.breaking else "") for c in diff.changed]
    parts += [f"{name} removed (breaking)" for name in diff.removed]
    if diff.added:
        shown = ", ".join(diff.added[:SHOWN]) + (", ..." if len(diff.added) > SHOWN else "")
        parts.append(f"{len(diff.added)} added ({shown})")
    if diff.missing_required:
        parts.append(f"required tool missing: {', '.join(diff.missing_required)} (breaking)")
    return "tools: " + "; ".join(parts)


def _words(changes: Sequence[Any]) -> str:
    plain = [c.kind.replace("_", " ") for c in changes if not c.path and c.kind != "input_schema"]
    rest = [describe(c) for c in changes if c.path or c.kind == "input_schema"]
    return ", ".join(([", ".join(plain) + " changed"] if plain else []) + rest)


def _warnings(server: str, diff: SurfaceDiff, after: Surface, other_tools: list[str]) -> list[str]:
    from mcpstate.probe.lints import lint_tools

    found = [f"{server}: breaking tool changes: {tools_line(diff).removeprefix('tools: ')}"] if diff.breaking else []
    reviewed = set(diff.added) | {c.tool for c in diff.changed}
    lints = lint_tools([t for t in after if t["name"] in reviewed], other_tools)
    return found + [f"{server}: tool {lint.tool}: {lint.field}: {lint.message} ({lint.rule})" for lint in lints]


def _other_tools(state: State, server: str) -> list[str]:
    """The other servers' tool names, for the lint that catches one steering to them."""
    return [str(tool.get("name")) for name, applied in state.servers.items() if name != server
            for tool in applied.surface]

