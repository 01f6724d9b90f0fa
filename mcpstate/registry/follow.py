"""`outdated` and `update` for servers added from the MCP Registry: they follow the
registry, not the package registry alone.

A server with a `registry_name` may only move to a package version that an active
version of its registry entry names. So its catalog is narrowed to those releases
(the package registry's dist-tags dropped: the MCP Registry's newest active version
is what `latest` means here) and its WANTED and LATEST are worked out by the same
`pin_status` as every other server: update.constraint, min_release_age_days and
yanked releases keep their meaning, and integrities still come from npm or PyPI."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import datetime

from mcpstate.errors import RegistryError
from mcpstate.lockfile.pins import PinStatus, pin_status
from mcpstate.registry.fetch import map_concurrent
from mcpstate.registry.mcp import Entry, open_mcp_registry
from mcpstate.registry.versions import Catalog


def follow_mcp_registry(configured: Mapping[str, str], statuses: Sequence[PinStatus],
                        now: datetime) -> list[PinStatus]:
    """`statuses` with those of registry-added servers narrowed to what the MCP
    Registry publishes; the registry is asked only when some server has a registry_name."""
    names = list(dict.fromkeys(s.server.registry_name for s in statuses
                               if s.server.registry_name and s.catalog is not None))
    if not names:
        return list(statuses)
    with open_mcp_registry(configured) as registry:
        answers = dict(zip(names, map_concurrent(registry.versions, names)))
    return [_follow(s, answers[s.server.registry_name], now)
            if s.server.registry_name in answers and s.catalog is not None else s for s in statuses]


def _follow(status: PinStatus, entries: list[Entry] | RegistryError, now: datetime) -> PinStatus:
    server, catalog = status.server, status.catalog
    assert catalog is not None  # only statuses with a catalog are followed
    if isinstance(entries, RegistryError):
        return replace(status, error=str(entries))
    named = package_versions(entries, server.source, server.package or "")
    releases = tuple(r for r in (catalog.release(v) for v in named) if r is not None)
    if not releases:
        return replace(status, error=f"no active version of {server.registry_name} in the MCP Registry "
                                     f"names a release of the {server.source} package {server.package}")
    return pin_status(server, Catalog(catalog.ecosystem, catalog.package, releases, {}), now)


def package_versions(entries: Sequence[Entry], source: str, package: str) -> list[str]:
    """The versions of `package` that the registry's (active) entries name."""
    found = []
    for entry in entries:
        for item in entry.server.get("packages") or ():
            if isinstance(item, dict) and item.get("registryType") == source \
                    and item.get("identifier") == package and isinstance(item.get("version"), str):
                found.append(item["version"])
    return list(dict.fromkeys(found))
