"""Resource use of a server's process tree (the process and all its descendants),
through psutil, imported only when a measurement is taken."""

from __future__ import annotations

import importlib
import sys
import threading
from dataclasses import dataclass
from typing import Any

MIB = 1024 * 1024


@dataclass(frozen=True)
class TreeUsage:
    rss_mb: float
    cpu_seconds: float  # user + system, since each process started
    open_files: int  # file descriptors: pipes and sockets leak too, not only files
    threads: int
    processes: int


def preload() -> None:
    """Import psutil on a thread while the server starts (we only wait on its pipe
    then): the ~20 ms import leaves the probe's critical path."""
    if "psutil" not in sys.modules:
        threading.Thread(target=importlib.import_module, args=("psutil",), daemon=True,
                         name="mcpstate-preload-psutil").start()


def _tree(pid: int) -> list[Any]:
    import psutil

    try:
        root = psutil.Process(pid)
        return [root, *root.children(recursive=True)]
    except psutil.NoSuchProcess:
        return []


def measure_tree(pid: int) -> TreeUsage | None:
    """The tree's usage now; None when the process is gone."""
    import psutil

    rss = cpu = 0.0
    fds = threads = count = 0
    for proc in _tree(pid):
        try:
            with proc.oneshot():
                rss += proc.memory_info().rss
                times = proc.cpu_times()
                cpu += times.user + times.system
                fds += proc.num_fds()
                threads += proc.num_threads()
                count += 1
        except (psutil.NoSuchProcess, psutil.ZombieProcess):
            continue  # a child that ended while we measured uses nothing any more
    if count == 0:
        return None
    return TreeUsage(round(rss / MIB, 1), cpu, fds, threads, count)
