"""Tools as the report records them: name, description and input schema with its hash.
What changed between two surfaces, classified, is probe/surfacediff.py's."""

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
