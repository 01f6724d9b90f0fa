"""Shared by the benchmark scripts: time a command in a fresh process, with its peak RSS."""

from __future__ import annotations

import statistics
import subprocess
import sys
from collections.abc import Mapping, Sequence


_CHILD = """
import os, subprocess, sys, time
start = time.perf_counter()
proc = subprocess.Popen(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
_, status, usage = os.wait4(proc.pid, 0)
print(time.perf_counter() - start, usage.ru_maxrss)
"""


def measure(cmd: Sequence[str], runs: int = 15, env: Mapping[str, str] | None = None,
            cwd: str | None = None) -> tuple[float, float]:
    """Median wall seconds and median peak RSS (MiB) of `cmd` over `runs` runs.

    Each run is started by a small Python process of its own: a child forked from this
    (big) one would report this process's memory as its peak before it exec()s."""
    walls, rss = [], []
    for _ in range(runs):
        out = subprocess.run([sys.executable, "-I", "-c", _CHILD, *cmd], capture_output=True, text=True,
                             env=dict(env) if env is not None else None, cwd=cwd, check=True).stdout
        wall, maxrss = out.split()
        walls.append(float(wall))
        rss.append(int(maxrss) / 1024)
    return statistics.median(walls), statistics.median(rss)


def row(name: str, value: float, budget: float, unit: str) -> str:
    verdict = "ok" if value <= budget else "OVER"
    return f"{name:<44} {value:>9.3f} {unit:<4} budget {budget:g} {unit:<4} {verdict}"
