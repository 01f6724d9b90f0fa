"""The plan as a JSON document (format_version "1"); a saved plan is this document.
Text and markdown render from it, so `show FILE` and `plan` print the same."""

from __future__ import annotations

from typing import Any

from mcpstate import __version__
from mcpstate.model import Change, Lockfile, Observed, Plan

FORMAT_VERSION = "1"


def plan_document(plan: Plan, lockfile: Lockfile, observed: Observed, created_at: str,
                  lockfile_display: str, options: dict[str, Any] | None = None) -> dict[str, Any]:
    state = observed.state
    return {
        "format_version": FORMAT_VERSION,
        "mcpstate_version": __version__,
        "created_at": created_at,
        "lockfile": {"path": lockfile_display, "sha256": lockfile.sha256},
        "state": {"lineage": state.lineage, "serial": state.serial},
        "targets": [{"client": t.client, "path": t.path, "sha256": t.sha256}
                    for t in observed.targets],
        "options": options or {},
        "changes": [change_json(c) for c in plan.changes],
        "drift": [change_json(c) for c in plan.drift],
        "unmanaged": list(plan.unmanaged),
        "warnings": list(plan.warnings),
        "summary": {**plan.summary(), "no_op": plan.no_op},
    }


def change_json(change: Change) -> dict[str, Any]:
    return {"server": change.server, "action": change.action, "action_reason": change.reason,
            "before": change.before, "after": change.after, "protected": change.protected,
            "details": list(change.details), "not_tested": change.not_tested}
