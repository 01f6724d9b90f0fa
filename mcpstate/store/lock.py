"""The store lock (DESIGN §3, §7, §10): `MCPSTATE_HOME/store.lock`, held shared by every
apply while it stages and commits, so any number of projects install at once, and
exclusive by store gc, so gc never removes an entry an apply is about to use and no
apply stages while gc decides."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager

from mcpstate.errors import LockHeldError, StoreError
from mcpstate.fsutil import flock_within
from mcpstate.home import DataDir

POLL_S = 0.02
WAIT_S = 300.0  # a store gc holds the lock exclusively for seconds; longer is a stuck process


@contextmanager
def store_lock(home: DataDir, shared: bool, timeout_s: float) -> Iterator[None]:
    """Hold the store lock for the block (shared: applies; exclusive: store gc)."""
    home.create()
    try:
        fd = os.open(home.store_lock, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
    except OSError as e:
        raise StoreError(f"cannot open the store lock {home.store_lock}: {e.strerror}") from None
    try:
        if not flock_within(fd, timeout_s, POLL_S, shared=shared):
            who = "a store gc" if shared else "an apply or a store gc"
            raise LockHeldError(f"the shared store is in use by {who} (the lock {home.store_lock} "
                                f"stayed held for {timeout_s:g} s); nothing was changed, try again")
        yield
    finally:
        os.close(fd)
