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


def change_lines(changes: list[dict[str, Any]], drift_only: bool = False) -> list[tuple[str, str | None]]:
    width = max(len(c["server"]) for c in changes)
    lines: list[tuple[str, str | None]] = []
    for c in changes:
        symbol = SYMBOLS[c["action"]]
        details = [d for d in c["details"] if d.startswith("drift:")] if drift_only else c["details"]
        head, rest = headline(c, details)
        flag = ("  [protected]" if c["protected"] else "") + ("  [not tested]" if c.get("not_tested") else "")
        lines.append((f"  {symbol} {c['server']:<{width}}  {head}{flag}", STYLES[symbol]))
        lines += [(f"    {' ' * width}  {d}", None) for d in rest]
    return lines


def headline(change: dict[str, Any], details: list[str]) -> tuple[str, list[str]]:
    """The change's one-line gist, and the detail lines left to print under it."""
    action, reason = change["action"], change["action_reason"]
    if action == "delete":
        return "(removed from lockfile)", []
    if reason == "recover":
        return f"(recover {details[0]})" if details else "(recover)", details[1:]
    if action in ("create", "import"):
        label = "(new)" if action == "create" else "(import: adopt the existing entry)"
        return f"{describe(change['after'])}  {label}", details
    if reason == "version":
        before, after = change["before"], change["after"]
        if before["package"] == after["package"] and before["source"] == after["source"]:
            gist = f"{after['source']} {after['package']} {before['version']} -> {after['version']}"
            return gist, details[1:]
    return (details[0], details[1:]) if details else ("", [])


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
