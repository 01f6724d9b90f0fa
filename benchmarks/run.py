"""Every budget of DESIGN §15 in one run, printed as a table (figure, budget, measured).

Run it with the Python of a virtualenv that has mcpstate installed (`make bench` makes
one with a regular, non-editable install: an editable install adds ~10 ms to start-up).
Prints figures; it is not a test and asserts nothing. `--real` adds staging real
packages from the public registries (benchmarks/real.py), one row saying why when they
are out of reach."""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks import apply as apply_bench  # noqa: E402
from benchmarks import gc as gc_bench  # noqa: E402
from benchmarks import outdated as outdated_bench  # noqa: E402
from benchmarks import plan as plan_bench  # noqa: E402
from benchmarks import probe as probe_bench  # noqa: E402
from benchmarks import real as real_bench  # noqa: E402
from testing.catalogue import NPM_SERVER  # noqa: E402
from testing.tools import isolated_env  # noqa: E402
from testing.world import World  # noqa: E402

Row = tuple[str, str, str, bool]


def startup_rows() -> list[Row]:
    f = plan_bench.plan_figures(runs=21)  # minimum of 21 runs each, in turns with the references
    plan, journal, edited, version = f["applied"], f["journal"], f["edited"], f["version"]
    rows = [("mcpstate --version", "0.05 s", f"{version.min:.3f} s", version.min < 0.05),
            ("plan, 200 servers, nothing to do", "0.07 s", f"{plan.min:.3f} s", plan.min < 0.07),
            ("  the same with a 100,000-line journal", "+10%",
             f"{journal.min:.3f} s ({journal.min / plan.min - 1:+.0%})", journal.min < plan.min * 1.1),
            ("  lockfile edited since the last apply (checked in full)", "-", f"{edited.min:.3f} s", True),
            ("plan peak RSS", "40 MiB", f"{plan.mib:.1f} MiB", plan.mib < 40),
            ("  for scale: python -c pass", "-", f"{f['python'].min:.3f} s", True)]
    terraform = f["terraform"].min if "terraform" in f else None
    rows.append(("  ratio to terraform plan (200 terraform_data)", "-",
                 f"{plan.min / terraform:.2f} ({terraform:.2f} s)" if terraform else
                 f"terraform not on PATH; DESIGN's 0.29 s gives {plan.min / 0.29:.2f}", True))
    return rows


def probe_rows() -> list[Row]:
    argv = probe_bench.RUNTIMES["python"]
    probe_bench.baseline(argv), probe_bench.full_probe(argv)  # warm caches and lazy imports
    pairs = [(probe_bench.baseline(argv), probe_bench.full_probe(argv)) for _ in range(21)]
    extra_ms = statistics.median(p - b for b, p in pairs) * 1000
    return [("health test overhead over the server's own start", "20 ms", f"{extra_ms:.1f} ms", extra_ms < 20)]


def apply_rows() -> list[Row]:
    with World() as world:
        sandbox = Path(tempfile.mkdtemp(prefix="mcpstate-bench-env-"))
        env = {**isolated_env(sandbox), **world.env}
        apply_bench.timed_apply(env, apply_bench.SERVERS, 4)  # warm npm's and pip's caches
        serial = apply_bench.timed_apply(env, apply_bench.SERVERS, 1)
        parallel = apply_bench.timed_apply(env, apply_bench.SERVERS, 4)
        one = min(apply_bench.timed_apply(env, [("npm", NPM_SERVER, "1.1.0")], 1) for _ in range(3))
        floor = min(apply_bench.floor_one_npm(env, "1.1.0") for _ in range(3))
        shutil.rmtree(sandbox)
    ratio = parallel / serial
    return [(f"apply 20 servers: parallel / one by one ({parallel:.1f} s / {serial:.1f} s)", "< 0.50",
             f"{ratio:.2f}", ratio < 0.5),
            (f"apply 1 npm server over its floor ({one:.2f} s vs {floor:.2f} s)", "0.3 s",
             f"{one - floor:+.3f} s", one - floor < 0.3)]


def outdated_rows() -> list[Row]:
    registry = outdated_bench.BenchRegistry()
    registry.start()
    try:
        command_s = statistics.median(outdated_bench.run_command(registry, 100) for _ in range(3))
    finally:
        registry.stop()
    return [("outdated, 100 servers, local registry", "2 s", f"{command_s:.3f} s", command_s < 2)]


def gc_rows() -> list[Row]:
    with tempfile.TemporaryDirectory() as tmp:
        template = Path(tmp) / "root"
        gc_bench.build(template, 1000)
        gc_bench.run_gc(template)  # warm caches
        times = [gc_bench.run_gc(template)[0] for _ in range(5)]
    wall = statistics.median(times)
    return [("gc over 1,000 store entries", "1 s", f"{wall:.3f} s", wall < 1)]


def real_rows() -> list[Row]:
    return real_bench.rows()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--real", action="store_true",
                        help="also stage real server-everything and mcp-server-time from the public registries")
    args = parser.parse_args()
    started = time.perf_counter()
    rows: list[Row] = []
    parts = [startup_rows, probe_rows, outdated_rows, gc_rows, apply_rows] + ([real_rows] if args.real else [])
    for part in parts:
        print(f"measuring: {part.__name__.removesuffix('_rows')} ...", file=sys.stderr, flush=True)
        rows += part()
    width = max(len(r[0]) for r in rows)
    print(f"{'figure':<{width}}  {'budget':>8}  {'measured':>12}")
    for name, budget, value, ok in rows:
        print(f"{name:<{width}}  {budget:>8}  {value:>12}  {'' if ok else 'OVER'}")
    print(f"(python {sys.version.split()[0]} at {sys.prefix}; {time.perf_counter() - started:.0f} s)")


if __name__ == "__main__":
    main()
