"""Ctrl-C and SIGTERM while probing (DESIGN §5, §8).

Inside `cancel_on_signal()` (entered on the main thread around running or waiting on
probes), the first SIGINT or SIGTERM cancels every probe of the process at once, worker
threads' included, and raises KeyboardInterrupt on the main thread; later signals are
absorbed, so that the cleanup they would cut short (stopping servers, hunting what they
left) completes. Starting and stopping a server on the main thread run `shielded()`:
a first signal then only cancels, and is raised when the scope is left.

A probe waits in select() on `cancel_fd()` as well as on its server, so a cancel wakes
it from any wait: no polling, and no wait longer than the cleanup itself.
"""

from __future__ import annotations

import os
import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType
from typing import Any

SIGNALS = (signal.SIGINT, signal.SIGTERM)


class Cancelled(KeyboardInterrupt):
    """A probe stopped because mcpstate is being interrupted: a KeyboardInterrupt, so that
    every layer treats it as one, also on the worker threads it is raised on."""


class _State:
    """Touched only on the main thread, where signal handlers run: no lock, which a
    handler interrupting its holder would deadlock on. Worker threads only read."""

    def __init__(self) -> None:
        # made at import, not lazily: a handler must never race the pipe's creation
        self.read_fd, self.write_fd = os.pipe()  # close-on-exec: servers never inherit it
        os.set_blocking(self.read_fd, False)
        self.cancelled = False
        self.depth = 0
        self.previous: dict[int, Any] = {}
        self.raised = False  # the one KeyboardInterrupt of this interruption is on its way
        self.shield = 0
        self.pending = False  # a signal came during a shielded cleanup


_state = _State()


def cancel_fd() -> int:
    """A file descriptor that turns readable, and stays so, once probes are cancelled."""
    return _state.read_fd


def cancelled() -> bool:
    return _state.cancelled


def cancel() -> None:
    """Stop every probe of the process; each cleans up on its own thread. Main thread only."""
    if not _state.cancelled:
        # written before the flag is set: a second signal's handler, run in between, then
        # writes again rather than not at all. Read only by _clear(): every select() sees it.
        os.write(_state.write_fd, b"x")
        _state.cancelled = True


def _clear() -> None:
    try:
        while os.read(_state.read_fd, 64):
            pass
    except BlockingIOError:
        pass  # drained
    _state.cancelled = False


def _on_signal(signum: int, frame: FrameType | None) -> None:
    cancel()
    if _state.raised:
        return  # cleanup is under way: a second Ctrl-C must not cut it short
    if _state.shield:
        _state.pending = True
        return
    _state.raised = True
    raise KeyboardInterrupt


def _on_main_thread() -> bool:
    return threading.current_thread() is threading.main_thread()


@contextmanager
def cancel_on_signal() -> Iterator[None]:
    """Around code that runs or waits on probes. Only the main thread gets signals, so
    elsewhere this does nothing: the main thread's own scope cancels those probes.
    Leaving the outermost scope restores the handlers and clears the cancel (for a
    caller that goes on: a test, a library user), and raises the KeyboardInterrupt of a
    signal that came during a shielded step, if none was raised yet."""
    if not _on_main_thread():
        yield
        return
    if _state.depth == 0:
        _state.previous = {sig: signal.signal(sig, _on_signal) for sig in SIGNALS}
    _state.depth += 1
    try:
        yield
    finally:
        _state.depth -= 1
        if _state.depth == 0 and _leave():
            raise KeyboardInterrupt


def _leave() -> bool:
    """Restore the handlers, clear the cancel; True if a signal is still to be raised."""
    for sig, handler in _state.previous.items():
        signal.signal(sig, signal.SIG_DFL if handler is None else handler)
    unraised = _state.pending and not _state.raised
    _state.raised = _state.pending = False
    _clear()
    return unraised


@contextmanager
def shielded() -> Iterator[None]:
    """A step a signal must not cut short (starting a server, stopping one): on the main
    thread, a signal during it only cancels, which the probe's next wait notices, and its
    KeyboardInterrupt is raised when the scope is left. Worker threads never get one."""
    if not _on_main_thread():
        yield
        return
    _state.shield += 1
    try:
        yield
    finally:
        _state.shield -= 1
