"""`mcpstate outdated` over 100 servers against a local npm registry: concurrent
(one pooled client, a thread pool) against sequential, then the whole command.

    .venv/bin/python benchmarks/outdated.py [--servers 100] [--latency-ms 0 20]

Budget (DESIGN §12): the command under 2 s. A local registry answers in about a
millisecond, which hides what concurrency is for; `--latency-ms` adds a delay per
answer to look like a nearby mirror (20 ms) as well.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import unquote, urlsplit

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from mcpstate.httpclient import make_client  # noqa: E402
from mcpstate.registry import Registries  # noqa: E402
from mcpstate.registry.fetch import Fetcher  # noqa: E402
from testing import httpbase  # noqa: E402
from testing.httpbase import LocalServer, Reply  # noqa: E402

# The fixture server writes headers and body in two sends; with Nagle on, each
# keep-alive answer then waits ~40 ms for the client's delayed ACK, which would
# measure the fixture, not mcpstate. (Asked for in testing/httpbase.py itself.)
httpbase._Handler.disable_nagle_algorithm = True

VERSIONS = [f"{major}.{minor}.0" for major in range(1, 4) for minor in range(12)]


class BenchRegistry(LocalServer):
    """Packuments for `@bench/pkg-N`, 36 versions each, with an optional delay."""

    name = "bench registry"
    latency_s = 0.0

    def resolve(self, method: str, path: str, headers: dict[str, str]) -> Reply:
        time.sleep(self.latency_s)  # the simulated network, not synchronisation
        name = unquote(urlsplit(path).path).lstrip("/")
        times = {v: f"2025-{1 + i % 12:02d}-01T00:00:00.000Z" for i, v in enumerate(VERSIONS)}
        return Reply.json({"name": name, "dist-tags": {"latest": VERSIONS[-1]}, "time": times,
                           "versions": {v: {"dist": {"integrity": "sha512-" + "A" * 86 + "=="}}
                                        for v in VERSIONS}})


def lockfile(n: int) -> str:
    servers = "".join(f"  s{i}:\n    source: npm\n    package: '@bench/pkg-{i}'\n    version: 1.0.0\n"
                      f"    update: {{constraint: ^1.0.0}}\n" for i in range(n))
    return f"version: 1\nservers:\n{servers}"


def timed(fn: object) -> float:
    began = time.perf_counter()
    fn()  # type: ignore[operator]
    return time.perf_counter() - began


def measure(registry: BenchRegistry, n: int) -> dict[str, float]:
    keys = [("npm", f"@bench/pkg-{i}") for i in range(n)]
    urls = {"npm": registry.origin + "/", "pypi": "http://127.0.0.1:9/"}
    figures = {}
    with make_client() as client:
        sequential = Registries(Fetcher(client), urls)
        figures["sequential_s"] = timed(lambda: [sequential.catalog(*k) for k in keys])
    with make_client() as client:
        concurrent = Registries(Fetcher(client), urls)
        figures["concurrent_s"] = timed(lambda: concurrent.catalogs(keys))
    figures["command_s"] = run_command(registry, n)
    return figures


def run_command(registry: BenchRegistry, n: int) -> float:
    with tempfile.TemporaryDirectory() as tmp:
        (Path(tmp) / "mcpstate.lock.yaml").write_text(lockfile(n))
        env = {**os.environ, "MCPSTATE_NPM_REGISTRY": registry.origin + "/"}
        began = time.perf_counter()
        proc = subprocess.run([sys.executable, "-m", "mcpstate", "-C", tmp, "outdated", "--format", "json"],
                              capture_output=True, text=True, env=env, cwd=ROOT)
        elapsed = time.perf_counter() - began
    if proc.returncode != 0:
        raise SystemExit(f"outdated failed: {proc.stderr}")
    assert len(json.loads(proc.stdout)["servers"]) == n
    return elapsed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--servers", type=int, default=100)
    parser.add_argument("--latency-ms", type=float, nargs="+", default=[0.0, 20.0])
    args = parser.parse_args()
    registry = BenchRegistry()
    registry.start()
    try:
        print(f"{args.servers} npm servers, 36 versions each; 8 workers over one pool of 16")
        print(f"{'latency':>8}  {'sequential':>10}  {'concurrent':>10}  {'speed-up':>8}  {'command':>8}")
        for latency in args.latency_ms:
            registry.latency_s = latency / 1000
            f = measure(registry, args.servers)
            verdict = "ok" if f["command_s"] < 2.0 else "OVER BUDGET"
            print(f"{latency:>6g}ms  {f['sequential_s']:>9.3f}s  {f['concurrent_s']:>9.3f}s  "
                  f"{f['sequential_s'] / f['concurrent_s']:>7.1f}x  {f['command_s']:>7.3f}s  {verdict}")
    finally:
        registry.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
