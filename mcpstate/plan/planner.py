"""make_plan(lockfile, observed) -> Plan. Pure: no I/O, no clock, no environment.

Terraform's words: create, update, delete, import, no-op; each change has one
action_reason (the weightiest) and human detail lines for every difference."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

from mcpstate.model import (EXPANDS_NOTHING, AppliedServer, Change, Lockfile, Observed, Plan, ServerSpec,
                            State, default_path)

_PACKAGE_KEYS = ("source", "package", "version")


def make_plan(lockfile: Lockfile, observed: Observed, only: Iterable[str] = (),
              refresh_only: bool = False) -> Plan:
    """The changes that bring the observed state to the lockfile.

    `only` limits the changes to those servers (`--target`); `refresh_only` keeps
    just the changes made outside mcpstate (drift)."""
    selected = set(only)
    state = observed.state
    changes: list[Change] = []
    no_op = 0
    for name, spec in lockfile.servers.items():
        change = _plan_server(spec, state.servers.get(name), lockfile, observed)
        if change is not None and spec.test.skip:
            change = change._replace(not_tested=True)
        if change is None:
            no_op += 1
        else:
            changes.append(change)
    for name, applied in state.servers.items():
        if name not in lockfile.servers:
            changes.append(_delete(applied))
    drift = tuple(c for c in changes if c.reason == "drift" or _has_drift(c))
    if refresh_only:
        changes = list(drift)
    if selected:
        changes = [c for c in changes if c.server in selected]
    return Plan(tuple(changes), unmanaged(lockfile, observed), no_op,
                tuple(_warnings(changes) + _moved_user_files(lockfile) + _machine_specific(lockfile)
                      + _store_outside_home(lockfile, observed)), drift)


def _plan_server(spec: ServerSpec, applied: AppliedServer | None, lockfile: Lockfile,
                 observed: Observed) -> Change | None:
    after = desired_summary(spec, lockfile)
    open_tx = observed.open_transactions.get(spec.name)
    if open_tx is not None:
        detail = f"an interrupted {open_tx.op} (transaction {open_tx.tx}, last step: {open_tx.last_event})"
        before = applied_summary(applied) if applied else None
        return Change(spec.name, "update" if applied else "create", "recover", before, after,
                      spec.protected, (detail,))
    if applied is None:
        serving = {t.path for t in lockfile.targets if t.serves(spec.name)}
        adopt = any(spec.name in t.entries for t in observed.targets if t.path in serving)
        action = "import" if adopt else "create"
        return Change(spec.name, action, "new", None, after, spec.protected, _new_details(spec))
    before = applied_summary(applied)
    reasons = _reasons(before, after, applied, observed)
    if not reasons:
        return None
    reason = min(reasons, key=_WEIGHT.index)
    details = tuple(line for r in _WEIGHT for line in reasons.get(r, ()))
    return Change(spec.name, "update", reason, before, after, spec.protected or applied.protected,
                  details)


_WEIGHT = ("version", "closure", "config", "tools", "targets", "drift")


def _reasons(before: dict[str, Any], after: dict[str, Any], applied: AppliedServer,
             observed: Observed) -> dict[str, list[str]]:
    reasons: dict[str, list[str]] = {}
    package = [k for k in _PACKAGE_KEYS if before.get(k) != after.get(k)]
    if package:
        reasons["version"] = [_version_line(before, after)]
    elif after.get("closure") and before.get("closure") != after.get("closure"):
        reasons["closure"] = [f"closure: {before.get('closure') or '(not locked)'} -> {after['closure']}"]
    config = diff_lines(before.get("config", {}), after.get("config", {}))
    if applied.store_path in observed.legacy_store:
        config.append("store: moves from the project's own store into the shared store (MCPSTATE_HOME)")
    if config:
        reasons["config"] = config
    if after.get("tools") and before.get("tools") != after["tools"]:  # the reviewed surface moved
        reasons["tools"] = [f"tools: {before.get('tools') or '(not recorded)'} -> {after['tools']}"]
    if before["targets"] != after["targets"]:
        reasons["targets"] = _target_lines(before["targets"], after["targets"])
    drift = drift_lines(applied, observed)
    if drift:
        reasons["drift"] = drift
    return reasons


def drift_lines(applied: AppliedServer, observed: Observed) -> list[str]:
    """What differs from what mcpstate last wrote: target entries and the store entry."""
    lines = []
    by_path = {t.path: t for t in observed.targets}
    for path, sha in applied.entries.items():
        target = by_path.get(path)
        found = target.entries.get(applied.name) if target else None
        if found is None:
            lines.append(f"drift: entry missing from {path}")
        elif found != sha:
            lines.append(f"drift: entry in {path} changed outside mcpstate")
    if applied.store_path and applied.store_path not in observed.intact_store | observed.legacy_store:
        lines.append(f"drift: store entry {applied.store_path} is missing or damaged")
    if applied.name in observed.tools_drift:
        lines.append(f"drift: tools drifted: {observed.tools_drift[applied.name]}")
    return lines


def _has_drift(change: Change) -> bool:
    return any(line.startswith("drift:") for line in change.details)


def _delete(applied: AppliedServer) -> Change:
    return Change(applied.name, "delete", "removed", applied_summary(applied), None,
                  applied.protected, ("removed from lockfile",))


def desired_summary(spec: ServerSpec, lockfile: Lockfile) -> dict[str, Any]:
    """What the plan shows as `after`: names and references only, never secret values."""
    return {"source": spec.source, "package": spec.package, "version": spec.version,
            "integrity": spec.integrity, "closure": spec.closure, "tools": spec.tools,
            "config": spec.config(), "targets": sorted(t.path for t in lockfile.targets if t.serves(spec.name))}


def applied_summary(applied: AppliedServer) -> dict[str, Any]:
    return {"source": applied.source, "package": applied.package, "version": applied.version,
            "integrity": applied.integrity, "closure": applied.closure, "tools": applied.tools,
            "config": dict(applied.config), "targets": sorted(applied.entries)}


def _version_line(before: dict[str, Any], after: dict[str, Any]) -> str:
    if before.get("package") != after.get("package") or before.get("source") != after.get("source"):
        return (f"package: {before.get('source')} {before.get('package')}@{before.get('version')}"
                f" -> {after.get('source')} {after.get('package')}@{after.get('version')}")
    return f"version: {before.get('version')} -> {after.get('version')}"


def _target_lines(before: list[str], after: list[str]) -> list[str]:
    added = [f"targets: + {p}" for p in after if p not in before]
    return added + [f"targets: - {p}" for p in before if p not in after]


def _new_details(spec: ServerSpec) -> tuple[str, ...]:
    if spec.source in ("npm", "pypi") and not spec.integrity:
        return ("integrity: none in the lockfile; the registry's will be recorded",)
    return ()


def diff_lines(before: Mapping[str, Any], after: Mapping[str, Any], prefix: str = "") -> list[str]:
    """`env.TZ: "UTC" -> "${TZ:-UTC}"` for each key that differs, nested mappings walked."""
    lines = []
    for key in list(before) + [k for k in after if k not in before]:
        old, new = before.get(key, _ABSENT), after.get(key, _ABSENT)
        if old == new:
            continue
        if isinstance(old, Mapping) and isinstance(new, Mapping):
            lines += diff_lines(old, new, f"{prefix}{key}.")
        else:
            lines.append(f"{prefix}{key}: {_show(old)} -> {_show(new)}")
    return lines


_ABSENT = object()


def _show(value: object) -> str:
    return "(none)" if value is _ABSENT else json.dumps(value, ensure_ascii=False)


def unmanaged(lockfile: Lockfile, observed: Observed) -> tuple[str, ...]:
    """Target entries that neither the state nor the lockfile names: never touched."""
    known = set(observed.state.servers) | set(lockfile.servers)
    names = {n for t in observed.targets for n in t.entries if n not in known}
    return tuple(sorted(names))


def _warnings(changes: list[Change]) -> list[str]:
    warnings = []
    for c in changes:
        if c.protected and c.action in ("update", "delete"):
            verb = "delete" if c.action == "delete" else "change"
            warnings.append(f"{c.server} is protected: apply refuses to {verb} it without "
                            f"--allow-protected {c.server}")
    return warnings


def _moved_user_files(lockfile: Lockfile) -> list[str]:
    """A user-scoped target whose `path:` is not its client's usual file (DESIGN §4)."""
    return [f"the {t.client} user-scoped target is {t.path}, not {default_path(t.client, 'user')}"
            for t in lockfile.targets if t.scope == "user" and t.path != default_path(t.client, "user")]


