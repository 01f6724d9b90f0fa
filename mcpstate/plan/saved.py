"""Saved plans (`plan -o FILE`): read them back, and refuse stale ones (DESIGN §6)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from mcpstate.errors import StalePlanError, UsageError
from mcpstate.lockfile.load import key_path, load_schema
from mcpstate.plan.document import FORMAT_VERSION
from mcpstate.lockfile.schemacheck import SchemaChecker

_REQUIRED = ("format_version", "lockfile", "state", "targets", "changes", "summary")


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


def staleness(saved: dict[str, Any], current: dict[str, Any]) -> list[str]:
    """Why a saved plan no longer applies; empty when it still does."""
    reasons = []
    before, now = saved["state"]["lineage"], current["state"]["lineage"]
    if before is not None and before != now:  # None: planned before the first apply
        reasons.append("it was made for another state (its lineage differs)")
    elif saved["state"]["serial"] != current["state"]["serial"]:
        reasons.append(f"the state changed (serial {saved['state']['serial']} -> "
                       f"{current['state']['serial']})")
    if saved["lockfile"]["sha256"] != current["lockfile"]["sha256"]:
        reasons.append(f"{current['lockfile']['path']} was edited")
    before = {t["path"]: t["sha256"] for t in saved["targets"]}
    for target in current["targets"]:
        if before.get(target["path"], target["sha256"]) != target["sha256"]:
            reasons.append(f"{target['path']} was edited")
    return reasons


def check_not_stale(saved: dict[str, Any], current: dict[str, Any]) -> None:
    reasons = staleness(saved, current)
    if reasons:
        raise StalePlanError("Saved plan is stale: " + "; ".join(reasons) + ". Run 'mcpstate plan' again.")
