"""Staging one locked server from warm caches, against the bare installer command on the
same lock (DESIGN §15: within 0.2 s). Prints figures; not a test.

    .venv/bin/python benchmarks/staging.py [--runs 9]

For each source, a fixture server with one dependency (`with-lib`) is locked once, then
staged `--runs` times into a fresh store entry (mcpstate's whole staging: temp folder,
lock files, installer, relocation, marker, rename), interleaved with the bare command in
a fresh folder with the same caches and registry:

    npm:  pnpm install --frozen-lockfile          (package.json + pnpm-lock.yaml)
    pypi: uv venv, then uv pip sync requirements.txt   (and uv pip sync alone)

Medians; the caches were warmed by one install of each before timing.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from mcpstate.lockfile.closure import digest  # noqa: E402
from mcpstate.model import ServerSpec  # noqa: E402
from mcpstate.state.layout import StateDir  # noqa: E402
from mcpstate.store.entries import stage  # noqa: E402
from mcpstate.store.locked import resolve_closure  # noqa: E402
from mcpstate.home import DataDir
from mcpstate.store.tools import pnpm_bin, uv_bin  # noqa: E402
from testing.catalogue import NPM_WITH_LIB, PYPI_WITH_LIB, WITH_LIB_VERSION  # noqa: E402
from testing.tools import isolated_env, seed_tools  # noqa: E402
from testing.world import World  # noqa: E402


Timer = Callable[[], float]  # runs once, returns the seconds of its timed part


def timed(action: Callable[[], object]) -> float:
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


def bare_pnpm(files: dict[str, bytes], registry: str, work: Path) -> Timer:
    env = {**os.environ, "XDG_CACHE_HOME": str(DataDir.from_environ().pnpm_metadata)}
    cmd = [str(pnpm_bin()), "install", "--frozen-lockfile", f"--store-dir={DataDir.from_environ().pnpm_store}",
           f"--registry={registry}"]

    def run() -> float:
        folder = Path(tempfile.mkdtemp(dir=work))
        for name, data in files.items():
            (folder / name).write_bytes(data)
        return timed(lambda: subprocess.run(cmd, cwd=folder, check=True, capture_output=True, env=env))
    return run


def bare_uv(files: dict[str, bytes], index: str, work: Path, venv_timed: bool) -> Timer:
    env = {**os.environ, "UV_CACHE_DIR": str(DataDir.from_environ().uv_cache)}
    uv = str(uv_bin())
    venv = [uv, "venv", "--quiet", "--python", sys.executable, "venv"]
    sync = [uv, "pip", "sync", "--quiet", "--python", "venv/bin/python", "--index-url", index,
            "requirements.txt"]

    def run() -> float:
        folder = Path(tempfile.mkdtemp(dir=work))
        (folder / "requirements.txt").write_bytes(files["requirements.txt"])
        made = timed(lambda: subprocess.run(venv, cwd=folder, check=True, capture_output=True, env=env))
        synced = timed(lambda: subprocess.run(sync, cwd=folder, check=True, capture_output=True, env=env))
        return synced + (made if venv_timed else 0.0)
    return run


def staged(spec: ServerSpec, registry: str, work: Path) -> Timer:
    def run() -> float:
        state_dir = StateDir(Path(tempfile.mkdtemp(dir=work)) / ".mcpstate").create()
        return timed(lambda: stage(state_dir, spec, registry))
    return run


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=9)
    args = parser.parse_args()
    root = Path(tempfile.mkdtemp(prefix="mcpstate-bench-staging-"))
    try:
        with World() as world:
            os.environ.update({**isolated_env(root / "isolated"), **world.env})
            seed_tools(Path(os.environ["MCPSTATE_HOME"]))
            report(world, root, args.runs)
    finally:
        shutil.rmtree(root, ignore_errors=True)
    return 0


def report(world: World, root: Path, runs: int) -> None:
    work = root / "work"
    work.mkdir()
    print(f"staging from warm caches, median of {runs} (budget: within 0.2 s of the bare installer)")
    for source, package, registry in (("npm", NPM_WITH_LIB, world.npm_url), ("pypi", PYPI_WITH_LIB, world.pypi_url)):
        spec = ServerSpec("bench", source, package=package, version=WITH_LIB_VERSION)
        files = resolve_closure(spec, registry)
        spec = spec._replace(closure=digest(files), lock_files=files)
        contenders = {"mcpstate staging": staged(spec, registry, work)}
        if source == "npm":
            contenders["pnpm install --frozen-lockfile"] = bare_pnpm(files, registry, work)
        else:
            contenders["uv venv + uv pip sync"] = bare_uv(files, registry, work, venv_timed=True)
            contenders["uv pip sync (venv not timed)"] = bare_uv(files, registry, work, venv_timed=False)
        print_medians(source, medians(contenders, runs))


def medians(contenders: dict[str, Timer], runs: int) -> dict[str, float]:
    """Each contender's median seconds over `runs`, after one warm-up run of each."""
    for action in contenders.values():
        action()  # warm the caches and our imports
    times: dict[str, list[float]] = {name: [] for name in contenders}
    for _ in range(runs):  # interleaved, so drift in machine load hits each alike
        for name, action in contenders.items():
            times[name].append(action())
    return {name: statistics.median(values) for name, values in times.items()}


def print_medians(label: str, found: dict[str, float]) -> None:
    """One line each; the first is mcpstate's, the others say how far it is from them."""
    first = next(iter(found.values()))
    for name, value in found.items():
        delta = "" if name.startswith("mcpstate") else f"   (mcpstate staging minus this: {first - value:+.3f} s)"
        print(f"  {label:10} {name:34} {value:.3f} s{delta}")


if __name__ == "__main__":
    raise SystemExit(main())
