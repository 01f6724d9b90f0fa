"""Shared by the benchmark scripts: time a command in a fresh process, with its peak RSS."""

from __future__ import annotations

import os
import statistics
import subprocess
import time
from collections.abc import Mapping, Sequence


def measure(cmd: Sequence[str], runs: int = 15, env: Mapping[str, str] | None = None,
            cwd: str | None = None) -> tuple[float, float]:
    """Median wall seconds and median peak RSS (MiB) of `cmd` over `runs` runs."""
    walls, rss = [], []
    for _ in range(runs):
        start = time.perf_counter()
        proc = subprocess.Popen(list(cmd), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                env=dict(env) if env is not None else None, cwd=cwd)
        _, status, usage = os.wait4(proc.pid, 0)
        walls.append(time.perf_counter() - start)
        rss.append(usage.ru_maxrss / 1024)
        proc.returncode = os.waitstatus_to_exitcode(status)
    return statistics.median(walls), statistics.median(rss)


def row(name: str, value: float, budget: float, unit: str) -> str:
    verdict = "ok" if value <= budget else "OVER"
    return f"{name:<44} {value:>9.3f} {unit:<4} budget {budget:g} {unit:<4} {verdict}"
