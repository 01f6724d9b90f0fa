"""npm registry metadata: the packument at `<registry>/<name>`.

The full packument is asked for (not the abbreviated install format) because
only it carries `time`, which `min_release_age_days` needs.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from mcpstate.errors import RegistryError
from mcpstate.lockfile.rules import NPM_NAME
from mcpstate.registry.fetch import Fetcher
from mcpstate.registry.versions import Catalog, Release

ACCEPT = "application/json"
_SHA512 = re.compile(r"sha512-[A-Za-z0-9+/]+={0,2}")


def packument_url(registry: str, name: str) -> str:
    """The packument URL; a scoped name's slash is escaped (`@scope%2fname`) as npm does."""
    if not NPM_NAME.fullmatch(name):
        raise RegistryError(f"{name!r} is not a valid npm package name")
    return registry.rstrip("/") + "/" + name.replace("/", "%2f")


def fetch_catalog(fetcher: Fetcher, registry: str, name: str) -> Catalog:
    url = packument_url(registry, name)
    answer = fetcher.get(url, accept=ACCEPT,
                         not_found=f"no such package on the npm registry {registry}: {name}")
    return parse_packument(answer.json(), name, url)


def parse_packument(data: Any, name: str, url: str) -> Catalog:
    """The releases and dist-tags of a packument (already decoded JSON)."""
    versions = data.get("versions") if isinstance(data, dict) else None
    if not isinstance(versions, dict):
        raise RegistryError(f"{url} is not an npm packument (no \"versions\" object); "
                            "is the npm registry URL right?")
    times = data.get("time") if isinstance(data.get("time"), dict) else {}
    releases = tuple(_release(v, meta, times.get(v)) for v, meta in versions.items())
    tags = data.get("dist-tags") if isinstance(data.get("dist-tags"), dict) else {}
    dist_tags = {k: v for k, v in tags.items() if isinstance(k, str) and isinstance(v, str)}
    return Catalog("npm", name, releases, dist_tags)


def _release(version: str, meta: Any, published: Any) -> Release:
    dist = meta.get("dist") if isinstance(meta, dict) else None
    integrity = _sha512(dist.get("integrity") if isinstance(dist, dict) else None)
    # Packages published before npm 5 have only a sha1: too weak to pin, so such a
    # version has no integrity and `lock` says why rather than pinning a sha1.
    note = None if integrity else "the registry gives no sha512 dist.integrity for it"
    return Release(version, parse_time(published), integrity=integrity, note=note)


def _sha512(integrity: Any) -> str | None:
    """The sha512 entry of an SRI string, which may list several hashes."""
    if not isinstance(integrity, str):
        return None
    return next((h for h in integrity.split() if _SHA512.fullmatch(h)), None)


def parse_time(value: Any) -> datetime | None:
    """An ISO 8601 instant ("2026-08-31T12:00:00.000Z"), or None when absent or odd."""
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else None  # a naive time is no instant
