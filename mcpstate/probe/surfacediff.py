"""What changed between two tool surfaces, each change classified (DESIGN §8):

- breaking: a tool removed; an input property removed, newly required (a new required
  one too), or of another type; a `required_tools` entry missing;
- changed: title, description, annotations, output schema, an optional input property
  added, any other input-schema edit (a property's description, an enum): to review;
- added: a new tool.

Pure: surfaces in, SurfaceDiff out. Order-insensitive where JSON Schema is (`required`,
`enum`, a list of `type`s), so a reordered `required` is no change at all.

    diff = diff_surfaces(applied.surface, read_surface(lockfile, name), spec.test.required_tools)
    diff.breaking, diff.to_json()
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any, NamedTuple

from mcpstate.probe.surface import FIELDS, Surface, Tool

BREAKING, CHANGED = "breaking", "changed"
LEGACY_FIELDS = ("name", "description", "inputSchema")  # all the old state's `tools` list kept
_UNORDERED = frozenset({"required", "enum", "type"})  # JSON Schema keywords whose lists are sets
_PLAIN = {"title": "title", "description": "description", "annotations": "annotations",
          "outputSchema": "output_schema"}


class Change(NamedTuple):
    """One thing that changed in a tool: `kind` names it, `path` is where in the input
    schema (`mode`, `options.depth`) for property changes, else empty."""

    kind: str
    breaking: bool
    path: str = ""

    def to_json(self) -> dict[str, Any]:
        return {"kind": self.kind, "path": self.path, "breaking": self.breaking}


class ToolChange(NamedTuple):
    tool: str
    changes: tuple[Change, ...]
    description: tuple[str, str] | None = None  # (before, after) when the description changed

    @property
    def breaking(self) -> bool:
        return any(c.breaking for c in self.changes)

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"tool": self.tool, "class": BREAKING if self.breaking else CHANGED,
                                "changes": [c.to_json() for c in self.changes]}
        if self.description is not None:
            data["description"] = {"before": self.description[0], "after": self.description[1]}
        return data


class SurfaceDiff(NamedTuple):
    added: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()
    changed: tuple[ToolChange, ...] = ()
    missing_required: tuple[str, ...] = ()  # `test.required_tools` entries the new surface lacks

    @property
    def breaking(self) -> bool:
        return bool(self.removed or self.missing_required or any(c.breaking for c in self.changed))

    def __bool__(self) -> bool:
        return bool(self.added or self.removed or self.changed or self.missing_required)

    def to_json(self) -> dict[str, Any]:
        return {"added": list(self.added), "removed": list(self.removed),
                "changed": [c.to_json() for c in self.changed],
                "missing_required": list(self.missing_required), "breaking": self.breaking}


def diff_surfaces(before: Surface, after: Surface, required_tools: Iterable[str] = (),
                  fields: Sequence[str] = FIELDS) -> SurfaceDiff:
    """What changed from `before` to `after`. `fields` limits what is compared: a
    baseline that kept only some fields (LEGACY_FIELDS) must not make the others look new."""
    old = {tool["name"]: _only(tool, fields) for tool in before}
    new = {tool["name"]: _only(tool, fields) for tool in after}
    changed = tuple(c for c in (_tool_change(name, old[name], new[name]) for name in sorted(old.keys() & new.keys()))
                    if c.changes)
    missing = tuple(name for name in dict.fromkeys(required_tools) if name not in new)
    return SurfaceDiff(tuple(sorted(new.keys() - old.keys())), tuple(sorted(old.keys() - new.keys())),
                       changed, missing)


def from_json(data: Mapping[str, Any]) -> SurfaceDiff:
    """A diff read back from its JSON (a saved plan renders from its document)."""
    changed = tuple(ToolChange(
        c["tool"], tuple(Change(x["kind"], bool(x["breaking"]), x.get("path", "")) for x in c["changes"]),
        (c["description"]["before"], c["description"]["after"]) if "description" in c else None)
        for c in data.get("changed", ()))
    return SurfaceDiff(tuple(data.get("added", ())), tuple(data.get("removed", ())), changed,
                       tuple(data.get("missing_required", ())))


def legacy_surface(tools: Iterable[Mapping[str, Any]]) -> Surface:
    """The surface an old state's `tools` list (name, description, input_schema) stands
    for: compare it with LEGACY_FIELDS only."""
    surface = []
    for entry in tools:
        tool: dict[str, Any] = {"name": str(entry.get("name"))}
        if entry.get("description"):
            tool["description"] = entry["description"]
        schema = entry.get("input_schema", entry.get("inputSchema"))
        if isinstance(schema, Mapping):
            tool["inputSchema"] = schema
        surface.append(tool)
    return tuple(sorted(surface, key=lambda t: t["name"]))


def breaking_lines(diff: SurfaceDiff) -> list[str]:
    """One line per breaking item, for a report's failures or warnings."""
    lines = [f"required tool missing: {', '.join(diff.missing_required)}"] if diff.missing_required else []
    lines += [f"tool removed since the current revision: {name}" for name in diff.removed]
    for change in diff.changed:
        lines += [f"{change.tool}: {describe(c)}" for c in change.changes if c.breaking]
    return lines


