"""Redaction of every value mcpstate resolved from a `${VAR}` reference (DESIGN §11).

One mechanism: envrefs.resolve() remembers each value it takes from the environment,
under its variable's name; whatever leaves the process (command output, the journal,
reports, the error log) passes through redact() or redact_data() on its way out, and
shows `${VAR}` where the value was, whatever key it stood under, and however it was
spelled on the way (JSON-escaped, repr'd, percent-encoded in a URL).

Values shorter than MIN_LENGTH are not redacted: `${DEBUG}` = `on` would blank every
"on" of every message. Nor are numbers and `true`/`false`/`null` (a port, a timeout:
redacting `2026` would mangle every timestamp, and `true` the JSON that holds it, and
no credential looks like that); nor the values of the variables the system sets for where
and who (HOME, USER, PATH, ...): no secrets, and part of every path mcpstate records
and reads back (the journal's store paths). JSON documents are redacted string by
string (redact_data) where mcpstate still holds them as data."""

from __future__ import annotations

import _thread  # threading's Lock, without threading's import (1 ms of plan's budget)
import json
import re
from typing import Any, TypeVar

MIN_LENGTH = 4
LOCATIONS = frozenset({"HOME", "USER", "LOGNAME", "USERNAME", "PWD", "OLDPWD", "PATH", "SHELL", "TMPDIR",
                       "TMP", "TEMP", "LANG", "TERM", "HOSTNAME", "XDG_CONFIG_HOME", "XDG_DATA_HOME",
                       "XDG_CACHE_HOME", "XDG_STATE_HOME", "XDG_RUNTIME_DIR", "MCPSTATE_HOME"})

T = TypeVar("T")
_SCALAR = re.compile(r"[-+]?[0-9]+(?:[.,:][0-9]+)*|true|false|null|yes|no|on|off", re.IGNORECASE)

_lock = _thread.allocate_lock()  # resolve() runs on the apply's threads
_spellings: dict[str, str] = {}  # one spelling of a remembered value -> `${VAR}`
_pattern: re.Pattern[str] | None = None  # every spelling, longest first; None: to build


def remember(name: str, value: str) -> None:
    """Redact `value` as `${name}` from now on, in this process."""
    global _pattern
    if len(value) < MIN_LENGTH or name in LOCATIONS or _SCALAR.fullmatch(value):
        return
    new = {s: f"${{{name}}}" for s in spellings(value) if len(s) >= MIN_LENGTH and s not in _spellings}
    if new:
        with _lock:
            _spellings.update(new)
            _pattern = None


def spellings(value: str) -> set[str]:
    """How a value may appear in text: as is, inside a JSON string, a repr, a URL."""
    from urllib.parse import quote, quote_plus

    return {value, json.dumps(value)[1:-1], json.dumps(value, ensure_ascii=False)[1:-1],
            repr(value)[1:-1], quote(value, safe=""), quote(value), quote_plus(value)}


def redact(text: str) -> str:
    """`text` with each remembered value replaced by its `${VAR}`."""
    if not _spellings or not text:
        return text
    return _compiled().sub(lambda m: _spellings[m.group(0)], text)


def redact_data(data: T) -> T:
    """A JSON-like document (dicts, lists, tuples, strings) with every string redacted."""
    if not _spellings:
        return data
    return _walk(data)  # type: ignore[no-any-return]


def _walk(data: Any) -> Any:
    if isinstance(data, str):
        return redact(data)
    if isinstance(data, dict):
        return {_walk(k): _walk(v) for k, v in data.items()}
    if isinstance(data, list):
        return [_walk(v) for v in data]
    if type(data) is tuple:  # a plain tuple; a named one is no JSON
        return tuple(_walk(v) for v in data)
    return data


def _compiled() -> re.Pattern[str]:
    global _pattern
    with _lock:
        if _pattern is None:
            ordered = sorted(_spellings, key=len, reverse=True)  # a value inside another: the longer first
            _pattern = re.compile("|".join(map(re.escape, ordered)))
        return _pattern


def forget_all() -> None:
    """Forget every value (for tests that resolve in-process)."""
    global _pattern
    with _lock:
        _spellings.clear()
        _pattern = None
