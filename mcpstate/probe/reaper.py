"""What a probed server leaves behind (DESIGN §8). While any stdio probe runs, mcpstate
is a child subreaper (Linux), so a server process that daemonizes (double fork, setsid)
is re-parented to us instead of init; once the probe has stopped the server's process
group, what it left is found among our children, killed and reaped.

Our children outside our own session are probe servers (our installers run in our
session) and what they left. One is a probe's leftover when it kept something from that
server: its process group or session, or the marker in the environment each server is
started with. A process that shed all three (its own session, a scrubbed environment)
cannot be told from another running probe's, so it is killed once no probe runs.
"""

from __future__ import annotations

import contextlib
import ctypes  # here, not where used: imported with the stdio transport, not in startup_ms
import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

MARKER = "MCPSTATE_PROBE"
PR_SET_CHILD_SUBREAPER = 36  # <linux/prctl.h>
REAP_S = 2.0  # a SIGKILLed process is gone in microseconds; this only bounds a stuck one

_lock = threading.Lock()  # spawning vs the final sweep: a new server must never look left over
_live: dict[int, str] = {}  # the leader pid of each running probe -> its marker
_running = 0
_children_files: bool | None = None  # does /proc list each thread's children?


def spawn(argv: Sequence[str], env: Mapping[str, str], cwd: str | None) -> tuple[subprocess.Popen[bytes], str]:
    """Start a server in its own session, marked; the subreaper is on while any runs.
    Raises what Popen raises."""
    global _running
    token = os.urandom(8).hex()
    with _lock:
        if _running == 0:
            _set_subreaper(True)
        _running += 1
        try:
            proc = subprocess.Popen(
                list(argv), stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                env={**env, MARKER: token}, cwd=cwd, start_new_session=True, close_fds=True)
        except BaseException:
            _stopped()
            raise
        _live[proc.pid] = token
    return proc, token


def release(leader: int, token: str) -> None:
    """After the probe's leader is reaped and its group stopped: kill and reap every child
    of ours that came from it; when no probe runs any more, every one outside our session."""
    with _lock:
        if _live.get(leader) == token:  # the pid may be another probe's by now
            del _live[leader]
    _kill_leftovers(lambda pid: _came_from(pid, leader, token))
    with _lock:  # no probe can start meanwhile, so none can be mistaken for a leftover
        if _running == 1:
            _kill_leftovers(lambda pid: True, locked=True)
        _stopped()


def _stopped() -> None:
    global _running
    _running -= 1
    if _running == 0:
        _set_subreaper(False)


def _came_from(pid: int, leader: int, token: str) -> bool:
    import psutil

    try:
        if leader in (os.getpgid(pid), os.getsid(pid)):
            return True  # zombies too: their group and session outlive them
        return bool(psutil.Process(pid).environ().get(MARKER) == token)
    except (ProcessLookupError, psutil.Error):
        return False  # gone, a zombie (no environment), or not ours to read: the final sweep's


def _kill_leftovers(is_leftover: Callable[[int], bool], locked: bool = False) -> None:
    """SIGKILL and reap, round by round: a killed process's own children are re-parented
    to us and show up in the next round, so the whole tree goes, even one forking while
    we look. Only our own unreaped children are signalled: their pids cannot have been
    reused. Each round is picked under the lock unless the caller holds it."""
    descendants: set[int] = set()
    tried: set[int] = set()  # one SIGKILL each: what survives it cannot be killed by us
    until = time.monotonic() + REAP_S
    while True:
        with contextlib.nullcontext() if locked else _lock:
            left = [pid for pid in _outside_children()
                    if pid not in tried and (pid in descendants or is_leftover(pid))]
            killed = _kill(left, descendants) if left else []
        tried.update(left)
        if not left:
            return
        import psutil

        psutil.wait_procs(killed, timeout=max(0.0, until - time.monotonic()))
        if time.monotonic() >= until:
            return  # unkillable (stuck in the kernel): nothing more we can do


def _kill(pids: list[int], descendants: set[int]) -> list[Any]:
    """SIGKILL each, noting its descendants first (they are ours once it is dead)."""
    import psutil

    killed = []
    for pid in pids:
        try:
            child = psutil.Process(pid)
            descendants.update(p.pid for p in child.children(recursive=True))
            child.kill()
            killed.append(child)
        except psutil.Error:
            continue  # gone already, or not ours to signal (a setuid helper): nothing to do
    return killed


def _outside_children() -> list[int]:
    """Our children in a session other than ours, but running probes' servers."""
    session = os.getsid(0)
    found = []
    for pid in _child_pids():
        try:
            if pid not in _live and os.getsid(pid) != session:
                found.append(pid)
        except ProcessLookupError:
            continue
    return found


def _child_pids() -> list[int]:
    """Our children: each thread's /proc list of them (Linux 3.5+), read in microseconds
    (a probe's cleanup is in its overhead budget); else psutil, which scans every process."""
    global _children_files
    if _children_files is None:
        _children_files = os.path.exists(f"/proc/self/task/{os.getpid()}/children")
    if not _children_files:
        import psutil

        return [child.pid for child in psutil.Process().children()]
    pids: list[int] = []
    for tid in os.listdir("/proc/self/task"):
        try:
            with open(f"/proc/self/task/{tid}/children", encoding="ascii") as listing:
                pids += (int(pid) for pid in listing.read().split())
        except FileNotFoundError:
            continue  # the thread ended meanwhile; its children went to another one
    return pids


def _set_subreaper(on: bool) -> None:
    """PR_SET_CHILD_SUBREAPER (Linux 3.4+). Elsewhere there is no such thing: a server
    that daemonizes there re-parents to init (launchd) and is out of our reach, so this
    is a no-op. Refused (a seccomp filter, say), leftovers escape the same way; the
    probe goes on, as it would on another system."""
    if sys.platform.startswith("linux"):
        ctypes.CDLL(None).prctl(PR_SET_CHILD_SUBREAPER, int(on), 0, 0, 0)
