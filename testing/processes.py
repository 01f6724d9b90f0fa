"""Finding the processes a test started, and waiting on a condition without sleeping
for synchronisation. A fixture server is tagged by a unique marker on its command line
(the fixtures ignore their arguments); forks without exec (a daemon's grandchild) keep it.

    marker = new_marker()
    launch = Launch(command=sys.executable, args=(FIXTURE, marker), ...)
    wait_until(lambda: len(marked(marker)) == 2, what="the daemon")
    assert marked(marker) == []
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable

import psutil


def new_marker() -> str:
    return f"mcpstate-test-mark-{uuid.uuid4().hex}"


def marked(marker: str) -> list[psutil.Process]:
    """Live processes whose command line holds `marker`. Zombies are left out: they are
    dead, and their command line is gone with them."""
    found = []
    for proc in psutil.process_iter(["cmdline", "status"]):
        try:
            if proc.info["status"] != psutil.STATUS_ZOMBIE and marker in (proc.info["cmdline"] or ()):
                found.append(proc)
        except psutil.Error:
            continue
    return found


def wait_until(condition: Callable[[], bool], timeout: float = 30, what: str = "condition") -> None:
    """Poll `condition` until it holds; fail the test when `timeout` passes first."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"{what} never became true within {timeout} s"
        time.sleep(0.01)


def kill_all(procs: list[psutil.Process]) -> None:
    """SIGKILL what a test left on purpose (a fixture run outside mcpstate)."""
    for proc in procs:
        try:
            proc.kill()
        except psutil.NoSuchProcess:
            continue
    psutil.wait_procs(procs, timeout=5)
