"""Tools as the report records them, and the diff against the current revision's tools.

Breaking (DESIGN §8): a removed tool, or an input schema that removes a property,
newly requires one or changes one's type. Hashes decide quickly; when both schemas are
at hand, deepdiff (order-insensitive) confirms the change and names it, so a reordered
`required` list is no change at all, and a schema that only gains titles or
descriptions (a new pydantic does that) is a change to review, not a break. When only
the old schema's hash was kept, any change counts as breaking: nothing says otherwise."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any, Mapping, Sequence

from mcpstate.probe.jsonrpc import ProtocolViolation, as_object


@dataclass(frozen=True)
class ToolInfo:
    name: str
    description: str
    input_schema_sha256: str
    input_schema: Mapping[str, Any]

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "description": self.description,
                "input_schema_sha256": self.input_schema_sha256, "input_schema": self.input_schema}


@dataclass(frozen=True)
class ToolDiff:
    added: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()
    changed: tuple[str, ...] = ()
    details: tuple[str, ...] = ()  # one line per changed tool: what changed in its schema
    broken: tuple[str, ...] = ()  # the changed tools whose change breaks callers

    @property
    def breaking(self) -> bool:
        return bool(self.removed or self.broken)

    @property
    def breaking_details(self) -> tuple[str, ...]:
        return tuple(line for name, line in zip(self.changed, self.details) if name in self.broken)

    def to_json(self) -> dict[str, Any]:
        return {"added": list(self.added), "removed": list(self.removed), "changed": list(self.changed),
                "details": list(self.details)}


def schema_sha256(schema: Any) -> str:
    canonical = json.dumps(schema, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


def tool_infos(raw_tools: Sequence[Mapping[str, Any]]) -> tuple[ToolInfo, ...]:
    """The listed tools, sorted by name; a tool without a string name is a server bug."""
    infos = []
    for raw in raw_tools:
        name = raw.get("name")
        if not isinstance(name, str) or not name:
            raise ProtocolViolation(f"server listed a tool without a name: {json.dumps(raw)[:80]}")
        schema = as_object(raw.get("inputSchema"))
        description = raw.get("description")
        description = description if isinstance(description, str) else ""
        infos.append(ToolInfo(name, description, schema_sha256(schema), schema))
    return tuple(sorted(infos, key=lambda tool: tool.name))


def diff_tools(current: Sequence[ToolInfo], previous: Sequence[Mapping[str, Any]]) -> ToolDiff:
    """What changed from `previous` (ToolInfo.to_json() entries, as the state stores them)."""
    now = {tool.name: tool for tool in current}
    before = {str(entry.get("name")): entry for entry in previous}
    changed, details, broken = [], [], []
    for name in sorted(now.keys() & before.keys()):
        detail = _schema_change(before[name], now[name])
        if detail is not None:
            changed.append(name)
            old_schema = before[name].get("input_schema", before[name].get("inputSchema"))
            if isinstance(old_schema, Mapping) and not breaks_callers(old_schema, now[name].input_schema):
                details.append(f"{name}: input schema changed, not breaking{detail}")
            else:
                broken.append(name)
                details.append(f"{name}: input schema changed{detail}")
    return ToolDiff(tuple(sorted(now.keys() - before.keys())), tuple(sorted(before.keys() - now.keys())),
                    tuple(changed), tuple(details), tuple(broken))


def breaks_callers(old: Mapping[str, Any], new: Mapping[str, Any]) -> bool:
    """Whether a call valid for `old` may be refused by `new` (DESIGN §8): a property
    removed, a property newly required, or a property's type changed."""
    old_props, new_props = _properties(old), _properties(new)
    if old.get("type") != new.get("type") or old_props.keys() - new_props.keys():
        return True
    if set(_required(new)) - set(_required(old)):
        return True
    return any(_as_dict(old_props[p]).get("type") != _as_dict(new_props[p]).get("type")
               for p in old_props.keys() & new_props.keys())


def _properties(schema: Mapping[str, Any]) -> Mapping[str, Any]:
    return _as_dict(schema.get("properties"))


def _required(schema: Mapping[str, Any]) -> list[Any]:
    required = schema.get("required")
    return [r for r in required if isinstance(r, str)] if isinstance(required, list) else []


def _as_dict(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _schema_change(old: Mapping[str, Any], new: ToolInfo) -> str | None:
    """None when unchanged; else a short description (may be empty)."""
    old_schema = old.get("input_schema", old.get("inputSchema"))
    old_hash = old.get("input_schema_sha256") or (schema_sha256(old_schema) if old_schema is not None else None)
    if old_hash is None or old_hash == new.input_schema_sha256:
        return None
    if not isinstance(old_schema, dict):
        return ""  # only the hash was kept: it differs, which is all we can say
    return _deepdiff_summary(old_schema, new.input_schema)


def _deepdiff_summary(old: Mapping[str, Any], new: Mapping[str, Any]) -> str | None:
    from deepdiff import DeepDiff

    diff = DeepDiff(dict(old), dict(new), ignore_order=True, verbose_level=0)
    if not diff:
        return None  # only the order of a list changed: same schema
    words = {"dictionary_item_added": "added", "dictionary_item_removed": "removed",
             "iterable_item_added": "added", "iterable_item_removed": "removed",
             "values_changed": "changed", "type_changes": "changed type of"}
    parts = [f"{words.get(kind, kind)} {path}" for kind, paths in diff.items() for path in paths]
    shown = ", ".join(parts[:3]) + (f" and {len(parts) - 3} more" if len(parts) > 3 else "")
    return f" ({shown})"
