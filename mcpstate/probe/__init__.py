"""The built-in MCP client and health test (DESIGN §8).

    report = probe(Launch(command="node", args=("server.js",)), spec, baseline)
    path = write_report(report, state_dir.reports, "memory", "2026.8.31")
    print(render_report_text(report))

The names below load on first use: `plan` reads tool surfaces (probe.surface,
probe.surfacediff) and must not pay for the client, the report's dataclasses, psutil
or httpx, which load only when a probe runs.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from mcpstate.probe.launch import Launch
    from mcpstate.probe.report import LoadResult, Report, SmokeResult, render_report_text, write_report
    from mcpstate.probe.runner import probe, probe_many
    from mcpstate.probe.surfacediff import SurfaceDiff
    from mcpstate.probe.tools import ToolInfo

_WHERE = {"Launch": "launch", "LoadResult": "report", "Report": "report", "SmokeResult": "report",
          "render_report_text": "report", "write_report": "report", "probe": "runner", "probe_many": "runner",
          "SurfaceDiff": "surfacediff", "ToolInfo": "tools"}

__all__ = [
    "Launch", "LoadResult", "Report", "SmokeResult", "SurfaceDiff", "ToolInfo",
    "probe", "probe_many", "render_report_text", "write_report",
]


def __getattr__(name: str) -> Any:
    if name not in _WHERE:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"mcpstate.probe.{_WHERE[name]}"), name)
