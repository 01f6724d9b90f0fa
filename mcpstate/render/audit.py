"""`mcpstate audit` as text (a table), markdown (a PR comment) and its JSON document
(schemas/audit.schema.json); SARIF is in render/sarif.py."""

from __future__ import annotations

from collections import Counter
from typing import Any

from mcpstate.audit import AuditReport
from mcpstate.audit.closures import ECOSYSTEM
from mcpstate.audit.findings import Finding
from mcpstate.audit.severity import LEVELS, UNKNOWN
from mcpstate.render.result import FORMAT_VERSION, Line
from mcpstate.render.table import table

COLUMNS = ("SERVER", "PACKAGE", "VERSION", "ID", "SEVERITY", "FIXED IN")
STYLES = {"critical": "bold red", "high": "red", "moderate": "yellow", "low": None, UNKNOWN: "yellow"}


def audit_document(report: AuditReport, fail_on: str | None, failed: bool) -> dict[str, Any]:
    return {
        "format_version": FORMAT_VERSION, "osv_url": report.osv_url, "fail_on": fail_on, "failed": failed,
        "summary": {**severity_counts(report), "packages": package_count(report),
                    "lints": len(report.lints)},
        "servers": [{"server": c.server, "source": c.source, "closure": "locked" if c.locked else "not locked",
                     "lock_file": c.lock_file, "packages": len(c.packages)} for c in report.closures],
        "findings": [_finding_json(f) for f in report.findings],
        "lints": [{"server": s.server, "tool": s.lint.tool, "field": s.lint.field, "rule": s.lint.rule,
                   "rank": s.lint.rank, "message": s.lint.message} for s in report.lints],
    }


def _finding_json(finding: Finding) -> dict[str, Any]:
    return {"server": finding.server, "id": finding.id, "aliases": list(finding.aliases),
            "severity": finding.severity, "ecosystem": ECOSYSTEM[finding.package.source],
            "package": finding.package.name, "version": finding.package.version, "fixed": finding.fixed,
            "summary": finding.summary, "url": finding.url}


def severity_counts(report: AuditReport) -> dict[str, int]:
    counts = Counter(f.severity for f in report.findings)
    return {level: counts.get(level, 0) for level in (*LEVELS, UNKNOWN)}


def package_count(report: AuditReport) -> int:
    return len({p for c in report.closures for p in c.packages})


def summary_line(report: AuditReport) -> str:
    """'3 vulnerabilities (1 critical, 2 high) in 131 packages of 2 servers'."""
    where = f"{package_count(report)} packages of {len(report.closures)} servers"
    if not report.findings:
        return f"No known vulnerabilities in {where}"
    counts = severity_counts(report)
    parts = ", ".join(f"{n} {level}" for level, n in reversed(counts.items()) if n and level != UNKNOWN)
    parts += f", {counts[UNKNOWN]} of unknown severity" if counts[UNKNOWN] else ""
    noun = "vulnerability" if len(report.findings) == 1 else "vulnerabilities"
    return f"{len(report.findings)} {noun} ({parts.lstrip(', ')}) in {where}"


def not_locked(report: AuditReport) -> list[str]:
    return [c.server for c in report.closures if not c.locked]


def text_lines(report: AuditReport) -> list[Line]:
    lines: list[Line] = []
    if report.findings:
        rows = [(f.server, f.package.name, f.package.version, f.id, f.severity, f.fixed or "-")
                for f in report.findings]
        rendered = table(COLUMNS, rows)
        lines += [(rendered[0], "bold")]
        lines += [(line, STYLES[f.severity]) for line, f in zip(rendered[1:], report.findings)]
        lines.append(("", None))
    lines.append((summary_line(report) + ".", None))
    if not_locked(report):
        lines.append((f"Closure not locked for {', '.join(not_locked(report))}: only the server's own "
                      "package was checked (run `mcpstate lock`).", "yellow"))
    if report.lints:
        lines.append((f"{len(report.lints)} tool-surface lint(s) in {', '.join(_linted(report))} "
                      "(warnings above).", "yellow"))
    return lines


def _linted(report: AuditReport) -> list[str]:
    return list(dict.fromkeys(s.server for s in report.lints))


def lint_warning(server: str, tool: str, field: str, rule: str, message: str) -> str:
    """One line for stderr; the tool's own text is shown escaped, never as it is (it may hold
    the very escapes and invisible characters being reported)."""
    return f"{server}: tool {tool!r} {_printable(field)}: {message} [{rule}]"


def _printable(text: str) -> str:
    return "".join(c if c.isprintable() else f"U+{ord(c):04X}" for c in text)


def markdown(report: AuditReport) -> str:
    out = ["### mcpstate audit", "", f"**{summary_line(report)}**."]
    if report.findings:
        out += ["", "| Server | Package | Version | Advisory | Severity | Fixed in |", "|---|---|---|---|---|---|"]
        out += [f"| {_cell(f.server)} | `{_cell(f.package.name)}` | {_cell(f.package.version)} | "
                f"[{f.id}]({f.url}) | {f.severity} | {_cell(f.fixed or '-')} |" for f in report.findings]
    if report.lints:
        out += ["", f"**{len(report.lints)} tool-surface lint(s)**", "",
                "| Server | Tool | Field | Rule | Rank | Finding |", "|---|---|---|---|---|---|"]
        out += [f"| {_cell(s.server)} | `{_cell(s.lint.tool)}` | {_cell(s.lint.field)} | {s.lint.rule} | "
                f"{s.lint.rank} | {_cell(s.lint.message)} |" for s in report.lints]
    if not_locked(report):
        out += ["", f"> Closure not locked for {', '.join(not_locked(report))}: only the server's own "
                    "package was checked (run `mcpstate lock`)."]
    return "\n".join(out) + "\n"


def _cell(text: str) -> str:
    """Safe in a table cell: pipes escaped, newlines and invisible characters shown."""
    return _printable(text).replace("|", "\\|")
