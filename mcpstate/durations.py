"""Durations as users write them: 30s, 5m, 2h, 30d, or plain seconds."""

from __future__ import annotations

import re

from mcpstate.errors import UsageError

_UNITS = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400}
_FORM = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhd]?)\s*$")


def parse_duration(text: str, option: str) -> float:
    """Seconds; a clear usage error naming the option otherwise."""
    match = _FORM.fullmatch(text)
    if not match:
        raise UsageError(f"{option}: {text!r} is not a duration (say 30s, 5m, 2h or 30d)")
    return float(match.group(1)) * _UNITS[match.group(2)]
