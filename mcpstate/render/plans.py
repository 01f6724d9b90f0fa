"""A plan document in the chosen format: `plan`, `show`, and apply before approval."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from mcpstate.render.console import Output
from mcpstate.render.result import Result, Text, render_result


def plan_result(doc: dict[str, Any], fmt: str, code: int = 0, warnings: Sequence[str] = (),
                notes: Sequence[str] = ()) -> Result:
    """The plan as a command's result; only the asked format is ever rendered."""
    return Result(code, doc, lambda: plan_text(doc, fmt), warnings=warnings, notes=notes)


def plan_text(doc: dict[str, Any], fmt: str) -> Text:
    """Markdown for a pull-request comment, else the plan for people."""
    if fmt == "markdown":
        from mcpstate.render.planmd import plan_markdown

        return plan_markdown(doc)
    from mcpstate.render.plantext import plan_lines

    return plan_lines(doc)


def print_plan(out: Output, doc: dict[str, Any], fmt: str) -> None:
    """Write the plan now (apply shows it before asking for approval)."""
    render_result(plan_result(doc, fmt), fmt, out)
