"""state.json: the committed revision of every server (DESIGN §9).

Written atomically, the previous copy kept as state.json.backup; mode 0600."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from mcpstate import __version__
from mcpstate.errors import StateError
from mcpstate.fsutil import atomic_write, read_optional
from mcpstate.model import CLIENTS, AppliedServer, JournalMark, State
from mcpstate.state.layout import StateDir

FORMAT_VERSION = 2
READS = (1, 2)  # format 1: no closures, no journal mark; upgraded on the next write


def load_state(state_dir: StateDir) -> State:
    """The state as committed; an empty state when there is none yet."""
    raw = read_optional(state_dir.state_file, StateError)
    return State() if raw is None else parse_state(raw, state_dir.state_file)


def parse_state(raw: bytes, path: Path) -> State:
    try:
        doc = json.loads(raw)
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        where = f"line {e.lineno} column {e.colno}" if isinstance(e, json.JSONDecodeError) else "encoding"
        raise StateError(f"{path}: {where}: not valid JSON ({_reason(e)}){_backup_hint(path)}") from None
    if not isinstance(doc, dict):
        raise StateError(f"{path}: expected a JSON object")
    version = doc.get("format_version")
    if isinstance(version, int) and version > FORMAT_VERSION:
        raise StateError(f"{path}: written by a newer mcpstate (state format {version}, this one "
                         f"reads {FORMAT_VERSION}); upgrade mcpstate")
    if version not in READS or isinstance(version, bool):
        raise StateError(f"{path}: format_version: expected {FORMAT_VERSION}, got {version!r}")
    try:
        return _build(doc)
    except (KeyError, TypeError, ValueError, AttributeError) as e:
        raise StateError(f"{path}: malformed state ({_reason(e)}){_backup_hint(path)}") from None


def _backup_hint(path: Path) -> str:
    backup = path.with_name(path.name + ".backup")
    return f"; the previous copy is {backup}" if backup.exists() else ""


def _reason(e: Exception) -> str:
    if isinstance(e, KeyError):
        return f"missing key {e.args[0]!r}"
    return getattr(e, "msg", None) or str(e)


def _build(doc: dict[str, Any]) -> State:
    servers = {}
    for name, raw in doc["servers"].items():
        try:
            servers[name] = _server(name, raw)
        except KeyError as e:
            raise ValueError(f"servers.{name}: missing key {e.args[0]!r}") from None
    serial = doc["serial"]
    if not isinstance(serial, int) or serial < 0:
        raise ValueError(f"serial must be a whole number, got {serial!r}")
    targets = doc.get("targets", {})
    if not isinstance(targets, dict) or not all(c in CLIENTS for c in targets.values()):
        raise ValueError(f"targets must map target paths to clients ({', '.join(CLIENTS)})")
    return State(lineage=str(doc["lineage"]), serial=serial, servers=servers, targets=targets,
                 journal=_mark(doc.get("journal")))


def _mark(raw: object) -> JournalMark:
    if raw is None:
        return JournalMark()
    offset, seq = (raw.get("offset"), raw.get("seq")) if isinstance(raw, dict) else (None, None)
    if not all(isinstance(v, int) and not isinstance(v, bool) and v >= 0 for v in (offset, seq)):
        raise ValueError(f"journal must be {{'offset': n, 'seq': n}} of whole numbers, got {raw!r}")
    return JournalMark(int(offset), int(seq))  # type: ignore[arg-type]


def _server(name: str, raw: dict[str, Any]) -> AppliedServer:
    entries = raw["entries"]
    if not isinstance(entries, dict) or not all(isinstance(v, str) for v in entries.values()):
        raise ValueError(f"servers.{name}.entries must map target paths to hashes")
    for key in ("package", "version", "integrity", "store_path", "tx", "closure"):
        if not isinstance(raw.get(key), (str, type(None))):
            raise ValueError(f"servers.{name}.{key} must be text or null, got {raw[key]!r}")
    if not isinstance(raw.get("config", {}), dict):
        raise ValueError(f"servers.{name}: config must be an object")
    digest, surface = _tools(name, raw.get("tools"), raw.get("surface", []))
    return AppliedServer(
        name=name, revision=int(raw["revision"]), source=str(raw["source"]),
        package=raw.get("package"), version=raw.get("version"), integrity=raw.get("integrity"),
        store_path=raw.get("store_path"), entries=entries, config=dict(raw.get("config", {})),
        protected=bool(raw.get("protected", False)), tools=digest,
        applied_at=raw.get("applied_at"), previous=raw.get("previous"), tx=raw.get("tx"),
        closure=raw.get("closure"), surface=surface)


def _tools(name: str, tools: object, surface: object) -> tuple[str | None, tuple[dict[str, Any], ...]]:
    """`tools` (the surface digest) and `surface`. States written before the digest kept
    a list of tools under `tools`: it stands in for the surface when there is none (the
    fields they had: name, description, input schema), with no digest."""
    if not isinstance(surface, list) or not all(_named(t) for t in surface):
        raise ValueError(f"servers.{name}.surface must be a list of tools with names")
    if tools is None or isinstance(tools, str):
        return tools, tuple(surface)
    if not isinstance(tools, list) or not all(_named(t) for t in tools):
        raise ValueError(f"servers.{name}.tools must be a surface digest (or, as older states wrote, a list)")
    old = tuple(_from_listed(t) for t in tools)
    return None, tuple(surface) or old


def _named(tool: object) -> bool:
    return isinstance(tool, dict) and isinstance(tool.get("name"), str)


def _from_listed(tool: dict[str, Any]) -> dict[str, Any]:
    """An old state's tool entry (ToolInfo.to_json) in tools.json's field names."""
    out: dict[str, Any] = {"name": tool["name"]}
    if tool.get("description"):
        out["description"] = tool["description"]
    schema = tool.get("input_schema", tool.get("inputSchema"))
    if isinstance(schema, dict):
        out["inputSchema"] = schema
    return out


def server_to_json(server: AppliedServer) -> dict[str, Any]:
    return {
        "revision": server.revision, "source": server.source, "package": server.package,
        "version": server.version, "integrity": server.integrity, "closure": server.closure,
        "store_path": server.store_path,
        "entries": dict(server.entries), "config": dict(server.config),
        "protected": server.protected, "tools": server.tools,
        "applied_at": server.applied_at, "previous": server.previous, "tx": server.tx,
        **({"surface": [dict(tool) for tool in server.surface]} if server.surface else {}),
    }


def state_to_json(state: State) -> dict[str, Any]:
    return {
        "format_version": FORMAT_VERSION, "mcpstate_version": __version__,
        "lineage": state.lineage, "serial": state.serial, "targets": dict(state.targets),
        "journal": {"offset": state.journal.offset, "seq": state.journal.seq},
        "servers": {name: server_to_json(s) for name, s in state.servers.items()},
    }


def save_state(state_dir: StateDir, state: State) -> State:
    """Write `state` with serial+1 (and a lineage on first write); keep the old copy."""
    import uuid

    state_dir.create()
    new = state._replace(serial=state.serial + 1, lineage=state.lineage or str(uuid.uuid4()))
    path = state_dir.state_file
    if path.exists():
        atomic_write(state_dir.state_backup, path.read_bytes(), mode=0o600)
    data = json.dumps(state_to_json(new), indent=2, sort_keys=False).encode() + b"\n"
    atomic_write(path, data, mode=0o600)
    return new

