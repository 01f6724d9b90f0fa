"""Revisions of each server, from the journal and the state (Helm's columns)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from mcpstate.model import State

FAILED_EVENTS = ("failed", "rolled_back")


@dataclass(frozen=True)
class Row:
    server: str
    revision: int | None
    updated: str
    status: str
    version: str | None
    description: str

    def to_json(self) -> dict[str, Any]:
        return {"server": self.server, "revision": self.revision, "updated": self.updated,
                "status": self.status, "version": self.version, "description": self.description}


def history_rows(records: Iterable[dict[str, Any]], state: State, servers: Sequence[str] = ()) -> list[Row]:
    """Every revision and failed attempt, oldest first; only `servers`' when named."""
    rows = []
    for r in records:
        if r.get("op") not in ("apply", "rollback") or (servers and r.get("server") not in servers):
            continue
        if r.get("event") == "committed":
            rows.append(_committed(r, state))
        elif r.get("event") in FAILED_EVENTS:
            rows.append(_failed(r))
    return rows


def _committed(r: dict[str, Any], state: State) -> Row:
    detail = r.get("detail") or {}
    revision = detail.get("revision")
    record = detail.get("record")
    current = state.servers.get(r["server"])
    if record is None:
        status = "uninstalled"
    elif current is not None and current.revision == revision and current.tx == r.get("tx"):
        status = "deployed"
    else:
        status = "superseded"
    version = (record or {}).get("version") or r.get("from")
    return Row(r["server"], revision, r["ts"], status, version, detail.get("description", ""))


def _failed(r: dict[str, Any]) -> Row:
    detail = r.get("detail") or {}
    step = detail.get("step")
    what = f"at {step}: " if step else ""
    verb = "Rolled back" if r.get("event") == "rolled_back" else "Failed"
    return Row(r["server"], None, r["ts"], "failed", r.get("to"),
               f"{verb} {what}{detail.get('reason', '')}".strip())


def find_revision(records: Iterable[dict[str, Any]], state: State, server: str,
                  revision: int | None) -> dict[str, Any] | None:
    """The committed record of `revision` (default: the one before the current)."""
    current = state.servers.get(server)
    if revision is None:
        return dict(current.previous) if current and current.previous else None
    found = None
    for r in records:
        detail = r.get("detail") or {}
        if (r.get("server") == server and r.get("event") == "committed"
                and detail.get("revision") == revision and detail.get("record")):
            found = detail["record"]
    return found
