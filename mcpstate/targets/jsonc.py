"""JSON with comments (JSONC), as VS Code reads its settings and `.vscode/mcp.json`:
`//` and `/* */` comments and trailing commas in objects and arrays.

The reader blanks comments and trailing commas out with spaces (newlines kept) and hands
the rest to `json.loads`. Every character keeps its offset, so json's own errors carry
the right line:col of the original text, and strings are parsed by json itself."""

from __future__ import annotations

import json
import re
from typing import Any

_NOT_NEWLINE = re.compile(r"[^\r\n]")


def parse(text: str) -> Any:
    """The value of a JSONC document; errors are `json.JSONDecodeError` with line:col."""
    return json.loads(strip(text)[0])


def has_comments(text: str) -> bool:
    return strip(text)[1]


def strip(text: str) -> tuple[str, bool]:
    """(`text` as plain JSON of the same length, whether it held comments)."""
    if text.startswith("\ufeff"):  # a BOM, as Windows editors write: json.loads refuses it
        text = " " + text[1:]
    out: list[str] = []
    comma: int | None = None  # index in `out` of a comma that may turn out trailing
    previous = ""             # the last significant character kept
    found = False
    i = 0
    while i < len(text):
        end = _token_end(text, i)
        token = text[i:end]
        if token.startswith(("//", "/*")):
            token, found = _blank(token), True
        elif token in ("}", "]") and comma is not None:
            out[comma] = " "  # trailing: JSONC allows it, JSON does not
        if not token.isspace():  # a blanked comment is space too
            # `{,}` and `[1,,]` stay errors: only a comma after a value may trail
            comma = len(out) if token == "," and previous not in ("{", "[", ",", "") else None
            previous = token[-1]
        out.append(token)
        i = end
    return "".join(out), found


def _token_end(text: str, start: int) -> int:
    """Where the token at `start` ends: a string, a comment or one other character."""
    if text[start] == '"':
        return _string_end(text, start)
    if text.startswith(("//", "/*"), start):
        return _comment_end(text, start)
    return start + 1


def _string_end(text: str, start: int) -> int:
    """The offset just past the string opening at `start`; an unterminated string ends
    the text (json.loads then reports it where it starts)."""
    i = start + 1
    while i < len(text):
        c = text[i]
        if c == "\\":
            i += 2  # the escaped character, `\"` included, cannot end the string
        elif c == '"':
            return i + 1
        elif c in "\r\n":
            return i  # JSON strings hold no raw newline: let json.loads say so
        else:
            i += 1
    return len(text)


def _comment_end(text: str, start: int) -> int:
    if text.startswith("//", start):
        newline = [p for p in (text.find("\n", start), text.find("\r", start)) if p >= 0]
        return min(newline) if newline else len(text)
    end = text.find("*/", start + 2)
    if end < 0:
        raise json.JSONDecodeError("unterminated /* comment", text, start)
    return end + 2


def _blank(chunk: str) -> str:
    return _NOT_NEWLINE.sub(" ", chunk)
