"""`mcpstate gc` over 1,000 store entries (DESIGN §12: under 1 s). Prints figures; not a test.

    .venv/bin/python benchmarks/gc.py [--entries 1000] [--runs 7]

A synthetic state dir, no real installs: `--entries` store entries (50 packages, the
rest versions; a marker and four small files each), a state.json whose servers hold the
newest two versions of each package, 200 reports, 60 backups and a journal of 2,000
lines. Each run is the whole CLI in a subprocess (interpreter start included) on a
fresh copy, synced to disk first; the copy is not timed. Medians over --runs, for `gc --dry-run` and `gc`,
and the floor: `rm -rf` of the same items, as deleting is the file system's time, not ours.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from mcpstate.home import DataDir  # noqa: E402
from mcpstate.state.journal import encode_record  # noqa: E402

PACKAGES = 50
DAY = 86400


def build(root: Path, entries: int) -> None:
    """`root/project` with its state dir, and `root/data`: the shared store (MCPSTATE_HOME)."""
    state = root / "project" / ".mcpstate"
    store = DataDir(root / "data").create().store
    state.mkdir(parents=True)
    versions = entries // PACKAGES
    now = time.time()
    servers = {}
    for p in range(PACKAGES):
        for v in range(versions):
            _entry(store / "npm" / f"@bench+pkg{p}@1.{v}.0", f"@bench/pkg{p}", f"1.{v}.0",
                   now - (versions - v) * 3600)
        servers[f"s{p}"] = _server(store, p, versions)
    (state / "state.json").write_text(json.dumps({"format_version": 2, "mcpstate_version": "0.1.0",
                                                  "lineage": "bench", "serial": 1, "targets": {},
                                                  "servers": servers}))
    _extras(state, now)


def _entry(path: Path, package: str, version: str, created: float) -> None:
    (path / "node_modules" / "dep").mkdir(parents=True)
    for rel, size in (("package.json", 300), ("package-lock.json", 2000), ("node_modules/dep/index.js", 4000),
                      ("node_modules/dep/package.json", 200)):
        (path / rel).write_bytes(b"x" * size)
    stamp = time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime(created))
    (path / ".mcpstate-intact").write_text(json.dumps({"package": package, "version": version,
                                                       "integrity": "sha512-x", "created": stamp}))


def _server(store: Path, p: int, versions: int) -> dict[str, object]:
    def record(v: int, revision: int) -> dict[str, object]:
        return {"revision": revision, "source": "npm", "package": f"@bench/pkg{p}", "version": f"1.{v}.0",
                "integrity": "sha512-x", "store_path": str(store / "npm" / f"@bench+pkg{p}@1.{v}.0"),
                "entries": {}, "config": {}}
    return {**record(versions - 1, 2), "previous": record(versions - 2, 1)}


def _extras(state: Path, now: float) -> None:
    for folder in ("reports", "backups"):
        (state / folder).mkdir()
    for i in range(200):
        report = state / "reports" / f"s{i}-1.0.0-{i}.json"
        report.write_text("{}")
        os.utime(report, (now - i * DAY / 2, now - i * DAY / 2))
    for i in range(60):
        (state / "backups" / f".mcp.json.{i}.json").write_text("{}")
    with open(state / "journal.jsonl", "wb") as f:
        for seq in range(1, 2001):
            ts = time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime(now - (2001 - seq) * DAY / 4))
            f.write(encode_record({"seq": seq, "ts": ts, "tx": f"{seq // 10:012x}", "op": "apply", "server": "s1",
                                   "event": "committed" if seq % 10 == 9 else "staging", "from": None,
                                   "to": None, "detail": None, "who": "bench"}))


def run_gc(template: Path, *args: str) -> tuple[float, dict[str, object]]:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "root"
        shutil.copytree(template, root, symlinks=True)
        os.sync()  # the copy's writeback must not land inside the timed run
        env = {**os.environ, "MCPSTATE_HOME": str(root / "data")}
        started = time.perf_counter()
        proc = subprocess.run([sys.executable, "-m", "mcpstate", "-C", str(root / "project"), "gc", "--format",
                               "json", *args], capture_output=True, text=True, cwd=root / "project", env=env)
        elapsed = time.perf_counter() - started
    if proc.returncode != 0:
        raise SystemExit(f"gc failed ({proc.returncode}): {proc.stderr}")
    return elapsed, json.loads(proc.stdout)


def rm_floor(template: Path, paths: list[str]) -> float:
    """`rm -rf` of the same items (relative to the copy's root) on a fresh copy: what the
    deleting alone costs here."""
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "root"
        shutil.copytree(template, root, symlinks=True)
        os.sync()
        started = time.perf_counter()
        subprocess.run(["rm", "-rf", *paths], cwd=root, check=True)
        return time.perf_counter() - started


def process_scan_s() -> float:
    from mcpstate.gc.scan import process_roots

    started = time.perf_counter()
    process_roots(("/nonexistent/store",), set())
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--entries", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=7)
    opts = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        template = Path(tmp) / "root"
        build(template, opts.entries)
        for label, args in (("gc --dry-run", ["--dry-run"]), ("gc", [])):
            run_gc(template, *args)  # warm the page cache and the interpreter's bytecode cache
            results = [run_gc(template, *args) for _ in range(opts.runs)]
            times = sorted(t for t, _ in results)
            doc = results[0][1]
            print(f"{label:<13} {opts.entries} entries: median {statistics.median(times):.3f} s "
                  f"(min {times[0]:.3f}, max {times[-1]:.3f}); {len(doc['items'])} items, "  # type: ignore[arg-type]
                  f"{doc['freed_bytes'] / 2**20:.1f} MiB, {len(doc['kept_roots'])} roots")  # type: ignore[arg-type,operator]
            where = {"store": "data", "project": "project/.mcpstate"}
            paths = [f"{where[i['area']]}/{i['path']}" for i in doc["items"]  # type: ignore[index,union-attr]
                     if i["kind"] != "journal"]  # type: ignore[index]
        floor = sorted(rm_floor(template, paths) for _ in range(opts.runs))
        print(f"floor: rm -rf of the same {len(paths)} items: median {statistics.median(floor):.3f} s")
    baseline = [_baseline() for _ in range(opts.runs)]
    print(f"interpreter + `mcpstate --version`: median {statistics.median(baseline):.3f} s")
    print(f"process scan (psutil, {len(_pids())} processes): {process_scan_s():.3f} s")


def _baseline() -> float:
    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", "mcpstate", "--version"], capture_output=True, check=True)
    return time.perf_counter() - started


def _pids() -> list[int]:
    import psutil

    return psutil.pids()


if __name__ == "__main__":
    main()
