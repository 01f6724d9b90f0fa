"""The MCP Registry's API v0.1: server entries (each a `server.json` and the
registry's own record of it) over the shared Fetcher, so retries, ETags and error
translation are the npm and PyPI clients' own.

Only `active` entries are offered: a `deprecated` or `deleted` server is one its
publisher asked people to stop installing."""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import quote, urlencode

from mcpstate.errors import RegistryError
from mcpstate.httpclient import make_client
from mcpstate.registry.fetch import Fetcher
from mcpstate.registry.npm import parse_time
from mcpstate.registry.urls import mcp_registry_url

ACCEPT = "application/json"
OFFICIAL = "io.modelcontextprotocol.registry/official"  # the _meta key of the registry's record
PAGE_LIMIT = 100
MAX_PAGES = 50  # a registry whose cursor never ends must not keep a CLI busy forever
TIMEOUT_S = 15.0


@dataclass(frozen=True)
class Entry:
    """One version of one server: its server.json and the registry's record of it."""

    name: str
    version: str
    description: str
    status: str
    is_latest: bool
    published: datetime | None
    server: Mapping[str, Any]

    @property
    def active(self) -> bool:
        return self.status == "active"


class McpRegistry:
    """The registry at `base` (its root URL, without /v0.1)."""

    def __init__(self, fetcher: Fetcher, base: str) -> None:
        self.fetcher = fetcher
        self.base = base.rstrip("/")

    def search(self, term: str, limit: int = PAGE_LIMIT) -> list[Entry]:
        """Every active entry whose name matches `term`, following `metadata.nextCursor`."""
        entries: list[Entry] = []
        cursor: str | None = None
        for _ in range(MAX_PAGES):
            query = {"search": term, "limit": str(limit), "version": "latest",
                     **({"cursor": cursor} if cursor else {})}
            url = f"{self.base}/v0.1/servers?{urlencode(query)}"
            data = self._get(url, f"the MCP Registry at {self.base} has no server list")
            entries += _entries(data, url)
            cursor = _next_cursor(data)
            if not cursor:
                return _newest_active(entries)
        raise RegistryError(f"{self.base}: the server list did not end after {MAX_PAGES} pages")

    def versions(self, name: str) -> list[Entry]:
        """The active versions of server `name`, newest first as the registry lists them."""
        url = f"{self.base}/v0.1/servers/{_segment(name)}/versions"
        data = self._get(url, f"no server named {name} in the MCP Registry at {self.base}")
        found = [e for e in _entries(data, url) if e.active]
        if not found:
            raise RegistryError(f"{name}: no active version in the MCP Registry at {self.base} "
                                "(deprecated or deleted by its publisher)")
        return found

    def version(self, name: str, version: str = "latest") -> Entry:
        """One version of server `name` (`latest`: the registry's newest)."""
        url = f"{self.base}/v0.1/servers/{_segment(name)}/versions/{_segment(version)}"
        what = f"no server named {name}" if version == "latest" else f"{name} has no version {version}"
        entry = _entry(self._get(url, f"{what} in the MCP Registry at {self.base}"), url)
        if not entry.active:
            raise RegistryError(f"{name} {entry.version} is {entry.status} in the MCP Registry; "
                                "its publisher asks that it not be installed")
        return entry

    def _get(self, url: str, not_found: str) -> Any:
        return self.fetcher.get(url, accept=ACCEPT, not_found=not_found).json()


@contextmanager
def open_mcp_registry(configured: Mapping[str, str], environ: Mapping[str, str] | None = None,
                      timeout: float = TIMEOUT_S) -> Iterator[McpRegistry]:
    """The MCP Registry the lockfile or the environment names, over a fresh client."""
    base = mcp_registry_url(configured, os.environ if environ is None else environ)
    with make_client(timeout=timeout) as client:
        yield McpRegistry(Fetcher(client), base)


def _segment(text: str) -> str:
    # Names hold a `/` (io.github.owner/server); it must stay inside one path segment.
    return quote(text, safe="")


def _newest_active(entries: list[Entry]) -> list[Entry]:
    """One entry a server: its latest version when that is active (a registry that
    ignores `version=latest` lists every version; one marked latest wins)."""
    chosen: dict[str, Entry] = {}
    for entry in entries:
        if entry.name not in chosen or entry.is_latest:
            chosen[entry.name] = entry
    return [e for e in chosen.values() if e.active]


def _next_cursor(data: Any) -> str | None:
    metadata = data.get("metadata") if isinstance(data, dict) else None
    cursor = metadata.get("nextCursor") if isinstance(metadata, dict) else None
    return cursor if isinstance(cursor, str) and cursor else None


def _entries(data: Any, url: str) -> list[Entry]:
    servers = data.get("servers") if isinstance(data, dict) else None
    if not isinstance(servers, list):
        raise RegistryError(f"{url} is not an MCP Registry server list (no \"servers\" array); "
                            "is the MCP Registry URL right?")
    return [_entry(item, url) for item in servers]


def _official_record(item: dict[str, Any]) -> dict[str, Any]:
    """The registry's own record of an entry; a registry without one lists active servers."""
    meta = item.get("_meta")
    record = meta.get(OFFICIAL) if isinstance(meta, dict) else None
    return record if isinstance(record, dict) else {}


def _entry(item: Any, url: str) -> Entry:
    server = item.get("server") if isinstance(item, dict) else None
    if not isinstance(server, dict) or not isinstance(server.get("name"), str) \
            or not isinstance(server.get("version"), str):
        raise RegistryError(f"{url}: an entry without a server name and version; "
                            "is the MCP Registry URL right?")
    record = _official_record(item)
    return Entry(server["name"], server["version"], str(server.get("description") or ""),
                 str(record.get("status") or "active"), bool(record.get("isLatest", False)),
                 parse_time(record.get("publishedAt")), server)

