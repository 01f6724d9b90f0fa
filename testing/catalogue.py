"""The fixture package catalogue: the single source of truth for which packages the
local npm registry and PyPI index publish, each version's behaviour, publish time,
dist-tags and yanked flags. Tests reference the constants, never literal versions.

Publish times are ages relative to the world's clock (`World.now`), so a test about
`min_release_age_days` means the same thing on any day it runs.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

NPM, PYPI = "npm", "pypi"

NPM_SERVER = "@mcpstate-fixture/server"
NPM_SERVER_BIN = "mcpstate-fixture-server"
NPM_TINY = "mcpstate-fixture-tiny"
NPM_TINY_BIN = "mcpstate-fixture-tiny"
NPM_CALENDAR = "@mcpstate-fixture/calendar"
NPM_CALENDAR_BIN = "mcpstate-fixture-calendar"
NPM_TAMPERED = "@mcpstate-fixture/tampered"  # its packument advertises a wrong integrity
NPM_TAMPERED_BIN = "mcpstate-fixture-tampered"

PYPI_SERVER = "mcpstate-fixture-server"
PYPI_SERVER_SCRIPT = "mcpstate-fixture-server"
PYPI_CALENDAR = "mcpstate-fixture-calendar"
PYPI_CALENDAR_SCRIPT = "mcpstate-fixture-calendar"
PYPI_TAMPERED = "mcpstate-fixture-tampered"  # its index link carries a wrong sha256
PYPI_TAMPERED_SCRIPT = "mcpstate-fixture-tampered"

# A dependency graph: a server that depends on a library (not a server: no bin) whose
# patch release is held back until a test publishes it (`world.publish`).
NPM_LIB = "@mcpstate-fixture/lib"
NPM_WITH_LIB = "@mcpstate-fixture/with-lib"
NPM_WITH_LIB_BIN = "mcpstate-fixture-with-lib"
PYPI_LIB = "mcpstate-fixture-lib"
PYPI_WITH_LIB = "mcpstate-fixture-with-lib"
PYPI_WITH_LIB_SCRIPT = "mcpstate-fixture-with-lib"
LIB_VERSION = "1.0.0"
LIB_PATCH = "1.0.1"  # unpublished until a test calls world.publish(source, lib, LIB_PATCH)
WITH_LIB_VERSION = "1.0.0"

# behaviour -> version of the main server package, for each source (NPM_VERSIONS below).
_BEHAVIOUR_VERSIONS: dict[str, str] = {
    "healthy": "1.0.0", "add_tool": "1.1.0", "remove_tool": "1.2.0", "change_schema": "1.3.0",
    "crash": "1.4.0", "hang": "1.5.0", "garbage": "1.6.0", "exit_after_handshake": "1.7.0",
    "memory_hog": "1.8.0", "slow_start": "1.9.0", "second_start_fails": "1.10.0",
    "modern_only": "2.0.0", "legacy_only": "2.1.0", "chatty": "2.2.0",
}
# Patch releases of 1.0.0 whose only change is in `echo`'s tool surface, one DESIGN §8
# class each (a newly required property is `change_schema`, 1.3.0): published between
# 1.0.0 and 1.1.0, so no `outdated` or `update` answer moves.
SURFACE_VERSIONS: dict[str, str] = {
    "new_description": "1.0.1",       # a benign description change: to review
    "poisoned_description": "1.0.2",  # an <IMPORTANT> block asking for ~/.ssh/id_rsa: a lint fires
    "new_title": "1.0.3",             # a title only: to review, never breaking
    "optional_property": "1.0.4",     # an optional input property added: to review
}
NPM_VERSIONS: dict[str, str] = {**_BEHAVIOUR_VERSIONS, **SURFACE_VERSIONS}
NPM_PRERELEASE = "2.3.0-beta.1"  # healthy, dist-tag "beta"
NPM_LATEST = "2.2.0"
PYPI_VERSIONS: dict[str, str] = {
    behaviour: version for behaviour, version in NPM_VERSIONS.items()}  # same numbers, PEP 440-valid
PYPI_PRERELEASE = "2.3.0b1"
PYPI_LATEST = "2.2.0"
PYPI_YANKED = "1.5.0"  # the hang version; pip still installs it when pinned with ==

TINY_VERSIONS = ("1.0.0", "1.1.0")
CALENDAR_VERSIONS = ("2026.7.4", "2026.8.31", "2026.10.19")  # 2026.10.19 is one day old
CALENDAR_RECENT = "2026.10.19"


@dataclass(frozen=True)
class Release:
    version: str
    behaviour: str = "healthy"
    age: timedelta = timedelta(days=100)  # how long before World.now it was published
    yanked: str | None = None  # PyPI yank reason (PEP 592)
    deprecated: str | None = None  # npm deprecation message
    bad_integrity: bool = False  # the registry advertises a hash that is not the artifact's
    held_back: bool = False  # not on the registry until a test publishes it


@dataclass(frozen=True)
class Package:
    source: str  # NPM or PYPI
    name: str
    bin: str  # npm bin name, or PyPI console script
    releases: tuple[Release, ...]
    dist_tags: dict[str, str] = field(default_factory=dict)  # npm; "latest" is required
    depends: dict[str, str] = field(default_factory=dict)  # name -> range (npm) / specifier (PyPI)
    library: bool = False  # a dependency, not a server: no bin, no console script

    def release(self, version: str) -> Release:
        for release in self.releases:
            if release.version == version:
                return release
        raise KeyError(f"{self.name} has no version {version} in the catalogue")

    @property
    def module(self) -> str:
        """The PyPI import package that holds the server."""
        return self.name.replace("-", "_")


def _days(n: float) -> timedelta:
    return timedelta(days=n)


def _server_releases(prerelease: str, yanked: str | None) -> tuple[Release, ...]:
    # Older behaviours were published earlier: 1.0.0 is 400 days old, 2.2.0 is 10.
    releases = [
        Release(version, behaviour, _days(400 - 27 * i),
                yanked="hangs at start" if version == yanked else None,
                deprecated="hangs at start" if behaviour == "hang" else None)
        for i, (behaviour, version) in enumerate(_BEHAVIOUR_VERSIONS.items())
    ]
    patches = [Release(version, behaviour, _days(390 - 5 * i))
               for i, (behaviour, version) in enumerate(SURFACE_VERSIONS.items())]
    oldest_first = sorted(releases + patches, key=lambda r: r.age, reverse=True)  # as the registries expect
    return (*oldest_first, Release(prerelease, "healthy", _days(2)))


def _calendar() -> tuple[Release, ...]:
    ages = (120, 60, 1)
    return tuple(Release(v, "add_tool" if i else "healthy", _days(age))
                 for i, (v, age) in enumerate(zip(CALENDAR_VERSIONS, ages)))


def _lib_releases() -> tuple[Release, ...]:
    # the patch is a few days old when published, so no installer's release-age rule holds it
    return (Release(LIB_VERSION, "healthy", _days(30)), Release(LIB_PATCH, "healthy", _days(3), held_back=True))


PACKAGES: tuple[Package, ...] = (
    Package(NPM, NPM_SERVER, NPM_SERVER_BIN, _server_releases(NPM_PRERELEASE, None),
            {"latest": NPM_LATEST, "beta": NPM_PRERELEASE}),
    Package(NPM, NPM_TINY, NPM_TINY_BIN, (
        Release("1.0.0", "healthy", _days(200)), Release("1.1.0", "add_tool", _days(30))),
        {"latest": "1.1.0"}),
    Package(NPM, NPM_CALENDAR, NPM_CALENDAR_BIN, _calendar(), {"latest": CALENDAR_RECENT}),
    Package(NPM, NPM_TAMPERED, NPM_TAMPERED_BIN, (
        Release("1.0.0", "healthy", _days(50), bad_integrity=True),), {"latest": "1.0.0"}),
    Package(NPM, NPM_LIB, "", _lib_releases(), {"latest": LIB_VERSION}, library=True),
    Package(NPM, NPM_WITH_LIB, NPM_WITH_LIB_BIN, (Release(WITH_LIB_VERSION, "healthy", _days(20)),),
            {"latest": WITH_LIB_VERSION}, depends={NPM_LIB: "^1.0.0"}),
    Package(PYPI, PYPI_LIB, "", _lib_releases(), library=True),
    Package(PYPI, PYPI_WITH_LIB, PYPI_WITH_LIB_SCRIPT, (Release(WITH_LIB_VERSION, "healthy", _days(20)),),
            depends={PYPI_LIB: ">=1.0,<2"}),
    Package(PYPI, PYPI_SERVER, PYPI_SERVER_SCRIPT, _server_releases(PYPI_PRERELEASE, PYPI_YANKED)),
    Package(PYPI, PYPI_CALENDAR, PYPI_CALENDAR_SCRIPT, _calendar()),
    Package(PYPI, PYPI_TAMPERED, PYPI_TAMPERED_SCRIPT, (
        Release("1.0.0", "healthy", _days(50), bad_integrity=True),)),
)


def package(source: str, name: str) -> Package:
    """The catalogue entry for `name` (npm names as published, PyPI names in any spelling)."""
    wanted = normalize_pypi(name) if source == PYPI else name
    for pkg in PACKAGES:
        if pkg.source == source and (normalize_pypi(pkg.name) if source == PYPI else pkg.name) == wanted:
            return pkg
    raise KeyError(f"no {source} package {name!r} in the catalogue")


def packages(source: str) -> tuple[Package, ...]:
    return tuple(pkg for pkg in PACKAGES if pkg.source == source)


def normalize_pypi(name: str) -> str:
    """PEP 503 name normalization."""
    import re

    return re.sub(r"[-_.]+", "-", name).lower()
