"""mcpstate audit: known vulnerabilities of every locked closure (OSV), and the lints of
every tool surface audit can find (for now, the tools each server's committed revision
recorded in state.json).

Only `audit` imports this package; httpx comes with osv.py, when there is something to ask.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, NamedTuple

from mcpstate.audit.closures import Closure, server_closures
from mcpstate.audit.findings import Finding, findings_for
from mcpstate.model import Lockfile, State
from mcpstate.probe.lints import Lint, lint_tools


class ServerLint(NamedTuple):
    server: str
    lint: Lint


class AuditReport(NamedTuple):
    osv_url: str
    lockfile: str  # as written on the command line's project: "mcpstate.lock.yaml"
    closures: tuple[Closure, ...]
    findings: tuple[Finding, ...]
    lints: tuple[ServerLint, ...]
    linted: tuple[str, ...]  # the servers whose tool surface was known
    server_lines: Mapping[str, int]  # where each server's block starts in the lockfile


def run_audit(lockfile: Lockfile, state: State, environ: Mapping[str, str]) -> AuditReport:
    """Ask OSV about every package of every closure, and lint the recorded tool surfaces."""
    from mcpstate.audit.osv import open_osv, osv_url

    closures = server_closures(lockfile)
    packages = list(dict.fromkeys(p for closure in closures for p in closure.packages))
    findings: list[Finding] = []
    if packages:
        with open_osv(environ) as osv:
            affecting = osv.affecting(packages)
            vulns = osv.vulns([i for ids in affecting.values() for i in ids])
        findings = findings_for(closures, affecting, vulns)
    surfaces = recorded_surfaces(lockfile, state)
    return AuditReport(osv_url(environ), Path(lockfile.path).name, tuple(closures), tuple(findings),
                       tuple(lint_surfaces(surfaces)), tuple(surfaces), server_lines(Path(lockfile.path)))


def recorded_surfaces(lockfile: Lockfile, state: State) -> dict[str, Sequence[Mapping[str, Any]]]:
    """The tools of each lockfile server's committed revision, when it recorded any."""
    return {name: applied.surface for name, applied in state.servers.items()
            if name in lockfile.servers and applied.surface}


def lint_surfaces(surfaces: Mapping[str, Sequence[Mapping[str, Any]]]) -> list[ServerLint]:
    """Each server's tools linted, with the other servers' tool names as the foreign ones."""
    names = {server: [str(tool.get("name")) for tool in tools] for server, tools in surfaces.items()}
    found = []
    for server, tools in surfaces.items():
        others = [name for other, listed in names.items() if other != server for name in listed]
        found += [ServerLint(server, lint) for lint in lint_tools(tools, others)]
    return found


def server_lines(path: Path) -> dict[str, int]:
    """The line of each `servers.<name>` key (the lockfile was just loaded: it parses)."""
    from mcpstate.lockfile.yamlmarks import MarkedDict, load_marked

    data, _ = load_marked(path.read_text(encoding="utf-8"))
    servers = data.get("servers") if isinstance(data, dict) else None
    if not isinstance(servers, MarkedDict):
        return {}
    return {str(name): servers.marks[name][0] for name in servers if name in servers.marks}
