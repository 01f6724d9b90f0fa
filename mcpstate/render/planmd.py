"""The plan as a pull-request comment: the summary visible, the details folded in a
diff block, then a folded block per server for its tool changes and rewritten entries;
a warning line when anything is deleted, protected, breaking or flagged by a lint; at
most 60,000 characters (GitHub's comment limit is 65,536)."""

from __future__ import annotations

from typing import Any

from mcpstate.render.planreview import review_blocks
from mcpstate.render.plantext import change_lines, summary_line

MARKER = "<!-- mcpstate-plan -->"
MAX_CHARS = 60_000


def plan_markdown(doc: dict[str, Any], max_chars: int = MAX_CHARS) -> str:
    head = [MARKER, f"### mcpstate: {summary_line(doc)}", ""]
    for warning in _warnings(doc):
        head += [f"> **Warning:** {warning}", ""]
    if doc["unmanaged"]:
        head += [f"Not managed, left as is: {', '.join(f'`{n}`' for n in doc['unmanaged'])}", ""]
    body = _diff_lines(doc)
    if not body:
        return "\n".join(head).rstrip() + "\n"
    top = "\n".join(head + ["<details><summary>Show plan</summary>", "", "```diff"])
    bottom = "\n".join(["```", "", "</details>", ""])
    review = _fit(review_blocks(doc), (max_chars - len(top) - len(bottom)) // 2)
    lines = _cut_middle(body, max_chars - len(top) - len(bottom) - len(review) - 3)
    return "\n".join([top, *lines, bottom, *([review] if review else [])])


def _fit(blocks: list[str], budget: int) -> str:
    """Whole blocks while they fit (a block cut short would leave a fence open)."""
    kept: list[str] = []
    used = 0
    for i, block in enumerate(blocks):
        note = f"_{len(blocks) - i} more server(s) with tool or entry changes cut; run `mcpstate plan` for all._\n"
        if used + len(block) + 1 + len(note) > budget:
            return "\n".join([*kept, note]) if len(note) <= budget - used else "\n".join(kept)
        kept.append(block)
        used += len(block) + 1
    return "\n".join(kept)


def _warnings(doc: dict[str, Any]) -> list[str]:
    deleted = [c["server"] for c in doc["changes"] if c["action"] == "delete"]
    found = [f"{len(deleted)} server(s) will be deleted: {', '.join(deleted)}"] if deleted else []
    return found + list(doc["warnings"])


def _diff_lines(doc: dict[str, Any]) -> list[str]:
    lines = []
    if doc["drift"]:
        lines.append("# Changed outside mcpstate")
        lines += [_diff(text) for text, _ in change_lines(doc["drift"], drift_only=True, entries=False)]
    if doc["changes"]:
        lines.append("# Changes")
        lines += [_diff(text) for text, _ in change_lines(doc["changes"], entries=False)]
    return lines


def _diff(line: str) -> str:
    # diff colouring keys on the first character: put the symbol there
    stripped = line.lstrip()
    if stripped[:1] in "+~->" and line.startswith("  ") and not line.startswith("    "):
        return stripped
    return "  " + line.strip()


def _cut_middle(lines: list[str], budget: int) -> list[str]:
    total = sum(len(line) + 1 for line in lines)
    if total <= budget:
        return lines
    keep = budget - 120  # room for the note
    head: list[str] = []
    tail: list[str] = []
    used = 0
    i, j = 0, len(lines) - 1
    while i <= j:
        take_head = len(head) <= len(tail)
        line = lines[i] if take_head else lines[j]
        if used + len(line) + 1 > keep:
            break
        used += len(line) + 1
        if take_head:
            head.append(line)
            i += 1
        else:
            tail.append(line)
            j -= 1
    cut = lines[i:j + 1]
    note = f"# ... {len(cut)} lines ({sum(len(x) + 1 for x in cut)} characters) cut here; run `mcpstate plan` for all ..."
    return head + [note] + list(reversed(tail))
