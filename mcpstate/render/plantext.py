"""The plan for people, from its JSON document (so saved plans render the same)."""

from __future__ import annotations

from typing import Any

SYMBOLS = {"create": "+", "update": "~", "delete": "-", "import": ">"}
STYLES = {"+": "green", "~": "yellow", "-": "red", ">": "cyan", "!": "bold yellow"}


def plan_lines(doc: dict[str, Any]) -> list[tuple[str, str | None]]:
    """(line, style) pairs; style is a rich style or None."""
    lines: list[tuple[str, str | None]] = []
    if doc["drift"]:
        lines.append(("Changed outside mcpstate:", "bold"))
        lines += change_lines(doc["drift"], drift_only=True)
        lines.append(("", None))
    if doc["changes"]:
        lines.append(("mcpstate will perform these actions:", "bold"))
        lines += change_lines(doc["changes"])
        lines.append(("", None))
    if doc["unmanaged"]:
        lines.append((f"Not managed, left as is: {', '.join(doc['unmanaged'])}", "dim"))
    for warning in doc["warnings"]:
        lines.append((f"Warning: {warning}", STYLES["!"]))
    lines.append((summary_line(doc), "bold"))
    return lines


def change_lines(changes: list[dict[str, Any]], drift_only: bool = False,
                 entries: bool = True) -> list[tuple[str, str | None]]:
    """Each change's line and details; `entries`: with the entry text diffs under them."""
    width = max(len(c["server"]) for c in changes)
    lines: list[tuple[str, str | None]] = []
    for c in changes:
        symbol = SYMBOLS[c["action"]]
        details = [d for d in c["details"] if d.startswith("drift:")] if drift_only else c["details"]
        head, rest = headline(c, details)
        flag = ("  [protected]" if c["protected"] else "") + ("  [not tested]" if c.get("not_tested") else "")
        lines.append((f"  {symbol} {c['server']:<{width}}  {head}{flag}", STYLES[symbol]))
        lines += [(f"    {' ' * width}  {d}", None) for d in rest]
        if entries and (drift_only or c["action"] == "import"):  # drift's: once, under "Changed outside"
            lines += entry_lines(c, "    " + " " * width + "  ")
    return lines


def entry_lines(change: dict[str, Any], indent: str) -> list[tuple[str, str | None]]:
    """Each rewritten entry's text diff (`entry_diff`), under the target it is in."""
    lines: list[tuple[str, str | None]] = []
    for item in change.get("entry_diff") or ():
        if not _rewrites(item):
            lines.append((f"{indent}{item['target']}: the entry is already what apply writes", "dim"))
            continue
        lines.append((f"{indent}{item['target']}:", None))
        lines += [(f"{indent}  {line}", DIFF_STYLES.get(line[:1])) for line in item["diff"]]
    return lines


def _rewrites(item: dict[str, Any]) -> bool:
    return any(line[:1] in "+-" for line in item["diff"])


DIFF_STYLES = {"+": "green", "-": "red"}


def headline(change: dict[str, Any], details: list[str]) -> tuple[str, list[str]]:
    """The change's one-line gist, and the detail lines left to print under it."""
    action, reason = change["action"], change["action_reason"]
    if action == "delete":
        return "(removed from lockfile)", []
    if reason == "recover":
        return f"(recover {details[0]})" if details else "(recover)", details[1:]
    if action in ("create", "import"):
        return f"{describe(change['after'])}  {_label(change)}", details
    if reason == "version":
        before, after = change["before"], change["after"]
        if before["package"] == after["package"] and before["source"] == after["source"]:
            gist = f"{after['source']} {after['package']} {before['version']} -> {after['version']}"
            return gist, details[1:]
    return (details[0], details[1:]) if details else ("", [])


def _label(change: dict[str, Any]) -> str:
    """An import rewrites the entry it adopts, unless that already is mcpstate's."""
    if change["action"] == "create":
        return "(new)"
    items = change.get("entry_diff") or []
    if any(_rewrites(item) for item in items):
        return "(import: rewrites the existing entry)"
    return "(import: adopts the existing entry as it is)" if items else "(import)"


def describe(summary: dict[str, Any]) -> str:
    source, config = summary["source"], summary.get("config", {})
    if source in ("npm", "pypi"):
        return f"{source} {summary['package']} {summary['version']}"
    if source == "remote":
        return f"remote {config.get('url')}"
    return f"command {config.get('command')}"


def summary_line(doc: dict[str, Any]) -> str:
    s = doc["summary"]
    if not doc["changes"]:
        if doc["drift"]:
            return "No changes selected; drift shown above."
        return "No changes. The MCP servers match the lockfile."
    parts = [f"{s['import']} to import"] if s["import"] else []
    parts += [f"{s['add']} to add", f"{s['change']} to change", f"{s['destroy']} to destroy"]
    return f"Plan: {', '.join(parts)}."
