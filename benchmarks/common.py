"""Shared by the benchmark scripts: time a command in a fresh process, with its peak RSS."""

from __future__ import annotations

import shutil
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import NamedTuple

_CHILD = """
import os, subprocess, sys, time
start = time.perf_counter()
proc = subprocess.Popen(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
_, status, usage = os.wait4(proc.pid, 0)
print(time.perf_counter() - start, usage.ru_maxrss)
"""


def measure(cmd: Sequence[str], runs: int = 15, env: Mapping[str, str] | None = None,
            cwd: str | None = None) -> tuple[float, float]:
    """Median wall seconds and median peak RSS (MiB) of `cmd` over `runs` runs."""
    walls, rss = zip(*(run_once(cmd, env, cwd) for _ in range(runs)))
    return statistics.median(walls), statistics.median(rss)


def run_once(cmd: Sequence[str], env: Mapping[str, str] | None = None, cwd: str | None = None) -> tuple[float, float]:
    """Wall seconds and peak RSS (MiB) of one run of `cmd`.

    The run is started by a small Python process of its own: a child forked from this
    (big) one would report this process's memory as its peak before it exec()s."""
    out = subprocess.run([sys.executable, "-I", "-c", _CHILD, *cmd], capture_output=True, text=True,
                         env=dict(env) if env is not None else None, cwd=cwd, check=True).stdout
    wall, maxrss = out.split()
    return float(wall), int(maxrss) / 1024


class Figures(NamedTuple):
    """Runs of one command, taken in turns with the others it is compared with."""

    walls: list[float]
    rss: list[float]

    @property
    def min(self) -> float:
        return min(self.walls)

    @property
    def median(self) -> float:
        return statistics.median(self.walls)

    @property
    def mib(self) -> float:
        return statistics.median(self.rss)


def side_by_side(cmds: Mapping[str, tuple[Sequence[str], str | None]], runs: int) -> dict[str, Figures]:
    """Each command (argv, working folder) `runs` times, in turns: a burst of load on this
    shared machine then weighs on all of them alike, not on whichever ran at that moment."""
    found = {name: Figures([], []) for name in cmds}
    for _ in range(runs):
        for name, (cmd, cwd) in cmds.items():
            wall, rss = run_once(cmd, cwd=cwd)
            found[name].walls.append(wall)
            found[name].rss.append(rss)
    return found


@contextmanager
def terraform_project(resources: int = 200) -> Iterator[Path | None]:
    """A folder where `terraform plan` has `resources` terraform_data resources to refresh
    and nothing to do (the reference of DESIGN §15); None when terraform is not on PATH."""
    if not shutil.which("terraform"):
        yield None
        return
    folder = Path(tempfile.mkdtemp(prefix="mcpstate-bench-tf-"))
    try:
        (folder / "main.tf").write_text("".join(
            f'resource "terraform_data" "r{i}" {{ input = "{i}" }}\n' for i in range(resources)))
        subprocess.run(["terraform", "init", "-input=false"], cwd=folder, capture_output=True, check=True)
        subprocess.run(["terraform", "apply", "-auto-approve", "-input=false"], cwd=folder,
                       capture_output=True, check=True)
        yield folder
    finally:
        shutil.rmtree(folder)


TERRAFORM_PLAN = ["terraform", "plan", "-input=false", "-lock=false"]


def row(name: str, value: float, budget: float, unit: str) -> str:
    verdict = "ok" if value <= budget else "OVER"
    return f"{name:<44} {value:>9.3f} {unit:<4} budget {budget:g} {unit:<4} {verdict}"
