"""Saved plans (`plan -o FILE`): read them back, and refuse stale ones (DESIGN §6)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from mcpstate.errors import StalePlanError, UsageError
from mcpstate.lockfile.load import key_path, load_schema
from mcpstate.plan.document import FORMAT_VERSION, document_digest
from mcpstate.lockfile.schemacheck import SchemaChecker

_REQUIRED = ("format_version", "lockfile", "state", "targets", "changes", "summary", "digest")


def read_saved_plan(path: str | Path) -> dict[str, Any]:
    try:
        doc = json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise UsageError(f"{path}: no such plan file") from None
    except (OSError, UnicodeDecodeError) as e:
        raise UsageError(f"{path}: cannot read: {e}") from None
    except json.JSONDecodeError as e:
        raise UsageError(f"{path}:{e.lineno}:{e.colno}: not a saved plan: invalid JSON ({e.msg})") from None
    except RecursionError:
        raise UsageError(f"{path}: not a saved plan: nested too deeply to read") from None
    if not isinstance(doc, dict) or any(k not in doc for k in _REQUIRED):
        missing = [k for k in _REQUIRED if not isinstance(doc, dict) or k not in doc]
        raise UsageError(f"{path}: not a saved plan (missing {', '.join(missing)})")
    if doc["format_version"] != FORMAT_VERSION:
        raise UsageError(f"{path}: plan format {doc['format_version']!r} is not {FORMAT_VERSION!r}")
    problems = SchemaChecker(load_schema("plan")).errors(doc)
    if problems:
        where, message = problems[0]
        more = f" (and {len(problems) - 1} more problems)" if len(problems) > 1 else ""
        raise UsageError(f"{path}: not a saved plan: {key_path(where) or 'the document'}: {message}{more}")
    return doc


def check_saved_plan(saved: dict[str, Any], current: dict[str, Any]) -> None:
    """Refuse a saved plan unless it is the plan made now (DESIGN §6): one edited by
    hand "does not match the inputs"; one whose inputs moved is "stale"."""
    reasons = differences(saved, current)
    if saved.get("digest") != document_digest(saved):
        found = f": {'; '.join(reasons)}" if reasons else ""
        raise StalePlanError("Saved plan does not match the inputs: the file was edited after "
                             f"'mcpstate plan -o' wrote it (its digest differs){found}. "
                             "Make and review a new plan: mcpstate plan -o FILE")
    if reasons:
        raise StalePlanError("Saved plan is stale: " + "; ".join(reasons) + ". Run 'mcpstate plan' again.")


def differences(saved: dict[str, Any], current: dict[str, Any]) -> list[str]:
    """What differs between the saved plan and the plan made now; empty when none."""
    return [*_state_moved(saved, current), *_targets_moved(saved["targets"], current["targets"]),
            *_changes_moved(saved["changes"], current["changes"])]


def _state_moved(saved: dict[str, Any], current: dict[str, Any]) -> list[str]:
    reasons = []
    before, now = saved["state"]["lineage"], current["state"]["lineage"]
    if before is not None and before != now:  # None: planned before the first apply
        reasons.append("it was made for another state (its lineage differs)")
    elif saved["state"]["serial"] != current["state"]["serial"]:
        reasons.append(f"the state changed (serial {saved['state']['serial']} -> "
                       f"{current['state']['serial']})")
    if saved["lockfile"]["sha256"] != current["lockfile"]["sha256"]:
        reasons.append(f"{current['lockfile']['path']} was edited")
    return reasons


def _targets_moved(saved: list[dict[str, Any]], current: list[dict[str, Any]]) -> list[str]:
    before = {t["path"]: t for t in saved}
    now = {t["path"]: t for t in current}
    reasons = [f"{path} is a target now, but not in the saved plan" for path in now if path not in before]
    reasons += [f"{path} is no longer a target" for path in before if path not in now]
    for path in (p for p in now if p in before):
        if before[path]["client"] != now[path]["client"]:
            reasons.append(f"{path} is written for {now[path]['client']} now, not {before[path]['client']}")
        elif before[path]["managed_sha256"] != now[path]["managed_sha256"]:
            reasons.append(f"{path} was edited (its managed entries differ)")
    return reasons


def _changes_moved(saved: list[dict[str, Any]], current: list[dict[str, Any]]) -> list[str]:
    before = {c["server"]: c for c in saved}
    now = {c["server"]: c for c in current}
    reasons = [f"{s}: {now[s]['action']} now, not in the saved plan" for s in now if s not in before]
    reasons += [f"{s}: {before[s]['action']} in the saved plan, no change now" for s in before if s not in now]
    for server in (s for s in now if s in before):
        old, new = before[server], now[server]
        if old["action"] != new["action"]:
            reasons.append(f"{server}: {old['action']} in the saved plan, {new['action']} now")
        elif _what(old) != _what(new):
            reasons.append(f"{server}: its {new['action']} differs now (versions or settings)")
    return reasons


def _what(change: dict[str, Any]) -> tuple[Any, ...]:
    """What apply will do for a change. Its reason and detail lines follow from this (a
    `recover` planned before the crash was recovered is the same change afterwards)."""
    return change["action"], change["before"], change["after"], change["protected"]
