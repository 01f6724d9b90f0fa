"""`mcpstate status` output: a table, JSON, or Prometheus text exposition format
(for node_exporter's textfile collector)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from mcpstate.lockfile.surface import Reviewed, surface_verdict
from mcpstate.model import AppliedServer
from mcpstate.render.table import table


def status_rows(state_servers: Mapping[str, AppliedServer], reports: Mapping[str, Any],
                problems: Mapping[str, str], reviewed: Mapping[str, Reviewed] | None = None
                ) -> list[dict[str, Any]]:
    rows = []
    for name, applied in state_servers.items():
        report = reports.get(name)
        failures = list(report.failures) if report else [problems.get(name, "not probed")]
        tested = not (report and report.skipped)
        surface, drifted = surface_verdict(report, (reviewed or {}).get(name))
        rows.append({
            "server": name, "source": applied.source, "version": applied.version,
            # not tested (`test: {skip: true}`): neither up nor down, null
            "revision": applied.revision, "up": bool(report and report.passed) if tested else None,
            "tested": tested, "auth_required": bool(report and report.auth_required),
            "warnings": list(report.warnings) if report else [],
            "startup_ms": report.startup_ms if report else None,
            "rss_mb": report.rss_mb if report else None,
            "tools": len(report.tools) if report and not (report.skipped or report.auth_required) else None,
            "generation": report.generation if report else None,
            "surface": surface, "tools_drift": drifted,
            "failures": failures})
    return rows


def status_text(rows: list[dict[str, Any]]) -> list[str]:
    head = ["SERVER", "VERSION", "REVISION", "UP", "STARTUP", "RSS", "TOOLS", "SURFACE", "DETAIL"]
    body = [[r["server"], r["version"] or "-", str(r["revision"]), _up(r),
             _num(r["startup_ms"], "ms"), _num(r["rss_mb"], "MiB"), _num(r["tools"], ""),
             r["surface"] or "-", _detail(r)[:120]] for r in rows]
    return table(head, body)


def _up(row: dict[str, Any]) -> str:
    return "-" if row["up"] is None else "yes" if row["up"] else "NO"


def _detail(row: dict[str, Any]) -> str:
    if not row["tested"]:
        return "not tested (test: {skip: true})"
    if row["auth_required"]:  # up, but its tools could not be read: say so first
        return "auth required (the client will sign in; tools not read)"
    drift = [f"tools drifted: {row['tools_drift']}"] if row["tools_drift"] else []
    return "; ".join(drift + row["failures"])


def _num(value: float | None, unit: str) -> str:
    return "-" if value is None else f"{value:.0f}{' ' + unit if unit else ''}"


METRICS = (
    ("mcpstate_server_up", "gauge", "1 when the server passed its live health test; "
     "no sample for a server not tested (test: {skip: true})", "up"),
    ("mcpstate_server_tested", "gauge", "0 when the lockfile says test: {skip: true} (not tested), else 1", "tested"),
    ("mcpstate_server_auth_required", "gauge",
     "1 when the server asked for a sign-in (401 with WWW-Authenticate, no credentials given)", "auth_required"),
    ("mcpstate_server_startup_seconds", "gauge", "spawn to handshake answer", "startup_s"),
    ("mcpstate_server_rss_bytes", "gauge", "resident memory of the server's process tree", "rss_bytes"),
    ("mcpstate_server_tools", "gauge", "tools the server lists", "tools"),
    ("mcpstate_server_tools_drift", "gauge", ("1 when the live tools differ from the reviewed ones "
                                              "(the lockfile's tools:), 0 when equal; no sample for an "
                                              "unreviewed surface"), "tools_drift"),
    ("mcpstate_server_revision", "gauge", "the committed revision", "revision"),
)


def prometheus(rows: list[dict[str, Any]], timestamp: float, lockfile_valid: bool = True) -> str:
    lines = ["# HELP mcpstate_lockfile_valid 1 when the lockfile could be read and passed validation",
             "# TYPE mcpstate_lockfile_valid gauge", f"mcpstate_lockfile_valid {int(lockfile_valid)}"]
    for metric, kind, text, key in METRICS:
        lines += [f"# HELP {metric} {text}", f"# TYPE {metric} {kind}"]
        for row in rows:
            value = _metric_value(row, key)
            if value is not None:
                lines.append(f"{metric}{{{_labels(row)}}} {value:g}")
    lines += ["# HELP mcpstate_last_status_timestamp_seconds when this status was taken",
              "# TYPE mcpstate_last_status_timestamp_seconds gauge",
              f"mcpstate_last_status_timestamp_seconds {timestamp:.3f}"]
    return "\n".join(lines) + "\n"


def _metric_value(row: dict[str, Any], key: str) -> float | None:
    if key == "up":
        return None if row["up"] is None else 1.0 if row["up"] else 0.0
    if key in ("tested", "auth_required"):
        return 1.0 if row[key] else 0.0
    if key == "tools_drift":
        return {"reviewed": 0.0, "drifted": 1.0}.get(row["surface"] or "")
    if key == "startup_s":
        return row["startup_ms"] / 1000 if row["startup_ms"] is not None else None
    if key == "rss_bytes":
        return row["rss_mb"] * 1024 * 1024 if row["rss_mb"] is not None else None
    value = row[key]
    return float(value) if value is not None else None


def _labels(row: dict[str, Any]) -> str:
    pairs = {"server": row["server"], "version": row["version"] or "", "source": row["source"]}
    return ",".join(f'{k}="{_escape(v)}"' for k, v in pairs.items())


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')
