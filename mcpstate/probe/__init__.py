"""The built-in MCP client and health test (DESIGN §8).

    report = probe(Launch(command="node", args=("server.js",)), spec, previous_tools)
    path = write_report(report, state_dir.reports, "memory", "2026.8.31")
    print(render_report_text(report))

Heavy modules (psutil, httpx, deepdiff) are imported only when a probe needs them.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from mcpstate.probe.launch import Launch
    from mcpstate.probe.report import LoadResult, Report, SmokeResult, render_report_text, write_report
    from mcpstate.probe.runner import probe, probe_many
    from mcpstate.probe.tools import ToolDiff, ToolInfo

# Each name is imported on first use (PEP 562): `validate` and `plan` read tools.json
# through mcpstate.probe.surface, and must not pay for the client (dataclasses, httpx).
_HOMES = {"Launch": "launch", "LoadResult": "report", "Report": "report", "SmokeResult": "report",
          "render_report_text": "report", "write_report": "report", "probe": "runner",
          "probe_many": "runner", "ToolDiff": "tools", "ToolInfo": "tools"}


def __getattr__(name: str) -> Any:
    if name not in _HOMES:
        raise AttributeError(f"module 'mcpstate.probe' has no attribute {name!r}")
    return getattr(import_module(f"mcpstate.probe.{_HOMES[name]}"), name)

__all__ = [
    "Launch", "LoadResult", "Report", "SmokeResult", "ToolDiff", "ToolInfo",
    "probe", "probe_many", "render_report_text", "write_report",
]
