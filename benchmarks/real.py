"""Staging real servers from warm caches, against the bare installers on the same lock
folder files (DESIGN §15: within 0.2 s), and, for scale, npm and pip. Uses the public
registries; prints figures, never a verdict for CI. Skips, saying why, when offline.

    .venv/bin/python benchmarks/real.py [--runs 5]

The lock folder files are the committed ones of examples/real-servers/:

    everything (npm):  mcpstate staging | pnpm install --frozen-lockfile (mcpstate's pinned
                       pnpm, its content store) | npm ci (npm's own package-lock.json of the
                       same package.json, npm's cache)
    time (PyPI):       mcpstate staging | uv venv + uv pip sync requirements.txt (and the
                       sync alone) | python -m venv + pip install --require-hashes -r
                       requirements.txt (pip's cache)

Every contender runs once to warm its cache, then `--runs` times, interleaved, each into
a fresh folder; medians.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.staging import (  # noqa: E402
    Timer,
    bare_pnpm,
    bare_uv,
    medians,
    print_medians,
    staged,
    timed,
)
from mcpstate.lockfile.load import load_lockfile  # noqa: E402
from testing.public import NPM_REGISTRY, PYPI_INDEX, unreachable  # noqa: E402
from testing.tools import isolated_env, seed_tools  # noqa: E402

EXAMPLE = ROOT / "examples" / "real-servers"
SERVERS = {"npm": "everything", "pypi": "time"}
Row = tuple[str, str, str, bool]


def npm_ci(files: dict[str, bytes], work: Path) -> Timer:
    """`npm ci` of npm's own lock of the lock folder's package.json (npm cannot read
    pnpm-lock.yaml); resolved once, here, against the same registry."""
    seed = Path(tempfile.mkdtemp(dir=work))
    (seed / "package.json").write_bytes(files["package.json"])
    base = ["--registry", NPM_REGISTRY, "--ignore-scripts", "--no-audit", "--no-fund"]
    subprocess.run(["npm", "install", "--package-lock-only", *base], cwd=seed, check=True, capture_output=True)

    def run() -> float:
        folder = Path(tempfile.mkdtemp(dir=work))
        for name in ("package.json", "package-lock.json"):
            shutil.copy(seed / name, folder / name)
        return timed(lambda: subprocess.run(["npm", "ci", "--omit=dev", *base], cwd=folder, check=True,
                                            capture_output=True))
    return run


def pip_install(files: dict[str, bytes], work: Path) -> Timer:
    """A venv without pip (as fast as venvs get), then this interpreter's pip into it,
    hashes required, from pip's own cache."""
    cert = os.environ.get("SSL_CERT_FILE")
    env = {**os.environ, "PIP_CACHE_DIR": str(work.parent / "pip-cache"), **({"PIP_CERT": cert} if cert else {})}

    def run() -> float:
        folder = Path(tempfile.mkdtemp(dir=work))
        (folder / "requirements.txt").write_bytes(files["requirements.txt"])
        venv = [sys.executable, "-m", "venv", "--without-pip", "venv"]
        pip = [sys.executable, "-m", "pip", "--python", "venv/bin/python", "install", "--quiet",
               "--require-hashes", "--index-url", PYPI_INDEX, "-r", "requirements.txt"]
        return timed(lambda: [subprocess.run(cmd, cwd=folder, check=True, capture_output=True, env=env)
                              for cmd in (venv, pip)])
    return run


def contenders(source: str, work: Path) -> dict[str, Timer]:
    spec = load_lockfile(EXAMPLE / "mcpstate.lock.yaml").servers[SERVERS[source]]
    files = dict(spec.lock_files)
    if source == "npm":
        return {"mcpstate staging": staged(spec, NPM_REGISTRY, work),
                "pnpm install --frozen-lockfile": bare_pnpm(files, NPM_REGISTRY, work),
                "npm ci": npm_ci(files, work)}
    return {"mcpstate staging": staged(spec, PYPI_INDEX, work),
            "uv venv + uv pip sync": bare_uv(files, PYPI_INDEX, work, venv_timed=True),
            "uv pip sync (venv not timed)": bare_uv(files, PYPI_INDEX, work, venv_timed=False),
            "venv + pip install": pip_install(files, work)}


def measure_all(runs: int) -> dict[str, dict[str, float]]:
    """{source: {contender: median seconds}}, in an isolated environment of its own."""
    root = Path(tempfile.mkdtemp(prefix="mcpstate-bench-real-"))
    saved = dict(os.environ)
    try:
        os.environ.clear()
        os.environ.update(isolated_env(root / "isolated", saved))
        seed_tools(Path(os.environ["MCPSTATE_HOME"]))
        work = root / "work"
        work.mkdir()
        return {source: medians(contenders(source, work), runs) for source in SERVERS}
    finally:
        os.environ.clear()
        os.environ.update(saved)
        shutil.rmtree(root, ignore_errors=True)


def rows(runs: int = 5) -> list[Row]:
    """benchmarks/run.py's rows; one row saying why when the registries are out of reach."""
    why = unreachable()
    if why:
        return [("real packages: skipped", "-", why, True)]
    figures = measure_all(runs)
    npm, pypi = figures["npm"], figures["pypi"]
    ours_npm, bare_npm = npm["mcpstate staging"], npm["pnpm install --frozen-lockfile"]
    ours_pypi, bare_pypi = pypi["mcpstate staging"], pypi["uv venv + uv pip sync"]
    return [(f"stage real server-everything over pnpm ({ours_npm:.2f} s vs {bare_npm:.2f} s)", "0.2 s",
             f"{ours_npm - bare_npm:+.3f} s", ours_npm - bare_npm < 0.2),
            ("  for scale: npm ci of the same package.json", "-", f"{npm['npm ci']:.2f} s", True),
            (f"stage real mcp-server-time over uv ({ours_pypi:.2f} s vs {bare_pypi:.2f} s)", "0.2 s",
             f"{ours_pypi - bare_pypi:+.3f} s", ours_pypi - bare_pypi < 0.2),
            ("  for scale: venv + pip install of the same requirements.txt", "-",
             f"{pypi['venv + pip install']:.2f} s", True)]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    why = unreachable()
    if why:
        print(f"skipped: {why}")
        return 0
    print(f"staging real servers from warm caches, median of {args.runs} "
          "(budget: within 0.2 s of the bare installer)")
    for source, found in measure_all(args.runs).items():
        print_medians(SERVERS[source], found)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
