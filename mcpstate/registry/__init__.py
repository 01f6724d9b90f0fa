"""Package metadata from npm registries and PyPI indexes, over one HTTP client.

Only the commands that talk to registries (outdated, update, lock, import)
import this package; httpx comes with it.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager

from mcpstate.errors import RegistryError
from mcpstate.httpclient import make_client
from mcpstate.registry import npm, pypi
from mcpstate.registry.fetch import Fetcher, map_concurrent
from mcpstate.registry.urls import DEFAULTS, registry_urls
from mcpstate.registry.versions import Catalog

TIMEOUT_S = 15.0
__all__ = ["DEFAULTS", "Registries", "fetch_catalogs", "open_registries", "registry_urls"]

Key = tuple[str, str]  # (source, package)


class Registries:
    """Catalogs of npm and PyPI packages, fetched once each per run."""

    def __init__(self, fetcher: Fetcher, urls: Mapping[str, str]) -> None:
        self.fetcher = fetcher
        self.urls = dict(urls)

    def catalog(self, source: str, package: str) -> Catalog:
        if source == "npm":
            return npm.fetch_catalog(self.fetcher, self.urls["npm"], package)
        if source == "pypi":
            return pypi.fetch_catalog(self.fetcher, self.urls["pypi"], package)
        raise RegistryError(f"{source!r} servers have no registry")

    def catalogs(self, keys: Iterable[Key]) -> dict[Key, Catalog | RegistryError]:
        """Each (source, package) once, concurrently; a failed one maps to its error."""
        unique = list(dict.fromkeys(keys))
        answers = map_concurrent(lambda key: self.catalog(*key), unique)
        return dict(zip(unique, answers))


@contextmanager
def open_registries(configured: Mapping[str, str], environ: Mapping[str, str] | None = None,
                    timeout: float = TIMEOUT_S) -> Iterator[Registries]:
    """Registries over a fresh pooled client, closed on the way out."""
    urls = registry_urls(configured, os.environ if environ is None else environ)
    with make_client(timeout=timeout) as client:
        yield Registries(Fetcher(client), urls)


def fetch_catalogs(configured: Mapping[str, str], keys: Iterable[Key],
                   environ: Mapping[str, str] | None = None) -> dict[Key, Catalog | RegistryError]:
    """Each (source, package) catalog, concurrently over one client."""
    with open_registries(configured, environ) as registries:
        return registries.catalogs(keys)
