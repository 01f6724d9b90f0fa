"""Who did something, and when: the stamps that journal lines, locks, state, plans,
reports and logs carry. One format for every timestamp mcpstate writes."""

from __future__ import annotations

import os
import time


def now_iso(now: float | None = None) -> str:
    """UTC with milliseconds: `2026-11-28T01:30:00.123Z`.

    time, not datetime: this is on plan's path, and datetime costs ~2 ms to import."""
    now = time.time() if now is None else now
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(now)) + f".{int(now % 1 * 1000):03d}Z"


def file_stamp(now: float | None = None) -> str:
    """The same instant for a file name: `20261128T013000123Z` (sorts like the time)."""
    return now_iso(now).replace("-", "").replace(":", "").replace(".", "")


def who() -> str:
    """user@host, for the journal and the lock."""
    import getpass
    import socket

    try:
        user = getpass.getuser()
    except (KeyError, OSError):  # a uid with no passwd entry (containers)
        user = str(os.getuid())
    return f"{user}@{socket.gethostname()}"
