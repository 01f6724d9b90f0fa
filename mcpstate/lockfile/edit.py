"""Minimal rewrites of the lockfile's text, as pre-commit's autoupdate edits `rev:`.

The YAML is composed (not dumped again): node marks give the exact span of each
value, so only that span changes and comments, order, quoting and layout
survive. Whatever cannot be edited that way for sure (block scalars, multi-line
or anchored values, aliases, merge keys, flow mappings to insert into) is refused
with the line to edit by hand. Every result is parsed again and must differ from
the original exactly by the intended keys, or nothing is returned.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

import yaml

from mcpstate.errors import LockfileError

if TYPE_CHECKING:
    from mcpstate.model import ServerSpec


@dataclass(frozen=True)
class Edit:
    """New values for one server; None leaves a key as it is."""

    server: str
    version: str | None = None
    integrity: str | None = None
    closure: str | None = None
    tools: str | None = None


Splice = tuple[int, int, str]  # replace text[start:end] with the string


def rewrite(text: str, edits: Sequence[Edit]) -> str:
    """`text` with the `version:`/`integrity:`/`closure:`/`tools:` values of `edits`
    replaced; a missing `integrity:`, `closure:` or `tools:` line is inserted, in that
    order, after the last of the server's pin lines (`version:`, ..., or `url:`/`command:`
    for a server without a version)."""
    root, before = load_nodes(text)
    servers = _servers_node(root)
    shared = _shared_nodes(root)
    splices: list[Splice] = []
    expected = copy.deepcopy(before)
    for edit in _unique(edits):
        node = mapping_value(servers, edit.server, "servers")
        if node is None:
            raise LockfileError([f"no server named {edit.server!r} in the lockfile"])
        if edit.server not in expected["servers"]:  # `no:` or `1.0:` read as a bool, a float
            refuse(f"the server name {edit.server!r} is not read as a string (quote it)")
        splices += _server_splices(text, node, edit, shared)
        _expect(expected["servers"][edit.server], edit)
    result = _splice(text, splices)
    verify(result, expected, "rewrite")
    return result


_SHA256 = "sha256-" + "0" * 64  # stand-ins of the digests lock may write, for check_editable
_SHA512 = "sha512-" + "A" * 86 + "=="


def check_editable(text: str, servers: Sequence[ServerSpec], version: bool = False) -> None:
    """Refuse now what rewrite() would refuse for the lines lock may write into these
    servers (a line to insert into a flow mapping, an anchor), before anything is resolved,
    probed or written: lock and update then fail with every file as it was. A value that
    is there is replaced in place, flow mapping or not. `version`: the pin moves too."""
    rewrite(text, [_stand_in(spec, version) for spec in servers])


def _stand_in(spec: ServerSpec, version: bool) -> Edit:
    tools = None if spec.test.skip else _SHA256
    if spec.source not in ("npm", "pypi"):
        return Edit(spec.name, tools=tools)
    closure = _SHA256 if spec.closure or not version else None  # update leaves a missing closure: to lock
    return Edit(spec.name, "0.0.0" if version else None, _SHA512, closure, tools)


def save(path: Path, before: bytes | None, text: str) -> None:
    """Write `text` over the lockfile read as `before` (None: there was none) after
    checking it against every lockfile rule; refuse when the file changed meanwhile."""
    from mcpstate.fsutil import atomic_write
    from mcpstate.lockfile.load import parse_lockfile_text

    try:
        now = path.read_bytes()
    except FileNotFoundError:
        now = None
    if now != before:
        raise LockfileError([f"{path} changed while mcpstate was working; nothing was "
                             "written: run the command again"])
    parse_lockfile_text(text.encode(), path)
    path.parent.mkdir(parents=True, exist_ok=True)  # `-f new/dir/lock.yaml` on import
    atomic_write(path, text.encode())


def load_nodes(text: str) -> tuple[yaml.Node | None, Any]:
    try:
        return yaml.compose(text, Loader=yaml.SafeLoader), yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise LockfileError([f"the lockfile is not valid YAML, nothing was changed: {exc}"]) from None


def _servers_node(root: yaml.Node | None) -> yaml.MappingNode:
    node = mapping_value(root, "servers", "")
    if not isinstance(node, yaml.MappingNode):
        raise LockfileError(["the lockfile has no `servers:` mapping to edit"])
    return node


def mapping_value(node: yaml.Node | None, key: str, where: str) -> yaml.Node | None:
    """The value node under `key`; refuses keys that YAML would not read as written."""
    if not isinstance(node, yaml.MappingNode):
        return None
    found = [value for k, value in node.value if k.value == key]
    if any(k.tag == "tag:yaml.org,2002:merge" for k, _ in node.value):
        refuse(f"{where or 'the top level'} uses a merge key (<<)")
    if len(found) > 1:
        refuse(f"{_path(where, key)} appears {len(found)} times")
    return found[0] if found else None


def _server_splices(text: str, node: yaml.Node, edit: Edit, shared: set[int]) -> list[Splice]:
    where = f"servers.{edit.server}"
    if not isinstance(node, yaml.MappingNode):
        refuse(f"{where} is not a mapping")
    if id(node) in shared:
        refuse(f"{where} is an anchor used elsewhere (an edit would change both)")
    splices = []
    for key in _KEYS:
        value = getattr(edit, key)
        current = mapping_value(node, key, where)
        if value is not None and current is not None:
            splices.append(_replace(text, current, value, f"{where}.{key}", shared))
    missing = [(k, getattr(edit, k)) for k in _INSERTED
               if getattr(edit, k) is not None and mapping_value(node, k, where) is None]
    if missing:
        splices.append(_insert_lines(text, node, missing, where))
    return splices


_KEYS = ("version", "integrity", "closure", "tools")
_INSERTED = ("integrity", "closure", "tools")  # in this order, after the last line of _ANCHORS
_ANCHORS = ("command", "url", "version", "integrity", "closure", "tools")


def _replace(text: str, node: yaml.Node, value: str, where: str, shared: set[int]) -> Splice:
    start, end = node.start_mark, node.end_mark
    if not isinstance(node, yaml.ScalarNode) or id(node) in shared:
        refuse(f"{where} is not a plain value (a list, a map or an alias)")
    if node.style in ("|", ">") or start.line != end.line:
        refuse(f"{where} spans several lines")
    if text[start.index] in "&!*":
        refuse(f"{where} carries an anchor or a tag")
    new = _scalar(value, node.style)
    # A comment lined up after the value stays in its column when there is room.
    gap = len(text[end.index:]) - len(text[end.index:].lstrip(" "))
    if gap and text[end.index + gap:end.index + gap + 1] == "#":
        width = max(1, gap - (len(new) - (end.index - start.index)))
        return start.index, end.index + gap, new + " " * width
    return start.index, end.index, new


def _insert_lines(text: str, node: yaml.MappingNode, values: list[tuple[str, str]],
                  where: str) -> Splice:
    """`key: value` lines for `values`, after the last pin line of the server."""
    anchors = [(k, v) for k, v in node.value if k.value in _ANCHORS]
    anchor = max(anchors, key=lambda pair: pair[1].end_mark.index) if anchors else None
    first = values[0][0]
    if node.flow_style or anchor is None:
        refuse(f"{where} is {'a flow mapping' if node.flow_style else 'without `version:`'}, "
               f"so there is no line to put `{first}:` after")
    key, value_node = anchor
    line_start = text.rfind("\n", 0, key.start_mark.index) + 1
    if text[line_start:key.start_mark.index].strip():
        refuse(f"{where}.{key.value} does not start its own line")
    at = text.find("\n", value_node.end_mark.index)
    newline = "\r\n" if at > 0 and text[at - 1:at] == "\r" else "\n"
    lines = [f"{' ' * key.start_mark.column}{k}: {_scalar(v, None)}" for k, v in values]
    if at == -1:
        return len(text), len(text), "".join(newline + line for line in lines)
    return at + 1, at + 1, "".join(line + newline for line in lines)


def _scalar(value: str, style: str | None) -> str:
    """`value` in the quoting style it replaces; plain only when YAML reads it back
    as the same string (`1.10` plain would be a float)."""
    if style == "'":
        return "'" + value.replace("'", "''") + "'"
    plain_safe = not any(c in value for c in ",[]{}#\"'") and ": " not in value
    if style is None and value and plain_safe and _reads_back(value):
        return value
    return json.dumps(value)


def _reads_back(value: str) -> bool:
    try:
        return bool(yaml.safe_load(value) == value)
    except yaml.YAMLError:  # `@x`, `%x`, `` `x ``: reserved starts of a plain scalar
        return False


def _expect(server: dict[str, Any], edit: Edit) -> None:
    for key in _KEYS:
        if getattr(edit, key) is not None:
            server[key] = getattr(edit, key)


def verify(result: str, expected: Any, what: str) -> None:
    try:
        after = yaml.safe_load(result)
    except yaml.YAMLError as exc:
        raise LockfileError([f"refusing to {what}: the edited lockfile would not parse ({exc}); "
                             "nothing was changed"]) from None
    if after != expected:
        raise LockfileError([f"refusing to {what}: the edited lockfile would differ in more "
                             "than the intended keys; nothing was changed (edit it by hand)"])


def _shared_nodes(root: yaml.Node | None) -> set[int]:
    """Nodes reached more than once (anchors that aliases point back to), and
    everything inside them: an edit there would show up in two places."""
    seen: set[int] = set()
    shared: list[yaml.Node] = []
    stack = [root] if root is not None else []
    while stack:
        node = stack.pop()
        if id(node) in seen:
            shared.append(node)
            continue
        seen.add(id(node))
        stack += _children(node)
    inside: set[int] = set()
    while shared:
        node = shared.pop()
        if id(node) not in inside:
            inside.add(id(node))
            shared += _children(node)
    return inside


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.MappingNode):
        return [n for pair in node.value for n in pair]
    return list(node.value) if isinstance(node, yaml.SequenceNode) else []


def _splice(text: str, splices: list[Splice]) -> str:
    for start, end, new in sorted(splices, reverse=True):
        text = text[:start] + new + text[end:]
    return text


def _unique(edits: Sequence[Edit]) -> Sequence[Edit]:
    names = [e.server for e in edits]
    if len(set(names)) != len(names):
        raise ValueError("one Edit per server")  # a caller's bug, not a user's error
    return edits


def _path(where: str, key: str) -> str:
    return f"{where}.{key}" if where else key


def refuse(why: str) -> NoReturn:
    raise LockfileError([f"cannot edit the lockfile safely: {why}; nothing was changed "
                         "(make this edit by hand)"])
