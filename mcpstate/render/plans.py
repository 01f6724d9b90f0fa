"""Print a plan document in the chosen format."""

from __future__ import annotations

from typing import Any

from mcpstate.render.console import Output


def print_plan(out: Output, doc: dict[str, Any], fmt: str) -> None:
    if fmt == "json":
        out.json(doc)
    elif fmt == "markdown":
        from mcpstate.render.planmd import plan_markdown

        out.write(plan_markdown(doc))
    else:
        from mcpstate.render.plantext import plan_lines

        for line, style in plan_lines(doc):
            out.print(line, style)
