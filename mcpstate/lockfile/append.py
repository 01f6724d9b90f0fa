"""Adding server blocks to the lockfile's text, for `mcpstate import`: appended at
the end of `servers:` in the file's own indentation, its comments left in place,
and checked by parsing the result again, as lockedit.py does for rewrites."""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

import yaml

from mcpstate.errors import LockfileError
from mcpstate.lockfile.edit import load_nodes, mapping_value, refuse, verify


def append_servers(text: str, entries: Mapping[str, Mapping[str, Any]]) -> str:
    """`text` with `entries` added at the end of `servers:` (created when missing),
    in the indentation the file already uses."""
    root, before = load_nodes(text)
    servers = mapping_value(root, "servers", "")
    if isinstance(servers, yaml.MappingNode) and servers.flow_style and not servers.value \
            and servers.start_mark.line == servers.end_mark.line:
        # `servers: {}` (as `init` writes it) becomes `servers:`, then gets blocks.
        start = len(text[:servers.start_mark.index].rstrip(" "))
        return append_servers(text[:start] + text[servers.end_mark.index:], entries)
    clashes = sorted(set(entries) & set((before or {}).get("servers") or {}))
    if clashes:
        raise LockfileError([f"servers already in the lockfile: {', '.join(clashes)}"])
    at, key_col, step, prefix = _append_point(text, root, servers)
    if at == len(text) and text and not text.endswith("\n") and not prefix:
        prefix = "\n"  # the last line had no newline of its own
    added = prefix + render_servers(entries, key_col, step)
    if "\r\n" in text:  # keep a Windows file's line endings
        added = added.replace("\n", "\r\n")
    result = text[:at] + added + text[at:]
    expected = copy.deepcopy(before) if isinstance(before, dict) else {}
    expected["servers"] = {**(expected.get("servers") or {}), **copy.deepcopy(dict(entries))}
    verify(result, expected, "append")
    return result


def render_servers(entries: Mapping[str, Mapping[str, Any]], key_col: int, step: int = 2) -> str:
    """Server blocks as a person would write them: one key a line, lists and maps in
    flow style (`args: [--stdio]`), indented to sit under `servers:`."""
    if not entries:
        return ""
    data = {name: {k: _flow(v) for k, v in fields.items()} for name, fields in entries.items()}
    dumped = yaml.dump(data, Dumper=_Dumper, sort_keys=False, default_flow_style=False,
                       indent=step, width=10**6, allow_unicode=True)
    return "".join(" " * key_col + line for line in dumped.splitlines(keepends=True))


class _FlowMap(dict):  # type: ignore[type-arg]
    pass


class _FlowList(list):  # type: ignore[type-arg]
    pass


class _Dumper(yaml.SafeDumper):
    pass


_Dumper.add_representer(_FlowMap, lambda d, v: d.represent_mapping(
    "tag:yaml.org,2002:map", v, flow_style=True))
_Dumper.add_representer(_FlowList, lambda d, v: d.represent_sequence(
    "tag:yaml.org,2002:seq", v, flow_style=True))


def _flow(value: Any) -> Any:
    if isinstance(value, Mapping):
        return _FlowMap({k: _flow(v) for k, v in value.items()})
    if isinstance(value, (list, tuple)):
        return _FlowList(_flow(v) for v in value)
    return value


def _append_point(text: str, root: yaml.Node | None,
                  servers: yaml.Node | None) -> tuple[int, int, int, str]:
    """Where new server blocks go: (offset, key column, indent step, text before them)."""
    if isinstance(servers, yaml.MappingNode) and servers.value:
        if servers.flow_style:
            refuse("servers is a flow mapping ({...})")
        first = servers.value[0]
        step = _indent_step(first[1], first[0].start_mark.column)
        return _after_line(text, _last_leaf(servers).end_mark), first[0].start_mark.column, step, ""
    if servers is not None and not (isinstance(servers, yaml.ScalarNode) and servers.value == ""):
        refuse("servers is neither a block mapping nor empty")
    if servers is not None:
        return _after_line(text, servers.start_mark), 2, 2, ""
    if root is not None and not isinstance(root, yaml.MappingNode):
        refuse("the lockfile's top level is not a mapping")
    sep = "" if text.endswith("\n") or not text else "\n"
    return len(text), 2, 2, f"{sep}servers:\n"


def _indent_step(node: yaml.Node, key_col: int) -> int:
    if isinstance(node, yaml.MappingNode) and node.value and not node.flow_style:
        return max(1, node.value[0][0].start_mark.column - key_col)
    return 2


def _last_leaf(node: yaml.Node) -> yaml.Node:
    # A block collection's end mark lies at the next token, past trailing comments;
    # the last scalar or flow collection inside it ends exactly where its text does.
    while isinstance(node, (yaml.MappingNode, yaml.SequenceNode)) and not node.flow_style and node.value:
        last = node.value[-1]
        node = last[1] if isinstance(last, tuple) else last
    return node


def _after_line(text: str, mark: yaml.Mark) -> int:
    if mark.column == 0:
        return mark.index
    at = text.find("\n", mark.index)
    return len(text) if at == -1 else at + 1
