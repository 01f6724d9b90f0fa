"""mcpstate audit: known vulnerabilities of every locked closure, and the tool-surface lints.

Exit 0 even with findings, unless `--fail-on SEVERITY` is given: then 1 when any
vulnerability, or any lint by its rank (probe/lints.py), is at or above it."""

from __future__ import annotations

import argparse
import os
from typing import TYPE_CHECKING

from mcpstate.context import Context
from mcpstate.render.result import Result

if TYPE_CHECKING:
    from mcpstate.audit import AuditReport
    from mcpstate.render.result import Text

FORMATS = ("text", "json", "markdown", "sarif")
SEVERITIES = ("low", "moderate", "high", "critical")


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--format", choices=FORMATS, default="text",
                        help="markdown for a pull-request comment, sarif for GitHub code scanning")
    parser.add_argument("--fail-on", choices=SEVERITIES, metavar="SEVERITY",
                        help="exit 1 when a finding is at or above SEVERITY (low, moderate, high, critical)")


def run(ctx: Context, args: argparse.Namespace) -> Result:
    from mcpstate.audit import run_audit
    from mcpstate.audit.findings import at_or_above
    from mcpstate.lockfile.load import load_lockfile
    from mcpstate.render import audit as render
    from mcpstate.state.file import load_state

    lockfile = load_lockfile(ctx.lockfile_path)
    state = load_state(ctx.state_dir(lockfile.state_dir))
    report = run_audit(lockfile, state, os.environ)
    report = report._replace(lockfile=os.path.relpath(ctx.lockfile_path, ctx.project_dir))
    ranks = [f.severity for f in report.findings] + [s.lint.rank for s in report.lints]
    failed = args.fail_on is not None and at_or_above(ranks, args.fail_on)
    over = sum(at_or_above([r], args.fail_on) for r in ranks) if failed else 0
    warnings = [render.lint_warning(s.server, s.lint.tool, s.lint.field, s.lint.rule, s.lint.message)
                for s in report.lints]
    errors = [f"{over} finding(s) at or above {args.fail_on} (--fail-on {args.fail_on}): move the pins "
              "to the fixed versions (`mcpstate update`, `mcpstate lock --refresh`) or review the "
              "tool lints"] if failed else []
    return Result(1 if failed else 0, render.audit_document(report, args.fail_on, failed),
                  lambda: _text(report, args.format), warnings=warnings, errors=errors)


def _text(report: AuditReport, fmt: str) -> Text:
    """Every format but json: markdown and SARIF are strings written as they are."""
    from mcpstate.render import audit as render

    if fmt == "markdown":
        return render.markdown(report)
    if fmt == "sarif":
        import json

        from mcpstate.render.sarif import sarif

        return json.dumps(sarif(report), indent=2) + "\n"
    return render.text_lines(report)
