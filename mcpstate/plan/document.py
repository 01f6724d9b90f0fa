"""The plan as a JSON document (format_version "1"); a saved plan is this document.
Text and markdown render from it, so `show FILE` and `plan` print the same.

Each target carries `managed_sha256`, a digest of the entries the plan governs there
(every lockfile server, and each server the state wrote to that file): the entries of
others may change after `plan -o` without making the plan stale. The document's own
`digest` covers the rest of it, so a saved plan edited by hand is told from a stale one."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from mcpstate import __version__
from mcpstate.fsutil import sha256_bytes
from mcpstate.model import Change, Lockfile, Observed, Plan, TargetFile

FORMAT_VERSION = "1"


def plan_document(plan: Plan, lockfile: Lockfile, observed: Observed, created_at: str,
                  lockfile_display: str, options: dict[str, Any] | None = None) -> dict[str, Any]:
    state = observed.state
    doc = {
        "format_version": FORMAT_VERSION,
        "mcpstate_version": __version__,
        "created_at": created_at,
        "lockfile": {"path": lockfile_display, "sha256": lockfile.sha256},
        "state": {"lineage": state.lineage, "serial": state.serial},
        "targets": [{"client": t.client, "path": t.path,
                     "managed_sha256": managed_sha256(t, managed_names(t.path, lockfile, observed))}
                    for t in observed.targets],
        "options": options or {},
        "changes": [change_json(c) for c in plan.changes],
        "drift": [change_json(c) for c in plan.drift],
        "unmanaged": list(plan.unmanaged),
        "warnings": list(plan.warnings),
        "summary": {**plan.summary(), "no_op": plan.no_op},
    }
    return {**doc, "digest": document_digest(doc)}


def change_json(change: Change) -> dict[str, Any]:
    return {"server": change.server, "action": change.action, "action_reason": change.reason,
            "before": change.before, "after": change.after, "protected": change.protected,
            "details": list(change.details), "not_tested": change.not_tested,
            "closure_diff": change.closure_diff, "tools_diff": change.tools_diff,
            "entry_diff": [dict(d) for d in change.entry_diff]}


def managed_names(path: str, lockfile: Lockfile, observed: Observed) -> frozenset[str]:
    """The entries of target `path` that the plan governs: every lockfile server that
    goes to that target (its `servers:` list, else all) and every server the state
    recorded as written there."""
    written = {name for name, s in observed.state.servers.items() if path in s.entries}
    target = next((t for t in lockfile.targets if t.path == path), None)
    wanted = {name for name in lockfile.servers if target is None or target.serves(name)}
    return frozenset(wanted) | frozenset(written)


def managed_sha256(target: TargetFile, names: frozenset[str]) -> str:
    """The digest of the managed entries as found (an absent one counts as null)."""
    found = {name: target.entries.get(name) for name in sorted(names)}
    return sha256_bytes(canonical_json(found))


def document_digest(doc: Mapping[str, Any]) -> str:
    """sha256 of the canonical JSON of the document without its `digest`."""
    return sha256_bytes(canonical_json({k: v for k, v in doc.items() if k != "digest"}))


def canonical_json(value: Any) -> bytes:
    # ASCII: a lone surrogate read back from a hand-edited plan still encodes
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=True).encode()