def describe(change: Change) -> str:
    """`input property mode newly required`, `title changed`: a change in words."""
    words = {"input_property_added": "optional input property {} added",
             "input_property_removed": "input property {} removed",
             "input_property_required": "input property {} newly required",
             "input_property_optional": "input property {} no longer required",
             "input_property_type": "input property {} changed type",
             "input_schema": "input schema changed at {}"}
    if change.kind in words:
        return words[change.kind].format(change.path or "(root)")
    return f"{change.kind.replace('_', ' ')} changed"


def _only(tool: Tool, fields: Sequence[str]) -> dict[str, Any]:
    return {key: tool[key] for key in fields if key in tool}


def _tool_change(name: str, old: Mapping[str, Any], new: Mapping[str, Any]) -> ToolChange:
    changes = [Change(kind, False) for key, kind in _PLAIN.items()
               if _normal(old.get(key)) != _normal(new.get(key))]
    changes += _schema_changes(_object(old.get("inputSchema")), _object(new.get("inputSchema")), "")
    description = None
    if old.get("description") != new.get("description"):
        description = (str(old.get("description") or ""), str(new.get("description") or ""))
    return ToolChange(name, tuple(changes), description)


def _schema_changes(old: Mapping[str, Any], new: Mapping[str, Any], prefix: str) -> list[Change]:
    """Property by property (nested object properties too), then whatever else moved."""
    old_props, new_props = _object(old.get("properties")), _object(new.get("properties"))
    old_req, new_req = _names(old.get("required")), _names(new.get("required"))
    changes = []
    for prop in sorted(old_props.keys() | new_props.keys()):
        path = prefix + prop
        if prop not in new_props:
            changes.append(Change("input_property_removed", True, path))
        elif prop not in old_props:
            required = prop in new_req
            changes.append(Change("input_property_required" if required else "input_property_added", required, path))
        else:
            changes += _property_changes(_object(old_props[prop]), _object(new_props[prop]), path,
                                         (prop in old_req, prop in new_req))
    root = not prefix  # a property's type is compared above; the root's only here
    if _rest(old, root) != _rest(new, root):
        changes.append(Change("input_schema", False, prefix.rstrip(".") or "(root)"))
    return changes


def _property_changes(old: Mapping[str, Any], new: Mapping[str, Any], path: str,
                      required: tuple[bool, bool]) -> list[Change]:
    changes = []
    if required == (False, True):
        changes.append(Change("input_property_required", True, path))
    elif required == (True, False):
        changes.append(Change("input_property_optional", False, path))
    if _normal(old.get("type"), "type") != _normal(new.get("type"), "type"):
        changes.append(Change("input_property_type", True, path))
    inner = _schema_changes(old, new, path + ".")
    return changes + inner


def _rest(schema: Mapping[str, Any], root: bool) -> Any:
    """The schema without what _schema_changes compares property by property."""
    skip = ("properties", "required") if root else ("properties", "required", "type")
    return _normal({k: v for k, v in schema.items() if k not in skip})


def _normal(value: Any, key: str = "") -> Any:
    """A value to compare: lists of the unordered keywords sorted, mappings made plain."""
    if isinstance(value, Mapping):
        return {k: _normal(v, k) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        items = [_normal(v) for v in value]
        return sorted(items, key=repr) if key in _UNORDERED else items
    return value


def _object(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _names(value: Any) -> frozenset[str]:
    return frozenset(v for v in value if isinstance(v, str)) if isinstance(value, (list, tuple)) else frozenset()


class Baseline(NamedTuple):
    """What a new surface is compared with: the current revision's, and which fields of
    it are known (an old state kept LEGACY_FIELDS only)."""

    surface: Surface
    fields: tuple[str, ...] = FIELDS


def baseline_of(surface: Sequence[Tool], legacy_tools: Sequence[Mapping[str, Any]]) -> Baseline | None:
    """The current revision's surface when the state has it, else its old `tools` list;
    None when it has neither."""
    if surface:
        return Baseline(tuple(surface))
    if legacy_tools:
        return Baseline(legacy_surface(legacy_tools), LEGACY_FIELDS)
    return None


def against(baseline: Baseline | None, surface: Surface, required_tools: Iterable[str] = ()) -> SurfaceDiff:
    """The diff from `baseline`; with none, only the missing required tools."""
    if baseline is None:
        names = {tool["name"] for tool in surface}
        return SurfaceDiff(missing_required=tuple(n for n in dict.fromkeys(required_tools) if n not in names))
    return diff_surfaces(baseline.surface, surface, required_tools, baseline.fields)
