"""Lints over a tool surface (DESIGN §12): text a person reviewing the surface would
not see, or that speaks to the model rather than describing the tool.

Pure functions over tool dicts as a server lists them or the state records them
(`name`, `title`, `description`, `inputSchema` or `input_schema`, `outputSchema`,
`annotations`). Every string in a tool is checked for hidden text; descriptions (the
tool's and any `description` inside its schemas) are also read for what they ask.

Each rule has a rank on audit's severity scale, used only by `audit --fail-on`:

| rule | rank | why |
|---|---|---|
| invisible-character | high | zero-width and tag characters hide text from the reviewer |
| bidi-control | high | reorders what the reviewer reads (Trojan Source) |
| hidden-markup | high | HTML comments, `<IMPORTANT>` tags, chat-template tokens, "ignore previous instructions" |
| credential-file | high | a description naming ~/.ssh, id_rsa, .aws/credentials, .env, .netrc |
| ansi-escape | moderate | rewrites what a terminal shows |
| other-server-tool | moderate | a description steering the model to another server's tool (shadowing) |
| home-path | low | a description pointing into the home folder (`~/`) |
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any, NamedTuple

RANKS = {"invisible-character": "high", "bidi-control": "high", "hidden-markup": "high",
         "credential-file": "high", "ansi-escape": "moderate", "other-server-tool": "moderate",
         "home-path": "low"}

_INVISIBLE = re.compile("[\u200b-\u200f\u2060-\u2064\ufeff\U000e0000-\U000e007f]")
_BIDI = re.compile("[\u202a-\u202e\u2066-\u2069]")
_ANSI = re.compile("[\x1b\x9b]")  # ESC and the C1 CSI: every ANSI sequence starts with one
_MARKUP = (
    (re.compile(r"<!--"), "an HTML comment"),
    (re.compile(r"</?\s*(?:important|system|instructions?|hidden|secret|admin|critical)\b[^>]*>",
                re.IGNORECASE), "an instruction tag"),
    (re.compile(r"<([A-Z][A-Z_-]{2,})>.*?</\1>", re.DOTALL), "an all-caps tag pair"),
    (re.compile(r"\[/?INST\]|<</?SYS>>|<\|[a-z_]+\|>"), "a chat-template token"),
    (re.compile(r"\b(?:ignore|disregard|forget)\s+(?:all\s+|any\s+)?(?:the\s+)?(?:previous|prior|above|earlier)"
                r"\s+(?:instructions|prompts?|rules)", re.IGNORECASE), "an instruction override"),
    (re.compile(r"\b(?:do\s+not|don't|never)\s+(?:tell|mention\s+(?:this\s+)?to|inform|show)\s+the\s+user",
                re.IGNORECASE), "an instruction to hide something from the user"),
)
_CREDENTIALS = re.compile(r"(?:~|\$HOME|%USERPROFILE%)?/?\.ssh\b|\bid_(?:rsa|ed25519|ecdsa|dsa)\b|"
                          r"\.aws/credentials|(?<![\w.])\.env\b|\.netrc\b|\.npmrc\b|\.pypirc\b",
                          re.IGNORECASE)
_HOME = re.compile(r"(?<![\w/])~/|\$HOME\b")


class Lint(NamedTuple):
    tool: str
    field: str  # a path into the tool: "description", "inputSchema.properties.path.description"
    rule: str
    message: str

    @property
    def rank(self) -> str:
        return RANKS[self.rule]


def lint_tools(tools: Sequence[Mapping[str, Any]], other_tools: Iterable[str] = ()) -> list[Lint]:
    """Every lint of every tool; `other_tools` are the tool names of the other servers."""
    own = {str(tool.get("name")) for tool in tools}
    foreign = sorted(set(other_tools) - own)
    found = []
    for tool in tools:
        name = str(tool.get("name", "?"))
        for path, text in strings_of(tool):
            found += [Lint(name, path, rule, message) for rule, message in hidden_text(text)]
            if path.split(".")[-1] == "description":
                found += [Lint(name, path, rule, message) for rule, message in asks(text, foreign)]
    return found


def strings_of(value: Any, path: str = "") -> Iterator[tuple[str, str]]:
    """(path, text) of every string in `value`, keys of mappings included."""
    if isinstance(value, str):
        yield path, value
    elif isinstance(value, Mapping):
        for key, item in value.items():
            where = f"{path}.{key}" if path else str(key)
            yield f"{where}(key)", str(key)  # a property name is text the model reads too
            yield from strings_of(item, where)
    elif isinstance(value, (list, tuple)):
        for index, item in enumerate(value):
            yield from strings_of(item, f"{path}[{index}]")


def hidden_text(text: str) -> list[tuple[str, str]]:
    """(rule, message) for characters and markup a reviewer would not see."""
    found = []
    for rule, pattern, what in (("invisible-character", _INVISIBLE, "invisible character"),
                                ("bidi-control", _BIDI, "bidirectional control"),
                                ("ansi-escape", _ANSI, "ANSI escape")):
        matches = list(pattern.finditer(text))
        if matches:
            codes = ", ".join(f"U+{ord(c):04X}" for c in sorted({m.group() for m in matches}))
            found.append((rule, f"{what} {codes} at offset {matches[0].start()}"))
    for pattern, what in _MARKUP:
        match = pattern.search(text)
        if match:
            found.append(("hidden-markup", f"{what}: {_excerpt(match.group())}"))
            break  # one markup finding per text is enough to send a reviewer there
    return found


def asks(description: str, foreign_tools: Sequence[str]) -> list[tuple[str, str]]:
    """(rule, message) for what a description steers the model towards."""
    found = []
    credential = _CREDENTIALS.search(description)
    if credential:
        found.append(("credential-file", f"mentions a credential file: {_excerpt(credential.group())}"))
    elif _HOME.search(description):
        found.append(("home-path", "points into the home folder (~/)"))
    named = [tool for tool in foreign_tools if _mentions(description, tool)]
    if named:
        found.append(("other-server-tool", "mentions another server's tool: " + ", ".join(named)))
    return found


def _mentions(text: str, tool: str) -> bool:
    """A distinctive name (send_email, readFile, long ones) as a whole word; a common word
    (echo, add) only when marked as a name: quoted, in backticks, or followed by 'tool'."""
    escaped = re.escape(tool)
    if re.search(rf"[`'\"]{escaped}[`'\"]|\b{escaped}\s+tool\b", text):
        return True
    distinctive = bool(re.search(r"[_.\-]|[a-z][A-Z]", tool)) or len(tool) >= 10
    return distinctive and re.search(rf"(?<![\w-]){escaped}(?![\w-])", text) is not None


def _excerpt(text: str, limit: int = 40) -> str:
    shown = text if len(text) <= limit else text[:limit] + "..."
    return repr(shown)
