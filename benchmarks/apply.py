"""apply of 20 changed servers, parallel vs one by one, against the local registries;
and apply of one changed npm server against its floor (npm install + two handshakes).

Budgets (DESIGN §12): parallel wall under half of one-by-one; one server within 0.3 s
of the floor. Prints figures; not a test."""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from testing.catalogue import NPM_CALENDAR, NPM_SERVER, NPM_TINY, PYPI_SERVER  # noqa: E402
from testing.tools import isolated_env, seed_tools  # noqa: E402
from testing.world import World  # noqa: E402

SERVERS = ([("npm", NPM_SERVER, v) for v in ("1.0.0", "1.1.0", "1.2.0", "1.3.0", "2.0.0", "2.1.0", "2.2.0",
                                             "2.3.0-beta.1")]
           + [("npm", NPM_TINY, v) for v in ("1.0.0", "1.1.0")]
           + [("npm", NPM_CALENDAR, v) for v in ("2026.7.4", "2026.8.31", "2026.10.19")]
           + [("pypi", PYPI_SERVER, v) for v in ("1.0.0", "1.1.0", "1.2.0", "1.3.0", "2.0.0", "2.1.0", "2.2.0")])


def lockfile(servers: list[tuple[str, str, str]]) -> str:
    lines = ["version: 1", "defaults:", "  test: {timeout_s: 20, max_startup_ms: 10000}", "servers:"]
    for i, (source, package, version) in enumerate(servers):
        lines += [f"  s{i:02d}:", f"    source: {source}", f'    package: "{package}"', f'    version: "{version}"']
    return "\n".join(lines) + "\n"


def timed_apply(env: dict[str, str], servers: list[tuple[str, str, str]], parallelism: int,
                locked: bool = False) -> float:
    """The wall time of one apply; `locked`: `mcpstate lock` first (not timed), so the
    servers are installed from their closures with pnpm and uv, not npm and pip."""
    project = Path(tempfile.mkdtemp(prefix="mcpstate-bench-apply-"))
    try:
        (project / "mcpstate.lock.yaml").write_text(lockfile(servers))
        if locked:
            subprocess.run([sys.executable, "-m", "mcpstate", "-C", str(project), "lock"], env=env,
                           capture_output=True, check=True)
        # caches warm, store empty: each server is installed, not reused from the shared store
        shutil.rmtree(Path(env["MCPSTATE_HOME"]) / "store", ignore_errors=True)
        start = time.perf_counter()
        proc = subprocess.run([sys.executable, "-m", "mcpstate", "-C", str(project), "apply", "--auto-approve",
                               "--parallelism", str(parallelism)], env=env, capture_output=True, text=True)
        wall = time.perf_counter() - start
        if proc.returncode != 0:
            raise SystemExit(f"apply failed:\n{proc.stdout}\n{proc.stderr}")
        return wall
    finally:
        shutil.rmtree(project)


def floor_one_npm(env: dict[str, str], version: str) -> float:
    """npm install of the package into an empty folder, plus two handshakes with it."""
    from mcpstate.model import TestSpec
    from mcpstate.probe import Launch, probe

    folder = Path(tempfile.mkdtemp(prefix="mcpstate-bench-floor-"))
    try:
        start = time.perf_counter()
        (folder / "package.json").write_text(f'{{"dependencies": {{"{NPM_SERVER}": "{version}"}}}}')
        subprocess.run(["npm", "install", "--ignore-scripts", "--no-audit", "--no-fund", "--omit=dev",
                        f"--registry={env['MCPSTATE_NPM_REGISTRY']}"], cwd=folder, env=env,
                       capture_output=True, check=True)
        launch = Launch(command=str(folder / "node_modules/.bin/mcpstate-fixture-server"))
        for _ in range(2):
            assert probe(launch, TestSpec()).passed
        return time.perf_counter() - start
    finally:
        shutil.rmtree(folder)


def main() -> None:
    with World() as world:
        sandbox = Path(tempfile.mkdtemp(prefix="mcpstate-bench-env-"))
        env = {**isolated_env(sandbox), **world.env}
        timed_apply(env, SERVERS, 4)  # warm npm's and pip's caches for both runs alike
        serial = timed_apply(env, SERVERS, 1)
        parallel = timed_apply(env, SERVERS, 4)
        one = min(timed_apply(env, [("npm", NPM_SERVER, "1.1.0")], 1) for _ in range(3))
        floor = min(floor_one_npm(env, "1.1.0") for _ in range(3))
        seed_tools(Path(env["MCPSTATE_HOME"]))
        timed_apply(env, SERVERS, 4, locked=True)  # warm pnpm's and uv's caches
        locked = timed_apply(env, SERVERS, 4, locked=True)
        shutil.rmtree(sandbox)
    print(f"apply of {len(SERVERS)} new servers (13 npm, 7 pypi), warm package caches:")
    print(f"  one by one (--parallelism 1)   {serial:7.2f} s")
    print(f"  parallel   (--parallelism 4)   {parallel:7.2f} s   ratio {parallel / serial:.2f}"
          f"   budget < 0.50   {'ok' if parallel / serial < 0.5 else 'OVER'}")
    print(f"  locked closures (pnpm, uv), parallel 4   {locked:7.2f} s   budget < 3 s"
          f"   {'ok' if locked < 3 else 'OVER'}")
    print("apply of one new npm server vs its floor (npm install + two handshakes), best of 3:")
    print(f"  mcpstate apply {one:6.3f} s   floor {floor:6.3f} s   overhead {one - floor:+.3f} s"
          f"   budget < 0.300   {'ok' if one - floor < 0.3 else 'OVER'}")


if __name__ == "__main__":
    main()
