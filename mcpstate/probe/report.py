"""The health-test report: what was measured, what failed, its JSON (format_version 1),
its plain-text rendering, and the report file under .mcpstate/reports/."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

from mcpstate.stamps import file_stamp
from mcpstate.fsutil import atomic_write, ensure_private_dir
from mcpstate.model import NOT_TESTED
from mcpstate.secrets.redact import redact_data
from mcpstate.probe.surface import Surface
from mcpstate.probe.surfacediff import SurfaceDiff, describe
from mcpstate.probe.tools import ToolInfo

FORMAT_VERSION = "1"
TEXT_STDERR_LINES = 5


@dataclass(frozen=True)
class SmokeResult:
    tool: str
    passed: bool
    latency_ms: float | None
    detail: str

    def to_json(self) -> dict[str, Any]:
        return {"tool": self.tool, "passed": self.passed, "latency_ms": self.latency_ms, "detail": self.detail}


@dataclass(frozen=True)
class LoadResult:
    tool: str
    calls: int
    concurrency: int
    completed: int
    errors: int
    p50_ms: float | None
    p95_ms: float | None
    duration_ms: float
    peak_rss_mb: float | None = None  # the process-tree figures are None for remote servers
    cpu_percent: float | None = None
    open_files: int | None = None
    threads: int | None = None

    def to_json(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass(frozen=True)
class Report:
    """One health test. `failures` holds one line per failed check; passed == not failures."""

    passed: bool
    failures: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()
    transport: str = "stdio"
    generation: str | None = None  # "modern" | "legacy"; None when no handshake happened
    protocol_version: str | None = None
    server_info: Mapping[str, Any] = field(default_factory=dict)
    startup_ms: float | None = None
    rss_mb: float | None = None
    tools: tuple[ToolInfo, ...] = ()
    tool_diff: SurfaceDiff = SurfaceDiff()
    breaking: bool = False
    smoke: tuple[SmokeResult, ...] = ()
    load: LoadResult | None = None
    stderr_tail: tuple[str, ...] = ()
    duration_ms: float = 0.0
    # a remote server asked for a sign-in (401 + WWW-Authenticate, no credentials given):
    # passed with a warning, and its tool surface is unknown (`tools` empty, no diff)
    auth_required: bool = False
    skipped: bool = False  # `test: {skip: true}`: nothing was probed ("not tested")
    # the listed tools as tools.json would hold them (probe/surface.py) and that file's
    # digest, the lockfile's `tools:`; None when the tools could not be read
    surface: Surface | None = None
    surface_digest: str | None = None

    @property
    def tool_names(self) -> tuple[str, ...]:
        return tuple(tool.name for tool in self.tools)

    def to_json(self) -> dict[str, Any]:
        return {
            "format_version": FORMAT_VERSION, "passed": self.passed, "failures": list(self.failures),
            "warnings": list(self.warnings), "transport": self.transport, "generation": self.generation,
            "protocol_version": self.protocol_version, "server_info": dict(self.server_info),
            "startup_ms": self.startup_ms, "rss_mb": self.rss_mb, "duration_ms": self.duration_ms,
            "tools": [tool.to_json() for tool in self.tools], "tool_diff": self.tool_diff.to_json(),
            "breaking": self.breaking, "smoke": [result.to_json() for result in self.smoke],
            "load": self.load.to_json() if self.load else None, "stderr_tail": list(self.stderr_tail),
            "auth_required": self.auth_required, "skipped": self.skipped,
            "surface": [dict(tool) for tool in self.surface] if self.surface is not None else None,
            "surface_digest": self.surface_digest,
        }


def skipped_report(transport: str) -> Report:
    """What stands for a health test that `test: {skip: true}` tells mcpstate not to run."""
    return Report(passed=True, warnings=(NOT_TESTED,), transport=transport, skipped=True)


def write_report(report: Report, reports_dir: Path, server: str, version: str) -> Path:
    """Write `<server>-<version>-<timestamp>.json` (mode 0600) and return its path."""
    folder = ensure_private_dir(Path(reports_dir))
    stamp = file_stamp()
    stem = f"{_safe(server)}-{_safe(version)}-{stamp}"
    path = folder / f"{stem}.json"
    counter = 1
    while path.exists():  # two reports in the same millisecond: keep both
        counter += 1
        path = folder / f"{stem}-{counter}.json"
    data = json.dumps(redact_data(report.to_json()), indent=2, sort_keys=False, ensure_ascii=False) + "\n"
    atomic_write(path, data.encode(), mode=0o600)
    return path


def _safe(part: str) -> str:
    """A file-name-safe version of a server name or version ("@scope/pkg" has a slash)."""
    return re.sub(r"[^A-Za-z0-9._+-]", "_", part or "unknown")


def render_report_text(report: Report) -> str:
    """The report for people, plain text (colour is the caller's business)."""
    lines = [_headline(report), f"  {_figures(report)}"]
    lines.append(f"  tools ({len(report.tools)}): {', '.join(report.tool_names) or '-'}")
    lines += _diff_lines(report.tool_diff)
    lines += [f"  smoke {_smoke_text(result)}" for result in report.smoke]
    if report.load is not None:
        lines.append(f"  load {_load_text(report.load)}")
    lines += [f"  FAILED: {failure}" for failure in report.failures]
    lines += [f"  warning: {warning}" for warning in report.warnings]
    lines += _stderr_lines(report.stderr_tail)
    return "\n".join(lines) + "\n"


def _headline(report: Report) -> str:
    if report.skipped:
        return "SKIPPED  not tested: test: {skip: true} in the lockfile; the server was not probed"
    verdict = "PASSED" if report.passed else "FAILED"
    name = " ".join(str(report.server_info.get(key, "")) for key in ("name", "version")).strip()
    protocol = f"{report.generation} {report.protocol_version}" if report.generation else "no handshake"
    return f"{verdict}  {name or 'unknown server'}, {protocol} over {report.transport}"


def _figures(report: Report) -> str:
    parts = [f"startup {_ms(report.startup_ms)}"]
    if report.rss_mb is not None:
        parts.append(f"rss {report.rss_mb:g} MB")
    parts.append(f"total {_ms(report.duration_ms)}")
    return ", ".join(parts)


def _diff_lines(diff: SurfaceDiff) -> list[str]:
    marks = [f"+{n}" for n in diff.added] + [f"-{n}" for n in diff.removed] + [f"~{c.tool}" for c in diff.changed]
    if not marks:
        return []
    lines = [f"  tool diff: {' '.join(marks)}"]
    for change in diff.changed:
        words = ", ".join(describe(c) + (" (breaking)" if c.breaking else "") for c in change.changes)
        lines.append(f"    {change.tool}: {words}")
    return lines


def _smoke_text(result: SmokeResult) -> str:
    verdict = "ok" if result.passed else "FAILED"
    detail = f": {result.detail}" if result.detail and not result.passed else ""
    return f"{result.tool} {verdict} ({_ms(result.latency_ms)}){detail}"


def _load_text(load: LoadResult) -> str:
    text = (f"{load.tool}: {load.completed}/{load.calls} calls, concurrency {load.concurrency}, "
            f"p50 {_ms(load.p50_ms)}, p95 {_ms(load.p95_ms)}, {load.errors} errors")
    if load.peak_rss_mb is not None:
        text += (f", peak rss {load.peak_rss_mb:g} MB, cpu {load.cpu_percent:g}%, "
                 f"{load.open_files} open files, {load.threads} threads")
    return text


def _stderr_lines(tail: tuple[str, ...]) -> list[str]:
    if not tail:
        return []
    shown = tail[-TEXT_STDERR_LINES:]
    return [f"  stderr (last {len(shown)} of {len(tail)} lines kept):"] + [f"    | {line}" for line in shown]


def _ms(value: float | None) -> str:
    return "-" if value is None else f"{value:.0f} ms" if value >= 10 else f"{value:.1f} ms"
