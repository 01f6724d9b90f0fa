"""What the local npm registry and PyPI index share: the catalogue's artifacts, the
world's clock, and deliberately wrong hashes (the catalogue's `bad_integrity`, or
`tamper()` from a test)."""

from __future__ import annotations

from datetime import datetime

from testing import catalogue
from testing.artifacts import Artifact
from testing.httpbase import LocalServer


class CatalogueServer(LocalServer):
    source = ""  # catalogue.NPM or catalogue.PYPI

    def __init__(self, artifacts: dict[tuple[str, str, str], Artifact], now: datetime) -> None:
        super().__init__()
        self.artifacts, self.now = artifacts, now
        self.tampered = self._catalogue_tampering()

    def _catalogue_tampering(self) -> set[tuple[str, str]]:
        return {(pkg.name, r.version) for pkg in catalogue.packages(self.source)
                for r in pkg.releases if r.bad_integrity}

    def reset(self) -> None:
        super().reset()
        self.tampered = self._catalogue_tampering()

    def tamper(self, name: str, version: str, bad: bool = True) -> None:
        """Advertise a wrong hash for name@version (or stop doing so)."""
        key = (catalogue.package(self.source, name).name, version)
        (self.tampered.add if bad else self.tampered.discard)(key)
