"""Advisories matched to the servers whose closures hold the affected package: pure
functions from OSV records to findings, one per server, advisory and package version."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, NamedTuple

from mcpstate.audit.closures import ECOSYSTEM, Closure, Package
from mcpstate.audit.severity import UNKNOWN, rank, severity_of

Vuln = Mapping[str, Any]


class Finding(NamedTuple):
    server: str
    id: str
    severity: str  # low | moderate | high | critical | unknown
    package: Package
    fixed: str | None  # the lowest version above package.version that fixes it
    summary: str
    aliases: tuple[str, ...] = ()

    @property
    def url(self) -> str:
        return f"https://osv.dev/vulnerability/{self.id}"


def findings_for(closures: Sequence[Closure], affecting: Mapping[Package, Sequence[str]],
                 vulns: Mapping[str, Vuln]) -> list[Finding]:
    """Every finding, most severe first, then by server, package and id."""
    found = []
    for closure in closures:
        for package in closure.packages:
            records = [vulns[i] for i in affecting.get(package, ()) if i in vulns]
            found += [_finding(closure.server, package, vuln) for vuln in distinct(records)]
    return sorted(found, key=lambda f: (-_order(f.severity), f.server, f.package.name, f.id))


def distinct(records: Iterable[Vuln]) -> list[Vuln]:
    """One record per vulnerability: OSV lists the same one under several ids (GHSA-...,
    PYSEC-..., CVE aliases). Records that state a severity are kept first; withdrawn
    ones are dropped."""
    ordered = sorted((r for r in records if not r.get("withdrawn")),
                     key=lambda r: (severity_of(r) == UNKNOWN, str(r.get("id"))))
    kept: list[Vuln] = []
    seen: set[str] = set()
    for record in ordered:
        names = {str(record.get("id")), *map(str, record.get("aliases") or ())}
        if not names & seen:
            kept.append(record)
        seen |= names
    return kept


def _finding(server: str, package: Package, vuln: Vuln) -> Finding:
    summary = str(vuln.get("summary") or vuln.get("details") or "").strip().splitlines()
    return Finding(server, str(vuln["id"]), severity_of(vuln), package, fixed_version(vuln, package),
                   summary[0] if summary else "", tuple(map(str, vuln.get("aliases") or ())))


def _order(severity: str) -> int:
    return rank(severity) if severity != UNKNOWN else -1  # listed last, ranked as moderate


def fixed_version(vuln: Vuln, package: Package) -> str | None:
    """The lowest `fixed` event above the package's version, of the record's ranges for
    this package; None when the advisory names no fix (or only git commits)."""
    from mcpstate.registry.versions import sort_key

    current = sort_key(package.source, package.version)
    candidates = []
    for fixed in _fixed_events(vuln, package):
        key = sort_key(package.source, fixed)
        if key is not None and (current is None or key > current):
            candidates.append((key, fixed))
    return min(candidates)[1] if candidates else None


def _fixed_events(vuln: Vuln, package: Package) -> list[str]:
    events = []
    for affected in vuln.get("affected") or ():
        if isinstance(affected, Mapping) and _same_package(affected.get("package"), package):
            for span in affected.get("ranges") or ():
                if isinstance(span, Mapping) and span.get("type") != "GIT":
                    events += [str(e["fixed"]) for e in span.get("events") or ()
                               if isinstance(e, Mapping) and e.get("fixed")]
    return events


def _same_package(named: Any, package: Package) -> bool:
    if not isinstance(named, Mapping) or named.get("ecosystem") != ECOSYSTEM[package.source]:
        return False
    name = str(named.get("name", ""))
    return _normal(name) == _normal(package.name) if package.source == "pypi" else name == package.name


def _normal(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def at_or_above(severities: Iterable[str], threshold: str) -> bool:
    """Whether any severity ranks at or above `threshold` (unknown ranks as moderate)."""
    return any(rank(severity) >= rank(threshold) for severity in severities)
