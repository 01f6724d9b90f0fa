"""What the local npm registry and PyPI index share: the catalogue's artifacts, the
world's clock, deliberately wrong hashes (the catalogue's `bad_integrity`, or
`tamper()` from a test), releases held back until a test `publish()`es them, and
artifacts swapped for other bytes (`serve_other_bytes()`: a compromised registry,
whose metadata then matches what it serves)."""

from __future__ import annotations

from datetime import datetime

from testing import catalogue
from testing.artifacts import Artifact
from testing.catalogue import Package, Release
from testing.httpbase import LocalServer


class CatalogueServer(LocalServer):
    source = ""  # catalogue.NPM or catalogue.PYPI

    def __init__(self, artifacts: dict[tuple[str, str, str], Artifact], now: datetime) -> None:
        super().__init__()
        self.artifacts, self.now = artifacts, now
        self.tampered = self._catalogue_tampering()
        self.held = self._catalogue_held()
        self.swapped: set[tuple[str, str]] = set()

    def _catalogue_held(self) -> set[tuple[str, str]]:
        return {(pkg.name, r.version) for pkg in catalogue.packages(self.source)
                for r in pkg.releases if r.held_back}

    def _catalogue_tampering(self) -> set[tuple[str, str]]:
        return {(pkg.name, r.version) for pkg in catalogue.packages(self.source)
                for r in pkg.releases if r.bad_integrity}

    def reset(self) -> None:
        super().reset()
        self.tampered = self._catalogue_tampering()
        self.held = self._catalogue_held()
        self.swapped = set()

    def publish(self, name: str, version: str) -> None:
        """Put a held-back release (catalogue `held_back`) on the registry."""
        self.held.discard((catalogue.package(self.source, name).name, version))

    def serve_other_bytes(self, name: str, version: str) -> None:
        """Serve other bytes for name@version, with metadata that matches them."""
        self.swapped.add((catalogue.package(self.source, name).name, version))

    def releases(self, pkg: Package) -> tuple[Release, ...]:
        """The releases on the registry now (held-back ones only once published)."""
        return tuple(r for r in pkg.releases if (pkg.name, r.version) not in self.held)

    def served(self, pkg: Package, version: str) -> bytes:
        data = self.artifacts[(self.source, pkg.name, version)].path.read_bytes()
        return self.other_bytes(data) if (pkg.name, version) in self.swapped else data

    def other_bytes(self, data: bytes) -> bytes:
        """What a swapped artifact is served as (npm: the tarball with bytes appended,
        which pnpm's integrity check refuses before anything else reads it)."""
        return data + b"\n/* other bytes: swapped by the registry */\n"

    def tamper(self, name: str, version: str, bad: bool = True) -> None:
        """Advertise a wrong hash for name@version (or stop doing so)."""
        key = (catalogue.package(self.source, name).name, version)
        (self.tampered.add if bad else self.tampered.discard)(key)
