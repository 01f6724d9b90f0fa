"""How much the health test costs beyond the server's own start (DESIGN §12: under 20 ms),
and what concurrent probing buys `mcpstate status`. Prints figures; not a test.

    .venv/bin/python benchmarks/probe.py [--runs 30] [--servers 20]

Overhead: a fixture that answers at once, probed in full (handshake, tools/list, RSS,
shutdown), against the simplest code that spawns the same process, writes one request,
reads the first answer and lets it exit. Medians over --runs.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from mcpstate.model import TestSpec  # noqa: E402
from mcpstate.probe import Launch, probe, probe_many  # noqa: E402
from mcpstate.probe.launch import server_env  # noqa: E402

SERVERS = ROOT / "testing" / "servers"
RUNTIMES = {"python": [sys.executable, str(SERVERS / "fixture_server.py")],
            "node": ["node", str(SERVERS / "fixture_server.js")]}
DISCOVER = {"jsonrpc": "2.0", "id": 1, "method": "server/discover", "params": {"_meta": {
    "io.modelcontextprotocol/protocolVersion": "2026-07-28", "io.modelcontextprotocol/clientCapabilities": {}}}}
SPEC = TestSpec(timeout_s=10)


def baseline(argv: list[str]) -> float:
    """Spawn, one request, first answer, close stdin, wait for the exit: the floor."""
    started = time.perf_counter()
    proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                            env=server_env(Launch(env={"MCP_FIXTURE_BEHAVIOUR": "healthy"})))
    assert proc.stdin and proc.stdout
    proc.stdin.write(json.dumps(DISCOVER).encode() + b"\n")
    proc.stdin.flush()
    proc.stdout.readline()
    proc.stdin.close()
    proc.wait()
    return time.perf_counter() - started


def full_probe(argv: list[str]) -> float:
    started = time.perf_counter()
    report = probe(Launch(command=argv[0], args=tuple(argv[1:]), env={"MCP_FIXTURE_BEHAVIOUR": "healthy"}), SPEC)
    assert report.passed, report.failures
    return time.perf_counter() - started


def overhead(runs: int) -> None:
    for runtime, argv in RUNTIMES.items():
        baseline(argv), full_probe(argv)  # warm the page cache and our lazy imports (psutil)
        # Paired and interleaved, so drift in machine load hits both alike.
        pairs = [(baseline(argv), full_probe(argv)) for _ in range(runs)]
        floor = statistics.median(b for b, _ in pairs) * 1000
        probed = statistics.median(p for _, p in pairs) * 1000
        extra = statistics.median(p - b for b, p in pairs) * 1000
        print(f"{runtime:6} spawn+first answer+exit {floor:6.1f} ms | full probe {probed:6.1f} ms | "
              f"overhead (median of pairs) {extra:+5.1f} ms (budget 20 ms)")


COLD = """
import sys
sys.path.insert(0, {here!r})
from probe import baseline, full_probe, RUNTIMES
measure = full_probe if {probe!r} else baseline
print(measure(RUNTIMES["python"]) * 1000)
"""


def cold(runs: int) -> None:
    """The first probe of a process (one `mcpstate test`) also pays lazy imports."""
    times: dict[bool, list[float]] = {False: [], True: []}
    for _ in range(runs):
        for probed in (False, True):
            code = COLD.format(here=str(Path(__file__).parent), probe=probed)
            out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
            times[probed].append(float(out.stdout))
    floor, probed_ms = statistics.median(times[False]), statistics.median(times[True])
    print(f"cold   spawn+first answer+exit {floor:6.1f} ms | first probe {probed_ms:6.1f} ms | "
          f"overhead {probed_ms - floor:+5.1f} ms (fresh interpreter, python fixture)")


def concurrency(count: int) -> None:
    for behaviour in ("healthy", "slow_start,slow_ms=200"):
        launches = {f"s{i}": (Launch(command=RUNTIMES["python"][0], args=(RUNTIMES["python"][1],),
                                     env={"MCP_FIXTURE_BEHAVIOUR": behaviour}), SPEC) for i in range(count)}
        walls = {}
        for parallelism in (1, 4, count):
            started = time.perf_counter()
            reports = probe_many(launches, parallelism)
            walls[parallelism] = time.perf_counter() - started
            assert all(r.passed for r in reports.values())
        print(f"probe_many {count} x {behaviour:22} one by one {walls[1]:5.2f} s | parallelism 4 "
              f"{walls[4]:5.2f} s | parallelism {count} {walls[count]:5.2f} s "
              f"({walls[1] / walls[count]:.1f}x)")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--servers", type=int, default=20)
    args = parser.parse_args()
    overhead(args.runs)
    cold(max(5, args.runs // 2))
    concurrency(args.servers)
    return 0


if __name__ == "__main__":
    sys.exit(main())