def _machine_specific(lockfile: Lockfile) -> list[str]:
    """DESIGN §14: a project file of a client that expands nothing holds this machine's paths."""
    return [f"{t.path}: {t.client} expands no variables, so this project file gets this machine's "
            "store paths and the values of references it cannot pass by name: it is machine-specific "
            "and may hold secrets; keep it out of version control"
            for t in lockfile.targets if t.scope == "project" and t.client in EXPANDS_NOTHING]


def _store_outside_home(lockfile: Lockfile, observed: Observed) -> list[str]:
    """DESIGN §14: with MCPSTATE_HOME outside the home folder, entries hold absolute paths."""
    if observed.portable_store:
        return []
    stored = any(s.source in ("npm", "pypi") for s in lockfile.servers.values())
    return [f"{t.path}: MCPSTATE_HOME is outside the home folder, so this project file gets this "
            "machine's absolute store paths: it is machine-specific"
            for t in lockfile.targets if stored and t.scope == "project" and t.client not in EXPANDS_NOTHING]


def moved_pins(lockfile: Lockfile, state: State) -> list[str]:
    """Pins moved by hand with the old `integrity:` left behind: the applied revision
    holds the same hash for another version of the same package, so it cannot be the
    pinned version's. Offline, and said with the fix to run."""
    found = []
    for name, spec in lockfile.servers.items():
        applied = state.servers.get(name)
        if (applied is None or not spec.integrity or spec.integrity != applied.integrity
                or (spec.source, spec.package) != (applied.source, applied.package)
                or spec.version == applied.version):
            continue
        found.append(f"{lockfile.path}: servers.{name}.integrity: is the hash of {spec.package} "
                     f"{applied.version} (applied), not of {spec.version}: the version was moved by hand. "
                     f"Delete the integrity: line and run 'mcpstate lock', or move pins with 'mcpstate update'")
    return found
