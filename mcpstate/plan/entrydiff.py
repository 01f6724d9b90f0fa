"""How a change rewrites a target entry's text (DESIGN §6): for an `import` (the entry
found is replaced by mcpstate's) and for drift (an entry edited by hand is put back),
a small unified diff of the entry as found against the entry apply will write, in the
client's own format (JSON, or Codex's TOML table).

Secrets never show: literal secrets in the entry as found (under secret-looking keys,
after secret-looking flags, in well-known token formats) become `***`, and every value
resolved from a `${VAR}` reference is redacted as `${VAR}` (secrets/redact.py). The
executable of a store entry not installed yet is shown as `<bin>` unless `bin:` names it."""

from __future__ import annotations

import difflib
import os
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from mcpstate.errors import McpStateError
from mcpstate.model import Change, Launch, Lockfile, Observed, Plan, ServerSpec, Target
from mcpstate.state.layout import StateDir
from mcpstate.targets.jsonfile import TargetDoc

SECRET = "***"
UNKNOWN_BIN = "<bin>"


def with_entry_diffs(plan: Plan, lockfile: Lockfile, observed: Observed, project_dir: Path,
                     state_dir: StateDir, environ: Mapping[str, str] = os.environ) -> Plan:
    """`plan` with `entry_diff` on each import and each drifted change."""
    done: dict[str, Change] = {}
    for change in (*plan.changes, *plan.drift):
        if change.server not in done:
            done[change.server] = _with_diff(change, lockfile, observed, project_dir, state_dir, environ)
    return plan._replace(changes=tuple(done[c.server] for c in plan.changes),
                         drift=tuple(done[c.server] for c in plan.drift))


def needs_entry_diff(change: Change) -> bool:
    return change.action == "import" or any(d.startswith("drift: entry") for d in change.details)


def _with_diff(change: Change, lockfile: Lockfile, observed: Observed, project_dir: Path,
               state_dir: StateDir, environ: Mapping[str, str]) -> Change:
    spec = lockfile.servers.get(change.server)
    if spec is None or not needs_entry_diff(change):
        return change
    try:
        launch = planned_launch(spec, state_dir)
    except McpStateError:
        return change  # a package name no store entry can have: validation says so, not the plan
    diffs = []
    for target in _targets(change, lockfile, observed):
        # an empty diff is news too: the entry found is already the one apply writes
        diffs.append({"target": target.path, "diff": _target_diff(target, spec, launch, project_dir, environ)})
    return change._replace(entry_diff=tuple(diffs))


def _targets(change: Change, lockfile: Lockfile, observed: Observed) -> Iterator[Target]:
    """An import's: every target that serves it and holds its entry. Drift's: every
    target whose entry differs from the one the state says was written."""
    applied = observed.state.servers.get(change.server)
    for found in observed.targets:
        entry = found.entries.get(change.server)
        if applied is None:
            serves = any(t.path == found.path and t.serves(change.server) for t in lockfile.targets)
            if serves and entry is not None:
                yield Target(found.client, found.path)
        elif found.path in applied.entries and entry != applied.entries[found.path]:
            yield Target(found.client, found.path)


def _target_diff(target: Target, spec: ServerSpec, launch: Launch, project_dir: Path,
                 environ: Mapping[str, str]) -> list[str]:
    from mcpstate.secrets.redact import redact
    from mcpstate.targets import read_target, render_for

    try:
        new = render_for(target.client, launch, _PlanEnviron(environ), spec.name)
        doc = read_target(project_dir, target)
        old = doc.entries.get(spec.name)
        before = entry_text(target.client, doc, spec.name, scrub(old)) if old is not None else []
        after = entry_text(target.client, doc, spec.name, new)
    except McpStateError as e:
        return [f"# cannot show this entry: {e}"]
    lines = difflib.unified_diff(before, after, lineterm="", n=max(len(before), len(after)))
    return [redact(line) for line in lines if not line.startswith(("---", "+++", "@@"))]


def planned_launch(spec: ServerSpec, state_dir: StateDir) -> Launch:
    """What apply will launch: the shared store's entry it will stage (its executable
    read from it when it is there already, written through `${HOME}` as apply writes
    it), the command, or the url."""
    from mcpstate.home import DataDir
    from mcpstate.store.launch import entry_launch

    if spec.source not in ("npm", "pypi") or not spec.package or not spec.version:
        return entry_launch(spec, None)
    from mcpstate.store.entries import entry_path, is_intact

    home = DataDir.from_environ()
    store = entry_path(home, spec.source, spec.package, spec.version, spec.closure)
    if is_intact(store):
        try:
            return entry_launch(spec, store, home)
        except McpStateError:
            pass  # a damaged entry: apply installs it again
    if spec.source == "npm":
        from mcpstate.store.npm import bin_path
    else:
        from mcpstate.store.pypi import bin_path
    command = home.portable(bin_path(store, spec.bin or UNKNOWN_BIN))
    return Launch(command=command, args=tuple(spec.args), env=dict(spec.env))


def entry_text(client: str, doc: TargetDoc, name: str, entry: Mapping[str, Any]) -> list[str]:
    """The entry alone, as the client's writer puts it in its file (JSON, JSONC, TOML):
    the file's other entries stay out, so nobody else's values show."""
    from mcpstate.targets import entry_written

    alone = doc._replace(raw=None, doc={})
    return entry_written(client, alone, name, dict(entry)).decode("utf-8").splitlines()


def scrub(value: Any, key: str | None = None) -> Any:
    """`value` with every literal secret replaced by `***`."""
    from mcpstate.secrets.detect import rewrite, scan_args, scan_value

    if isinstance(value, str):
        return rewrite(value, scan_value(value, key), lambda _f, _literal: SECRET)
    if isinstance(value, Mapping):
        return {k: scrub(v, str(k)) for k, v in value.items()}
    if isinstance(value, (list, tuple)) and all(isinstance(v, str) for v in value):
        found: dict[int, list[Any]] = {}
        for i, finding in scan_args(list(value)):
            found.setdefault(i, []).append(finding)
        return [rewrite(v, found.get(i, []), lambda _f, _literal: SECRET) for i, v in enumerate(value)]
    if isinstance(value, (list, tuple)):
        return [scrub(v, key) for v in value]
    return value


class _PlanEnviron(Mapping[str, str]):
    """The environment for rendering a client that expands nothing: a variable that is
    not set shows as its reference (apply will say it is missing); one that is set is
    resolved, remembered, and so redacted back to `${VAR}` on the way out."""

    def __init__(self, environ: Mapping[str, str]) -> None:
        self._environ = environ

    def __getitem__(self, name: str) -> str:
        return self._environ.get(name, f"${{{name}}}")

    def __contains__(self, name: object) -> bool:
        return True

    def __iter__(self) -> Iterator[str]:
        return iter(self._environ)

    def __len__(self) -> int:
        return len(self._environ)

