"""The exclusive state lock: flock on `<state>/lock`, the holder described in
`lock.json` (DESIGN §7). The kernel drops a flock when its process dies, so a
crashed apply never blocks the next one on this host."""

from __future__ import annotations

import fcntl
import json
import os
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from mcpstate import __version__
from mcpstate.errors import LockHeldError, McpStateError
from mcpstate.fsutil import atomic_write, read_optional
from mcpstate.stamps import now_iso, who
from mcpstate.state.layout import StateDir

POLL_S = 0.1


@contextmanager
def state_lock(state_dir: StateDir, operation: str, timeout_s: float = 30.0) -> Iterator[dict[str, Any]]:
    """Hold the lock for the block; wait up to `timeout_s`, then fail naming the holder."""
    state_dir.create()
    fd = os.open(state_dir.lock_file, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        _acquire(fd, state_dir, timeout_s)
        info = {"ID": str(uuid.uuid4()), "operation": operation, "who": who(), "pid": os.getpid(),
                "version": __version__, "created": now_iso()}
        atomic_write(state_dir.lock_info, json.dumps(info, indent=2).encode(), mode=0o600)
        try:
            yield info
        finally:
            _remove(state_dir.lock_info)
    finally:
        os.close(fd)  # closing the descriptor releases the flock


def _acquire(fd: int, state_dir: StateDir, timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return
        except BlockingIOError:
            if time.monotonic() >= deadline:
                raise LockHeldError(held_message(state_dir, timeout_s)) from None
            time.sleep(POLL_S)


def held_message(state_dir: StateDir, waited_s: float) -> str:
    holder = read_holder(state_dir)
    if holder is None:
        return f"the state lock in {state_dir} is held by another process (waited {waited_s:g} s)"
    return (f"the state lock is held by {holder.get('operation')} {holder.get('ID')} "
            f"({holder.get('who')}, pid {holder.get('pid')}, since {holder.get('created')}); "
            f"waited {waited_s:g} s. If that process is gone for good: "
            f"mcpstate force-unlock {holder.get('ID')}")


def read_holder(state_dir: StateDir) -> dict[str, Any] | None:
    raw = read_optional(state_dir.lock_info, McpStateError)
    try:
        data = json.loads(raw) if raw is not None else None
    except (json.JSONDecodeError, UnicodeDecodeError):
        return None
    return data if isinstance(data, dict) else None


def force_unlock(state_dir: StateDir, lock_id: str) -> dict[str, Any]:
    """Break a lock whose holder is gone (a dead host on a shared disk)."""
    holder = read_holder(state_dir)
    if holder is None:
        raise McpStateError(f"no lock is recorded in {state_dir}")
    if holder.get("ID") != lock_id:
        raise McpStateError(f"the lock's ID is {holder.get('ID')}, not {lock_id}; nothing changed")
    _remove(state_dir.lock_info)
    _remove(state_dir.lock_file)
    return holder


def _remove(path: Path) -> None:
    try:
        path.unlink()
    except FileNotFoundError:
        pass
