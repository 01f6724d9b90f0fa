"""A local MCP Registry (API v0.1) on 127.0.0.1, serving fixture `server.json`
documents whose packages are catalogue packages, so `mcpstate add` can pin and
`apply` can install what it finds.

Routes: `/v0.1/servers?search=&limit=&cursor=&version=latest` (a substring match on
the name; at most PAGE_SIZE entries a page, so a search of every fixture needs the
cursor), `/v0.1/servers/{name}/versions` and `/v0.1/servers/{name}/versions/{version|latest}`
(the name URL-encoded: `io.github.mcpstate-fixture%2Fserver`). Deleted entries are
never listed (as `include_deleted=false`); deprecated ones are, with their status.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from testing import catalogue
from testing.httpbase import LocalServer, Reply

PAGE_SIZE = 3  # the official registry's pages are larger; small ones make paging testable
OFFICIAL = "io.modelcontextprotocol.registry/official"
PREFIX = "io.github.mcpstate-fixture"

NPM_ENTRY = f"{PREFIX}/server"  # npm @mcpstate-fixture/server; a secret env var, a package argument
NPM_ENTRY_VERSIONS = ("1.0.0", "1.1.0")  # the registry's versions = the package's versions
NPM_ENTRY_SECRET = "FIXTURE_API_KEY"
NPM_ENTRY_ARGS = ["--mode", "fixture"]
PYPI_ENTRY = f"{PREFIX}/py-server"  # PyPI mcpstate-fixture-server 1.0.0
REMOTE_ENTRY = "com.example.fixture/Remote_Search"  # remote only; a secret header
REMOTE_URL = "https://mcp.example.invalid/mcp"
DEPRECATED_ENTRY = f"{PREFIX}/deprecated-server"
DELETED_ENTRY = f"{PREFIX}/deleted-server"
FILLER_ENTRIES = (f"{PREFIX}/tiny", f"{PREFIX}/calendar")
ACTIVE_ENTRIES = (NPM_ENTRY, PYPI_ENTRY, REMOTE_ENTRY, *FILLER_ENTRIES)


def _npm_package(name: str, version: str, **more: Any) -> dict[str, Any]:
    return {"registryType": "npm", "registryBaseUrl": "https://registry.npmjs.org",
            "identifier": name, "version": version, "transport": {"type": "stdio"}, **more}


def _server(name: str, version: str, description: str, **more: Any) -> dict[str, Any]:
    return {"$schema": "https://static.modelcontextprotocol.io/schemas/2025-12-11/server.schema.json",
            "name": name, "version": version, "description": description, **more}


def _npm_server(version: str) -> dict[str, Any]:
    package = _npm_package(
        catalogue.NPM_SERVER, version,
        runtimeArguments=[{"type": "named", "name": "-y"}],
        packageArguments=[{"type": "named", "name": NPM_ENTRY_ARGS[0], "value": NPM_ENTRY_ARGS[1]}],
        environmentVariables=[
            {"name": NPM_ENTRY_SECRET, "description": "the fixture's API key", "isSecret": True,
             "isRequired": True},
            {"name": "FIXTURE_LOG_LEVEL", "default": "info"},
            {"name": "FIXTURE_OPTIONAL_DIR", "description": "unset unless given"}])
    return _server(NPM_ENTRY, version, "The mcpstate fixture server, published on npm: echo and add "
                   "tools, with a description long enough that search has to cut it to fit.",
                   packages=[package])


def _entries() -> list[tuple[dict[str, Any], str]]:
    """(server.json, status), oldest version first within a server."""
    remote = {"type": "streamable-http", "url": REMOTE_URL, "headers": [
        {"name": "Authorization", "value": "Bearer {token}", "isRequired": True,
         "variables": {"token": {"isSecret": True, "isRequired": True}}}]}
    return [
        *((_npm_server(v), "active") for v in NPM_ENTRY_VERSIONS),
        (_server(PYPI_ENTRY, "1.0.0", "The fixture server on PyPI.", packages=[{
            "registryType": "pypi", "identifier": catalogue.PYPI_SERVER, "version": "1.0.0",
            "transport": {"type": "stdio"}}]), "active"),
        (_server(REMOTE_ENTRY, "0.3.0", "A remote-only fixture (Streamable HTTP).",
                 remotes=[remote, {"type": "sse", "url": REMOTE_URL + "/sse"}]), "active"),
        (_server(DEPRECATED_ENTRY, "1.0.0", "Deprecated by its publisher.",
                 packages=[_npm_package(catalogue.NPM_SERVER, "1.0.0")]), "deprecated"),
        (_server(DELETED_ENTRY, "1.0.0", "Deleted by its publisher.",
                 packages=[_npm_package(catalogue.NPM_SERVER, "1.0.0")]), "deleted"),
        (_server(FILLER_ENTRIES[0], "1.1.0", "Tiny fixture.",
                 packages=[_npm_package(catalogue.NPM_TINY, "1.1.0")]), "active"),
        (_server(FILLER_ENTRIES[1], "2026.8.31", "Calendar-versioned fixture.",
                 packages=[_npm_package(catalogue.NPM_CALENDAR, "2026.8.31")]), "active"),
    ]


class McpRegistry(LocalServer):
    name = "MCP registry"

    def __init__(self, now: datetime) -> None:
        super().__init__()
        self.now = now
        self.records = self._records()

    @property
    def url(self) -> str:
        return self.origin + "/"

    def _records(self) -> list[dict[str, Any]]:
        entries = _entries()
        names = [server["name"] for server, _ in entries]
        records = []
        for i, (server, status) in enumerate(entries):
            latest = server["name"] not in names[i + 1:]
            published = (self.now - timedelta(days=100 - i)).strftime("%Y-%m-%dT%H:%M:%SZ")
            records.append({"server": server, "_meta": {OFFICIAL: {
                "status": status, "publishedAt": published, "updatedAt": published, "isLatest": latest}}})
        return records

    def resolve(self, method: str, path: str, headers: dict[str, str]) -> Reply:
        split = urlsplit(path)
        parts = split.path.strip("/").split("/")
        if parts[:2] != ["v0.1", "servers"]:
            return Reply.not_found(split.path)
        if len(parts) == 2:
            return self._list(parse_qs(split.query))
        name = unquote(parts[2])
        listed = [r for r in self.records if r["server"]["name"] == name and _listed(r)]
        if not listed or parts[3:4] != ["versions"] or len(parts) > 5:
            return Reply.not_found(f"server {name}")
        if len(parts) == 4:
            return Reply.json({"servers": listed[::-1], "metadata": {"count": len(listed)}})
        return self._version(listed, unquote(parts[4]))

    def _version(self, listed: list[dict[str, Any]], version: str) -> Reply:
        for record in listed:
            meta = record["_meta"][OFFICIAL]
            if record["server"]["version"] == version or (version == "latest" and meta["isLatest"]):
                return Reply.json(record)
        return Reply.not_found(f"version {version}")

    def _list(self, query: dict[str, list[str]]) -> Reply:
        term = query.get("search", [""])[0].lower()
        latest_only = query.get("version", [""])[0] == "latest"
        found = [r for r in self.records if term in r["server"]["name"].lower() and _listed(r)
                 and (not latest_only or r["_meta"][OFFICIAL]["isLatest"])]
        start = int(query["cursor"][0].removeprefix("offset-")) if "cursor" in query else 0
        size = min(PAGE_SIZE, int(query.get("limit", [str(PAGE_SIZE)])[0]))
        page = found[start:start + size]
        metadata: dict[str, Any] = {"count": len(page)}
        if start + size < len(found):
            metadata["nextCursor"] = f"offset-{start + size}"
        return Reply.json({"servers": page, "metadata": metadata})


def _listed(record: dict[str, Any]) -> bool:
    return bool(record["_meta"][OFFICIAL]["status"] != "deleted")
