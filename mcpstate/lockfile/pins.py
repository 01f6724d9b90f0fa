"""Lockfile pins against registry catalogs: what is outdated, where `update` moves
each pin, and whether `lock`'s integrities match. Data in, data out: the catalogs
are fetched by the caller and the clock is passed in, as pip-tools' `sync.diff`."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from mcpstate.errors import RegistryError, UsageError
from mcpstate.lockfile.edit import Edit
from mcpstate.model import Lockfile, ServerSpec
from mcpstate.registry.versions import Catalog, is_newer, latest, wanted

REGISTRY_SOURCES = ("npm", "pypi")
Catalogs = Mapping[tuple[str, str], "Catalog | RegistryError"]


@dataclass(frozen=True)
class PinStatus:
    """One registry server: its pin, WANTED and LATEST, or why they are unknown."""

    server: ServerSpec
    catalog: Catalog | None
    wanted: str | None = None
    latest: str | None = None
    error: str | None = None
    note: str | None = None

    @property
    def key(self) -> tuple[str, str]:
        return self.server.source, self.server.package or ""


@dataclass(frozen=True)
class Move:
    server: str
    old: str
    new: str
    integrity: str


def registry_servers(lockfile: Lockfile, names: Sequence[str]) -> list[ServerSpec]:
    """The npm and PyPI servers, all of them or the named ones, in lockfile order."""
    unknown = [n for n in names if n not in lockfile.servers]
    if unknown:
        raise UsageError(f"no server named {', '.join(map(repr, unknown))} in {lockfile.path}")
    chosen = [s for s in lockfile.servers.values() if not names or s.name in names]
    other = [s.name for s in chosen if s.source not in REGISTRY_SOURCES]
    if names and other:
        raise UsageError(f"{', '.join(other)}: not from a registry (source command or remote), "
                         "so there is no version to check")
    return [s for s in chosen if s.source in REGISTRY_SOURCES]


def catalog_keys(servers: Iterable[ServerSpec]) -> list[tuple[str, str]]:
    return [(s.source, s.package or "") for s in servers]


def pin_statuses(servers: Sequence[ServerSpec], catalogs: Catalogs,
                 now: datetime) -> list[PinStatus]:
    return [pin_status(s, catalogs[(s.source, s.package or "")], now) for s in servers]


def pin_status(server: ServerSpec, catalog: Catalog | RegistryError, now: datetime) -> PinStatus:
    """WANTED and LATEST of one server, honouring its update policy at `now`."""
    if isinstance(catalog, RegistryError):
        return PinStatus(server, None, error=str(catalog))
    age = server.update.min_release_age_days
    try:
        want = wanted(server.update.constraint, catalog, now=now, min_release_age_days=age)
    except ValueError as exc:
        return PinStatus(server, catalog, error=f"servers.{server.name}.update.constraint: {exc}")
    newest = latest(catalog, now=now, min_release_age_days=age)
    return PinStatus(server, catalog, want, newest, note=_age_note(catalog, age))


def _age_note(catalog: Catalog, age: float) -> str | None:
    if age > 0 and any(r.published is None for r in catalog.releases):
        return (f"the registry gives no release time for some versions of {catalog.package}; "
                f"they are skipped, as min_release_age_days ({age:g}) cannot be checked")
    return None


def plan_moves(statuses: Iterable[PinStatus], to_latest: bool) -> tuple[list[Move], list[str]]:
    """Where `update` moves each pin, and why the others stay. Never moves backwards:
    a pin newer than WANTED was chosen by hand and is kept."""
    moves, stays = [], []
    for status in statuses:
        name, old = status.server.name, status.server.version or ""
        target = status.latest if to_latest else status.wanted
        if status.catalog is None or target is None:
            stays.append(f"{name}: {status.error or 'no version satisfies the update policy'}")
        elif is_newer(status.catalog.ecosystem, target, old):
            moves.append(Move(name, old, target, _pinnable(status.catalog, target, name)))
        elif is_newer(status.catalog.ecosystem, old, target):
            stays.append(f"{name}: {old} is newer than {target}, kept")
    return moves, stays


def _pinnable(catalog: Catalog, version: str, server: str) -> str:
    release = catalog.release(version)
    if release is None or release.integrity is None:
        why = release.note if release else "not in the registry's answer"
        raise RegistryError(f"{server}: cannot pin {catalog.package} {version}: {why}")
    return release.integrity


def integrity_edits(servers: Sequence[ServerSpec], catalogs: Catalogs) -> tuple[list[Edit], list[str]]:
    """`lock`: integrities to fill in, and every problem (a mismatch, a version the
    registry does not have); the caller writes nothing when there is a problem."""
    edits, problems = [], []
    for server in servers:
        found, problem = _registry_integrity(server, catalogs[(server.source, server.package or "")])
        if problem is not None:
            problems.append(problem)
        elif server.integrity is None:
            edits.append(Edit(server.name, integrity=found))
        elif server.integrity != found:
            problems.append(f"{server.name} {server.version}: integrity mismatch: the lockfile "
                            f"has {server.integrity}, the registry has {found}; if the new hash "
                            "is expected, delete the lockfile's and run `mcpstate lock` again")
    return edits, problems


def _registry_integrity(server: ServerSpec,
                        catalog: Catalog | RegistryError) -> tuple[str | None, str | None]:
    """(the registry's integrity for the pinned version, None) or (None, the problem)."""
    if isinstance(catalog, RegistryError):
        return None, f"{server.name}: {catalog}"
    release = catalog.release(server.version or "")
    if release is None:
        return None, f"{server.name}: {server.package} has no version {server.version} on the registry"
    if release.integrity is None:
        return None, f"{server.name}: {server.package} {server.version}: {release.note}"
    return release.integrity, None


def yanked_warnings(servers: Iterable[ServerSpec], catalogs: Catalogs) -> list[str]:
    warnings = []
    for server in servers:
        catalog = catalogs.get((server.source, server.package or ""))
        release = catalog.release(server.version or "") if isinstance(catalog, Catalog) else None
        if release is not None and release.yanked:
            reason = f" ({release.note})" if release.note else ""
            warnings.append(f"{server.name}: {server.package} {server.version} is yanked{reason}")
    return warnings
