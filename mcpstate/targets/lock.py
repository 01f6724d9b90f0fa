"""The target lock (DESIGN §7): each read-modify-write of a target file (a swap, a
restore, a recovery) holds that file's lock in the user's data dir, whichever project
or state dir does it, so two applies on one client file never lose an update."""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

from mcpstate.errors import TargetError
from mcpstate.fsutil import ensure_private_dir, flock_within
from mcpstate.home import DataDir

WAIT_S = 60.0  # a holder keeps it for one read, splice and write: this is a stuck process
POLL_S = 0.01


@contextmanager
def target_locks(files: Iterable[Path], wait_s: float = WAIT_S) -> Iterator[None]:
    """Hold the lock of every file for the block. Taken in one order (by lock name), so
    two holders of overlapping sets never wait on each other in a circle."""
    home = DataDir.from_environ()
    locks = sorted({home.target_lock(f): f for f in files}.items())
    if locks:
        ensure_private_dir(home.locks)
    with ExitStack() as stack:
        for lock, file in locks:
            stack.enter_context(_held(lock, file, wait_s))
        yield


@contextmanager
def _held(lock: Path, file: Path, wait_s: float) -> Iterator[None]:
    try:
        fd = os.open(lock, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
    except OSError as e:
        raise TargetError(f"{file}: cannot open its lock {lock}: {e.strerror}") from None
    try:
        _acquire(fd, lock, file, wait_s)
        yield
    finally:
        os.close(fd)  # closing the descriptor releases the flock


def _acquire(fd: int, lock: Path, file: Path, wait_s: float) -> None:
    if not flock_within(fd, wait_s, POLL_S):
        raise TargetError(f"{file}: another process has held its lock ({lock}) for "
                          f"{wait_s:g} s; nothing was written. Try again when it is done")
