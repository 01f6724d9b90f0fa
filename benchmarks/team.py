"""A second project with the same lockfile (DESIGN §15): its apply adds under 5% of the
first project's disk use, and takes under 2 s plus the handshakes, because every store
entry is already in the shared store.

Disk is counted as `du` counts it: allocated blocks, each hard-linked file once, over the
whole sandbox (both projects, MCPSTATE_HOME with its store and the installers' caches).
Prints figures; not a test. `--real` adds the three real servers of examples/real-servers
(public registries; skipped, saying why, when they cannot be reached)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import NamedTuple

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.apply import SERVERS, lockfile  # noqa: E402
from testing.tools import isolated_env, seed_tools  # noqa: E402
from testing.world import World  # noqa: E402


def disk_bytes(folder: Path) -> int:
    """Allocated bytes under `folder`, each inode once (hard links into pnpm's and uv's
    caches cost nothing twice), links never followed."""
    seen: set[tuple[int, int]] = set()
    total = 0
    for root, dirs, files in os.walk(folder):
        for name in dirs + files:
            st = os.lstat(os.path.join(root, name))
            if (st.st_dev, st.st_ino) not in seen:
                seen.add((st.st_dev, st.st_ino))
                total += st.st_blocks * 512
    return total


def mcpstate(env: dict[str, str], project: Path, *args: str) -> float:
    start = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "mcpstate", "-C", str(project), *args], env=env,
                          capture_output=True, text=True)
    wall = time.perf_counter() - start
    if proc.returncode != 0:
        raise SystemExit(f"mcpstate {' '.join(args)} failed:\n{proc.stdout}\n{proc.stderr}")
    return wall


def handshakes_s(project: Path, parallelism: int) -> float:
    """The health tests' own time, from the apply's reports: the test and the live check
    of each server, `parallelism` at a time."""
    reports = list((project / ".mcpstate" / "reports").glob("*.json"))
    total_ms = sum(json.loads(r.read_text()).get("duration_ms", 0.0) for r in reports)
    return 2 * total_ms / 1000 / parallelism


def run(env: dict[str, str], sandbox: Path, setup: Callable[[Path], None]) -> Figures:
    """Lay out and apply the first project, then a teammate's checkout of it."""
    seed_tools(Path(env["MCPSTATE_HOME"]))
    first, second = sandbox / "first", sandbox / "second"
    first.mkdir()
    empty = disk_bytes(sandbox)
    setup(first)  # the lockfile and its lock folder
    first_wall = mcpstate(env, first, "apply", "--auto-approve")
    # the teammate's checkout: the lockfile and the lock folder, nothing else
    second.mkdir()
    shutil.copy2(first / "mcpstate.lock.yaml", second)
    shutil.copytree(first / "mcpstate.lock.d", second / "mcpstate.lock.d")
    after_first = disk_bytes(sandbox)
    second_wall = mcpstate(env, second, "apply", "--auto-approve")
    state_dir = disk_bytes(second / ".mcpstate")
    return Figures(first_wall, after_first - empty, second_wall, disk_bytes(sandbox) - after_first, state_dir,
                   handshakes_s(second, 4))


class Figures(NamedTuple):
    first_wall: float
    first_bytes: int
    second_wall: float
    added_bytes: int
    state_dir_bytes: int   # of the added bytes, the second project's own state dir
    handshakes: float


def show(title: str, f: Figures) -> None:
    mib = 2 ** 20
    share = f.added_bytes / f.first_bytes
    print(title)
    print(f"  first project (lock if needed, apply):  apply {f.first_wall:6.2f} s, disk {f.first_bytes / mib:8.1f} MiB")
    print(f"  second project's apply: {f.second_wall:6.2f} s, disk {f.added_bytes / mib:8.2f} MiB "
          f"(its state dir {f.state_dir_bytes / mib:.2f}, the store {(f.added_bytes - f.state_dir_bytes) / mib:.2f})   "
          f"{share:.1%} of the first   budget < 5%   {'ok' if share < 0.05 else 'OVER'}")
    rest = f.second_wall - f.handshakes
    print(f"  its handshakes (2 per server, 4 at a time, from its reports) {f.handshakes:.2f} s; "
          f"the rest {rest:.2f} s   budget < 2 s   {'ok' if rest < 2 else 'OVER'}")


def main() -> None:
    with World() as world:
        sandbox = Path(tempfile.mkdtemp(prefix="mcpstate-bench-team-"))
        try:
            env = {**isolated_env(sandbox / "user"), **world.env}

            def fixtures(first: Path) -> None:
                (first / "mcpstate.lock.yaml").write_text(lockfile(SERVERS))
                mcpstate(env, first, "lock")  # stages and probes each server: most of the disk

            figures = run(env, sandbox, fixtures)
        finally:
            shutil.rmtree(sandbox, ignore_errors=True)
    show(f"a second project with the same lockfile ({len(SERVERS)} fixture servers, locked closures):", figures)
    if "--real" in sys.argv:
        real()


def real() -> None:
    """The same with examples/real-servers (server-memory, server-everything,
    mcp-server-time from the public registries): packages of real size."""
    from testing.public import unreachable

    why = unreachable()
    if why:
        print(f"real servers: not measured ({why})")
        return
    sandbox = Path(tempfile.mkdtemp(prefix="mcpstate-bench-team-real-"))
    try:
        env = isolated_env(sandbox / "user")

        def committed(first: Path) -> None:
            example = ROOT / "examples" / "real-servers"
            shutil.copy2(example / "mcpstate.lock.yaml", first)
            shutil.copytree(example / "mcpstate.lock.d", first / "mcpstate.lock.d")

        show("the same with the three real servers of examples/real-servers (their committed lock folder):",
             run(env, sandbox, committed))
    finally:
        shutil.rmtree(sandbox, ignore_errors=True)


if __name__ == "__main__":
    main()
