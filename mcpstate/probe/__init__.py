"""The built-in MCP client and health test (DESIGN §8).

    report = probe(Launch(command="node", args=("server.js",)), spec, baseline)
    path = write_report(report, state_dir.reports, "memory", "2026.8.31")
    print(render_report_text(report))

Heavy modules (psutil, httpx) are imported only when a probe needs them.
"""

from __future__ import annotations

from mcpstate.probe.launch import Launch
from mcpstate.probe.report import LoadResult, Report, SmokeResult, render_report_text, write_report
from mcpstate.probe.runner import probe, probe_many
from mcpstate.probe.surfacediff import SurfaceDiff
from mcpstate.probe.tools import ToolInfo

__all__ = [
    "Launch", "LoadResult", "Report", "SmokeResult", "SurfaceDiff", "ToolInfo",
    "probe", "probe_many", "render_report_text", "write_report",
]
