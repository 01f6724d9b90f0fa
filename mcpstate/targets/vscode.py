"""VS Code's `.vscode/mcp.json`: `servers`, each entry typed (`stdio`, `http`, `sse`);
`${env:VAR}` expanded by VS Code; the file is JSONC (comments, trailing commas), with
a top-level `inputs` array that mcpstate keeps like every other key."""

from __future__ import annotations

from typing import Any

from mcpstate.model import Launch
from mcpstate.targets import cursor, jsonc
from mcpstate.targets.entries import remote_entry, stdio_entry
from mcpstate.targets.jsonfile import TargetDoc

KEY = "servers"
EXPANDS_VARIABLES = True
parse = jsonc.parse
reference_in = cursor.reference_in  # the same `${env:VAR}`, the same lack of defaults


def render_entry(launch: Launch) -> dict[str, Any]:
    if launch.url is not None:
        return remote_entry(launch, type=launch.transport)
    return stdio_entry(launch, type="stdio")


def warnings(doc: TargetDoc) -> list[str]:
    """mcpstate splices its entries into the text, comments kept; only a file without a
    `servers` object yet is written anew, as plain JSON: say so before comments are lost."""
    if doc.raw is None or isinstance(doc.doc.get(KEY), dict):
        return []
    if not jsonc.has_comments(doc.raw.decode("utf-8", errors="replace")):
        return []
    return [f"{doc.path} has comments and no `servers` object yet: mcpstate writes it anew as "
            "plain JSON, so the first apply drops them (the keys stay)"]
