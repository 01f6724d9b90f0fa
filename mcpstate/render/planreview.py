"""The parts of a markdown plan a reviewer opens one by one: per server, a folded block
with each changed tool (its old and new description as a diff, what changed in its
schema) and each target entry an import or a drift repair rewrites, as a diff.

Text from servers (descriptions, tool names) goes only inside code spans and fences
long enough that no backtick run in it can close them: a poisoned description cannot
reformat the comment it is reviewed in."""

from __future__ import annotations

import html
import re
from typing import Any

from mcpstate.probe.surfacediff import describe, from_json


def review_blocks(doc: dict[str, Any]) -> list[str]:
    """One `<details>` block (a string) per server with something to show."""
    seen: dict[str, dict[str, Any]] = {}
    for change in (*doc["drift"], *doc["changes"]):
        seen.setdefault(change["server"], change)
    blocks = []
    for server, change in seen.items():
        body = _tools_lines(change.get("tools_diff")) + _entry_lines(change.get("entry_diff") or [])
        if body:
            blocks.append("\n".join([f"<details><summary>{html.escape(server)}: {_what(change)}</summary>", "",
                                     *body, "</details>", ""]))
    return blocks


def _what(change: dict[str, Any]) -> str:
    parts = []
    if change.get("tools_diff"):
        parts.append("breaking tool changes" if change["tools_diff"]["breaking"] else "tool changes")
    if change.get("entry_diff"):
        parts.append("entry text")
    return " and ".join(parts)


def _tools_lines(data: dict[str, Any] | None) -> list[str]:
    if not data:
        return []
    diff = from_json(data)
    lines = [f"- {_code(name)} added" for name in diff.added]
    lines += [f"- {_code(name)} removed **(breaking)**" for name in diff.removed]
    lines += [f"- required tool {_code(name)} missing **(breaking)**" for name in diff.missing_required]
    for change in diff.changed:
        flag = " **(breaking)**" if change.breaking else ""
        lines.append(f"- {_code(change.tool)} changed{flag}:")
        lines += [f"  - {describe(c)}" + (" (breaking)" if c.breaking else "") for c in change.changes]
        if change.description is not None:
            old, new = change.description
            diff_lines = [f"- {line}" for line in old.splitlines() or [""]]
            diff_lines += [f"+ {line}" for line in new.splitlines() or [""]]
            lines += ["", *_fenced("diff", diff_lines)]
    return [*lines, ""]


def _entry_lines(items: list[dict[str, Any]]) -> list[str]:
    lines = []
    for item in items:
        if not any(line[:1] in "+-" for line in item["diff"]):
            lines += [f"{_code(item['target'])}: the entry is already what apply writes", ""]
            continue
        lines += [f"{_code(item['target'])}:", "", *_fenced("diff", item["diff"]), ""]
    return lines


def _fenced(language: str, lines: list[str]) -> list[str]:
    longest = max((len(run) for line in lines for run in re.findall(r"`+", line)), default=0)
    fence = "`" * max(3, longest + 1)
    return [fence + language, *lines, fence]


def _code(text: str) -> str:
    """`text` as a code span that its own backticks cannot end (CommonMark)."""
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    ticks = "`" * (longest + 1)
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{ticks}{pad}{text}{pad}{ticks}"
