"""The exclusive state lock: flock on `<state>/lock`, the holder described in
`lock.json` (DESIGN §7). The kernel drops a flock when its process dies, so a
crashed apply never blocks the next one on this host; `lock.json` is left behind by a
crash, so whether its holder still runs is judged by its host, its pid and the flock."""

from __future__ import annotations

import fcntl
import json
import os
import socket
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from mcpstate import __version__
from mcpstate.errors import LockHeldError, McpStateError
from mcpstate.fsutil import atomic_write, flock_within, read_optional
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
                "host": socket.gethostname(), "version": __version__, "created": now_iso()}
        atomic_write(state_dir.lock_info, json.dumps(info, indent=2).encode(), mode=0o600)
        try:
            yield info
        finally:
            _remove(state_dir.lock_info)
    finally:
        os.close(fd)  # closing the descriptor releases the flock


def _acquire(fd: int, state_dir: StateDir, timeout_s: float) -> None:
    if not flock_within(fd, timeout_s, POLL_S):
        raise LockHeldError(held_message(state_dir, timeout_s))


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


def force_unlock(state_dir: StateDir, lock_id: str, force: bool = False) -> dict[str, Any]:
    """Break a lock whose holder is gone (a dead host on a shared disk). A holder on this
    host whose process still holds the lock is refused unless `force`."""
    holder = read_holder(state_dir)
    if holder is None:
        raise McpStateError(f"no lock is recorded in {state_dir}")
    if holder.get("ID") != lock_id:
        raise McpStateError(f"the lock's ID is {holder.get('ID')}, not {lock_id}; nothing changed")
    if not force and is_here(holder) and holds_now(state_dir, holder):
        raise LockHeldError(f"the state lock is held by {holder.get('operation')} {lock_id} "
                            f"(pid {holder.get('pid')} on this host, since {holder.get('created')}), "
                            "and that process is running: wait for it to finish; nothing changed. "
                            f"To break the lock anyway: mcpstate force-unlock {lock_id} --force")
    _remove(state_dir.lock_info)
    _remove(state_dir.lock_file)
    return holder


def running_holder(state_dir: StateDir) -> dict[str, Any] | None:
    """The holder of the state lock if it is running now: on this host, its process is
    alive and holds the flock; on another host, whoever `lock.json` names (it cannot be
    seen from here: a lock left by a dead host stays until force-unlock)."""
    holder = read_holder(state_dir)
    if holder is None or (is_here(holder) and not holds_now(state_dir, holder)):
        return None
    return holder


def is_here(holder: dict[str, Any]) -> bool:
    """Whether the holder ran on this host (`who` is user@host in a lock.json without `host`)."""
    host = holder.get("host") or str(holder.get("who", "")).rpartition("@")[2]
    return host == socket.gethostname()


def holds_now(state_dir: StateDir, holder: dict[str, Any]) -> bool:
    """Whether the holder's process is alive and the lock is held (a pid reused since a
    crash holds nothing)."""
    return _pid_alive(holder.get("pid")) and _flock_held(state_dir)


def _pid_alive(pid: object) -> bool:
    if not isinstance(pid, int) or isinstance(pid, bool) or pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # alive, another user's
        return True
    return True


def _flock_held(state_dir: StateDir) -> bool:
    """Try a shared flock without waiting: it fails only while someone holds the lock."""
    try:
        fd = os.open(state_dir.lock_file, os.O_RDONLY | os.O_CLOEXEC)
    except FileNotFoundError:
        return False
    except OSError as e:
        raise McpStateError(f"{state_dir.lock_file}: cannot read: {e.strerror}") from None
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    finally:
        os.close(fd)
    return False


def _remove(path: Path) -> None:
    try:
        path.unlink()
    except FileNotFoundError:
        pass
