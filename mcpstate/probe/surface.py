"""A server's tool surface (DESIGN §12): what the model reads and calls.

Each tool is kept as the server listed it, reduced to the reviewed fields (name,
title, description, inputSchema, outputSchema, annotations; a field the server did not
send is absent), and the surface is sorted by name. `mcpstate.lock.d/<server>/tools.json`
holds `surface_bytes(surface)`, RFC 8785 canonical JSON; the lockfile's `tools:` is
`surface_digest` of those bytes: "sha256-" + hex, as `closure:` is.

    surface = surface_of(session.list_tools(deadline))
    write(folder / TOOLS_FILE, surface_bytes(surface)); tools = surface_digest(surface_bytes(surface))
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from typing import Any

from mcpstate.probe.canonical import canonical

TOOLS_FILE = "tools.json"
FIELDS = ("name", "title", "description", "inputSchema", "outputSchema", "annotations")

Tool = Mapping[str, Any]
Surface = tuple[Tool, ...]


class SurfaceError(ValueError):
    """A listing or a tools.json that is not a tool surface."""


def surface_of(listing: Sequence[Mapping[str, Any]]) -> Surface:
    """The reviewed fields of each listed tool, sorted by name. A tool without a name, or
    two tools of one name, is not a surface a reviewer could pin."""
    tools: dict[str, Tool] = {}
    for raw in listing:
        if not isinstance(raw, Mapping):
            raise SurfaceError(f"a listed tool is not an object: {json.dumps(raw)[:80]}")
        name = raw.get("name")
        if not isinstance(name, str) or not name:
            raise SurfaceError(f"a listed tool has no name: {json.dumps(raw, default=str)[:80]}")
        if name in tools:
            raise SurfaceError(f"the tool {name!r} is listed twice")
        tools[name] = {key: raw[key] for key in FIELDS if key in raw and raw[key] is not None}
    return tuple(tools[name] for name in sorted(tools))


def surface_bytes(surface: Surface) -> bytes:
    """tools.json's bytes: canonical JSON of the list (no trailing newline: RFC 8785 bytes)."""
    try:
        return canonical([dict(tool) for tool in surface])
    except ValueError as e:
        raise SurfaceError(f"the tool listing is not JSON: {e}") from None


def surface_digest(data: bytes) -> str:
    """The lockfile's `tools:` for a tools.json holding `data`."""
    return "sha256-" + hashlib.sha256(data).hexdigest()


def parse_surface(data: bytes) -> Surface:
    """A tools.json read back; anything but canonical bytes of a surface is refused, so
    the digest in the lockfile always names the one way to write that surface."""
    try:
        listing = json.loads(data)
    except ValueError as e:
        raise SurfaceError(f"not JSON ({e})") from None
    if not isinstance(listing, list):
        raise SurfaceError("not a list of tools")
    surface = surface_of(listing)
    if surface_bytes(surface) != data:
        raise SurfaceError("not in canonical form (RFC 8785, sorted by tool name, reviewed fields only)")
    return surface
