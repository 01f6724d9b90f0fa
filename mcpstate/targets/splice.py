"""Rewrite one server entry inside a client config file's text, leaving every other
byte as the user wrote it: layout, one-line arrays, and (in JSONC) comments.

The spans are found on the text with comments blanked out (jsonc.strip keeps every
offset), so the same code serves JSON and JSONC. The result is parsed again and must
equal the intended document; when it does not, or the file's shape is unusual (no
servers object yet), the caller falls back to writing the whole document."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any, NamedTuple

from mcpstate.targets.jsonc import strip

_SCALAR = re.compile(r"-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?|true|false|null")
_SPACE = re.compile(r"\s*")


class Member(NamedTuple):
    key: str
    key_start: int
    value_start: int
    value_end: int


def splice_entry(text: str, key: str, name: str, entry: dict[str, Any] | None,
                 indent: int | str | None, parse: Callable[[str], Any]) -> str | None:
    """`text` with `<key>.<name>` set to `entry` (removed when None), or None when
    this cannot be done in place."""
    try:
        plain = strip(text)[0]
        top = _object_members(plain, _skip(plain, 0))
        servers = next((m for m in top if m.key == key), None)
        if servers is None or plain[servers.value_start] != "{":
            return None
        result = _edit(text, plain, servers, name, entry, indent)
        expected = parse(text)
        if entry is None:
            expected[key].pop(name, None)
        else:
            expected[key][name] = entry
    except (ValueError, IndexError, KeyError, TypeError, AttributeError):
        return None
    return result if result is not None and parse(result) == expected else None


def _edit(text: str, plain: str, servers: Member, name: str, entry: dict[str, Any] | None,
          indent: int | str | None) -> str | None:
    members = _object_members(plain, servers.value_start)
    found = next((m for m in members if m.key == name), None)
    unit = "\t" if indent == "\t" else " " * (indent if isinstance(indent, int) else 2)
    pad = _member_pad(plain, members, servers, unit)
    if entry is None:
        return _remove(text, plain, members, found, servers) if found else text
    rendered = _render(entry, unit, pad)
    if found is not None:
        return text[:found.value_start] + rendered + text[found.value_end:]
    member = f"{json.dumps(name, ensure_ascii=False)}: {rendered}"
    if members:
        end = members[-1].value_end
        return f"{text[:end]},\n{pad}{member}{text[end:]}"
    close = _line_pad(plain, servers.value_start)
    return f"{text[:servers.value_start]}{{\n{pad}{member}\n{close}}}{text[servers.value_end:]}"


def _remove(text: str, plain: str, members: list[Member], found: Member, servers: Member) -> str:
    if len(members) == 1:
        return text[:servers.value_start] + "{}" + text[servers.value_end:]
    i = members.index(found)
    if i + 1 < len(members):  # up to the next member's key: takes the comma with it
        return text[:found.key_start] + text[members[i + 1].key_start:]
    return text[:members[i - 1].value_end] + text[found.value_end:]


def _render(entry: dict[str, Any], unit: str, pad: str) -> str:
    lines = json.dumps(entry, indent=unit, ensure_ascii=False).split("\n")
    return "\n".join([lines[0], *(pad + line for line in lines[1:])])


def _member_pad(plain: str, members: list[Member], servers: Member, unit: str) -> str:
    if members:
        return _line_pad(plain, members[0].key_start)
    return _line_pad(plain, servers.value_start) + unit


def _line_pad(plain: str, at: int) -> str:
    """The whitespace that starts the line `at` is on."""
    start = plain.rfind("\n", 0, at) + 1
    return plain[start:start + len(plain[start:at]) - len(plain[start:at].lstrip(" \t"))]


def _skip(plain: str, i: int) -> int:
    return _SPACE.match(plain, i).end()  # type: ignore[union-attr]


def _object_members(plain: str, i: int) -> list[Member]:
    if plain[i] != "{":
        raise ValueError("not an object")
    members, i = [], _skip(plain, i + 1)
    while plain[i] != "}":
        key_start = i
        key, i = json.decoder.scanstring(plain, i + 1)  # type: ignore[attr-defined]
        i = _skip(plain, i)
        if plain[i] != ":":
            raise ValueError("expected ':'")
        value_start = _skip(plain, i + 1)
        value_end = _value_end(plain, value_start)
        members.append(Member(key, key_start, value_start, value_end))
        i = _skip(plain, value_end)
        if plain[i] == ",":
            i = _skip(plain, i + 1)
    return members


def _value_end(plain: str, i: int) -> int:
    char = plain[i]
    if char == '"':
        return int(json.decoder.scanstring(plain, i + 1)[1])  # type: ignore[attr-defined]
    if char in "{[":
        return _container_end(plain, i)
    match = _SCALAR.match(plain, i)
    if not match:
        raise ValueError(f"unexpected {char!r}")
    return match.end()


def _container_end(plain: str, i: int) -> int:
    """The end of the object or array at `i`, strings skipped whole."""
    depth = 0
    while True:
        char = plain[i]
        if char == '"':
            i = _value_end(plain, i)
            continue
        if char in "{[":
            depth += 1
        elif char in "}]":
            depth -= 1
            if depth == 0:
                return i + 1
        i += 1
