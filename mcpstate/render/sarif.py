"""`mcpstate audit --format sarif`: SARIF 2.1.0 for GitHub code scanning. One result per
finding and per lint, located at the lockfile line where the server's block starts.

GitHub ranks security results by `properties.security-severity` (a CVSS-like number
in a string: >= 9.0 critical, 7.0-8.9 high, 4.0-6.9 medium, else low), so each rule
carries one in the middle of its band; `level` follows it (error, warning, note)."""

from __future__ import annotations

from typing import Any

from mcpstate import __version__
from mcpstate.audit import AuditReport, ServerLint
from mcpstate.audit.findings import Finding

SCHEMA = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
SECURITY_SEVERITY = {"critical": "9.5", "high": "8.0", "moderate": "5.5", "unknown": "5.5", "low": "2.0"}
LEVEL = {"critical": "error", "high": "error", "moderate": "warning", "unknown": "warning", "low": "note"}


def sarif(report: AuditReport) -> dict[str, Any]:
    rules: dict[str, dict[str, Any]] = {}
    for finding in report.findings:
        rules.setdefault(finding.id, _vuln_rule(finding))
    for item in report.lints:
        rules.setdefault(_lint_rule_id(item), _lint_rule(item))
    index = {rule_id: i for i, rule_id in enumerate(rules)}
    results = [_vuln_result(f, report, index) for f in report.findings]
    results += [_lint_result(s, report, index) for s in report.lints]
    driver = {"name": "mcpstate", "version": __version__,
              "rules": list(rules.values())}
    return {"$schema": SCHEMA, "version": "2.1.0",
            "runs": [{"tool": {"driver": driver}, "results": results,
                      "originalUriBaseIds": {"PROJECTROOT": {"description": {
                          "text": "the folder of the lockfile"}}}}]}


def _vuln_rule(finding: Finding) -> dict[str, Any]:
    return {"id": finding.id, "name": "KnownVulnerability",
            "shortDescription": {"text": finding.summary or finding.id},
            "fullDescription": {"text": f"{finding.id}: {finding.summary or 'a known vulnerability'}"},
            "helpUri": finding.url,
            "help": {"text": f"See {finding.url}. Move the pin (or the closure) to a fixed version."},
            "defaultConfiguration": {"level": LEVEL[finding.severity]},
            "properties": {"security-severity": SECURITY_SEVERITY[finding.severity],
                           "tags": ["security", "vulnerability", "dependency"]}}


def _lint_rule_id(item: ServerLint) -> str:
    return f"mcpstate/tool-surface/{item.lint.rule}"


def _lint_rule(item: ServerLint) -> dict[str, Any]:
    text = f"Tool surface lint: {item.lint.rule}"
    return {"id": _lint_rule_id(item), "name": "ToolSurfaceLint", "shortDescription": {"text": text},
            "defaultConfiguration": {"level": LEVEL[item.lint.rank]},
            "properties": {"security-severity": SECURITY_SEVERITY[item.lint.rank],
                           "tags": ["security", "mcp", "tool-poisoning"]}}


def _vuln_result(finding: Finding, report: AuditReport, index: dict[str, int]) -> dict[str, Any]:
    package = f"{finding.package.name}@{finding.package.version}"
    fixed = f"; fixed in {finding.fixed}" if finding.fixed else "; no fixed version known"
    text = (f"{finding.id} ({finding.severity}) in {package}, in the closure of server "
            f"'{finding.server}'{fixed}. {finding.summary}").rstrip()
    return {"ruleId": finding.id, "ruleIndex": index[finding.id], "level": LEVEL[finding.severity],
            "message": {"text": text}, "locations": [_location(report, finding.server)],
            "partialFingerprints": {"mcpstate/v1": f"{finding.server}/{finding.id}/{package}"}}


def _lint_result(item: ServerLint, report: AuditReport, index: dict[str, int]) -> dict[str, Any]:
    lint = item.lint
    rule_id = _lint_rule_id(item)
    text = f"Server '{item.server}', tool '{lint.tool}', {lint.field}: {lint.message}"
    return {"ruleId": rule_id, "ruleIndex": index[rule_id], "level": LEVEL[lint.rank],
            "message": {"text": text}, "locations": [_location(report, item.server)],
            "partialFingerprints": {"mcpstate/v1": f"{item.server}/{lint.tool}/{lint.field}/{lint.rule}"}}


def _location(report: AuditReport, server: str) -> dict[str, Any]:
    physical: dict[str, Any] = {"artifactLocation": {"uri": report.lockfile, "uriBaseId": "PROJECTROOT"}}
    line = report.server_lines.get(server)
    if line is not None:
        physical["region"] = {"startLine": line}
    return {"physicalLocation": physical}
