"""Which version an update moves to: pure functions over a package's releases.

npm ranges are read as npm does (semantic_version.NpmSpec) and may also name a
dist-tag (`latest`, `next`); PyPI constraints are PEP 440 specifiers (packaging).
Prereleases are taken only when asked, and asked the way each ecosystem asks:
npm, by a range naming a prerelease of the same major.minor.patch or by a
dist-tag; PyPI, by a specifier naming a prerelease (or, as pip, when a project has
nothing else). Yanked releases are skipped. A release younger than
`min_release_age_days` at `now` is skipped, and so is one whose release time is
unknown when an age is asked for: an age policy that cannot be checked must not
pass silently. No constraint means no limit: WANTED is then LATEST.

semantic_version and packaging are imported inside the functions: lockfile
validation may import this module, and `plan` must stay fast.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any


@dataclass(frozen=True)
class Release:
    """One published version. `integrity` is what the lockfile pins: npm's
    `dist.integrity`; for PyPI the sha256 of the file mcpstate installs."""

    version: str
    published: datetime | None = None
    yanked: bool = False
    integrity: str | None = None
    note: str | None = None  # why `integrity` is missing, or the yank reason


@dataclass(frozen=True)
class Catalog:
    """Everything a registry says about one package."""

    ecosystem: str  # "npm" or "pypi"
    package: str
    releases: tuple[Release, ...]
    dist_tags: Mapping[str, str] = field(default_factory=dict)

    def release(self, version: str) -> Release | None:
        """The release named `version`, compared as versions ("1.0" is "1.0.0" on PyPI)."""
        key = sort_key(self.ecosystem, version)
        exact = (r for r in self.releases if r.version == version)
        same = (r for r in self.releases
                if key is not None and sort_key(self.ecosystem, r.version) == key)
        return next(exact, None) or next(same, None)


def sort_key(ecosystem: str, version: str) -> Any:
    """A comparable key for `version`, or None when it is not a valid version."""
    parse = _npm_version if ecosystem == "npm" else _pep440_version
    return parse(version)


def is_newer(ecosystem: str, candidate: str, than: str) -> bool:
    a, b = sort_key(ecosystem, candidate), sort_key(ecosystem, than)
    return a is not None and b is not None and a > b


def old_enough(release: Release, now: datetime, min_release_age_days: float) -> bool:
    if min_release_age_days <= 0:
        return True
    if release.published is None:
        return False
    return now - release.published >= timedelta(days=min_release_age_days)


def wanted(constraint: str | None, catalog: Catalog, *, now: datetime,
           min_release_age_days: float = 0.0) -> str | None:
    """The newest release allowed by `constraint`, or None when none is.

    Raises ValueError when `constraint` is neither a valid range nor a dist-tag."""
    if constraint is None or constraint.strip() in ("", "*"):
        return latest(catalog, now=now, min_release_age_days=min_release_age_days)
    usable = _usable(catalog, now, min_release_age_days)
    if catalog.ecosystem == "npm":
        return _npm_wanted(constraint.strip(), catalog, usable)
    return _pep440_newest(usable, constraint)


def latest(catalog: Catalog, *, now: datetime, min_release_age_days: float = 0.0) -> str | None:
    """The newest stable release old enough; on npm, never above the `latest` tag
    (publishers point it below the highest version on purpose, as for backports)."""
    usable = _usable(catalog, now, min_release_age_days)
    if catalog.ecosystem == "pypi":
        return _pep440_newest(usable, "")
    tag = catalog.dist_tags.get("latest")
    if tag is not None and any(r.version == tag for r in usable):
        return tag  # it may name a prerelease: npm's `latest` is whatever the tag says
    ceiling = _npm_version(tag) if tag is not None else None
    return _newest("npm", (r.version for r in usable if _npm_stable(r.version)
                           and (ceiling is None or _npm_version(r.version) <= ceiling)))


def _usable(catalog: Catalog, now: datetime, min_age: float) -> list[Release]:
    return [r for r in catalog.releases
            if not r.yanked and old_enough(r, now, min_age)
            and sort_key(catalog.ecosystem, r.version) is not None]


def _npm_wanted(constraint: str, catalog: Catalog, usable: list[Release]) -> str | None:
    if constraint in catalog.dist_tags:
        tagged = catalog.dist_tags[constraint]
        return tagged if any(r.version == tagged for r in usable) else None
    import semantic_version

    try:
        spec = semantic_version.NpmSpec(constraint)
    except ValueError as exc:
        raise ValueError(f"{constraint!r} is neither an npm range nor a dist-tag "
                         f"of {catalog.package} ({exc})") from None
    return _newest("npm", (r.version for r in usable if spec.match(_npm_version(r.version))))


def _pep440_newest(usable: list[Release], constraint: str) -> str | None:
    from packaging.specifiers import InvalidSpecifier, SpecifierSet

    try:
        spec = SpecifierSet(constraint)
    except InvalidSpecifier as exc:
        raise ValueError(f"{constraint!r} is not a PEP 440 specifier ({exc})") from None
    by_version = {_pep440_version(r.version): r.version for r in usable}
    # filter() is pip's rule: prereleases only when named, or when nothing else matches.
    return _newest("pypi", (by_version[v] for v in spec.filter(by_version)))


def _newest(ecosystem: str, versions: Iterable[str]) -> str | None:
    key: Callable[[str], Any] = lambda v: sort_key(ecosystem, v)
    return max(versions, key=key, default=None)


@lru_cache(maxsize=8192)  # one parse per version string, however often it is compared
def _npm_version(version: str) -> Any:
    import semantic_version

    try:
        return semantic_version.Version(version)
    except ValueError:
        return None


def _npm_stable(version: str) -> bool:
    parsed = _npm_version(version)
    return parsed is not None and not parsed.prerelease


@lru_cache(maxsize=8192)
def _pep440_version(version: str) -> Any:
    from packaging.version import InvalidVersion, Version

    try:
        return Version(version)
    except InvalidVersion:
        return None
