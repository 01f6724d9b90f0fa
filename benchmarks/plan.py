"""`mcpstate plan` over 200 servers that are all applied, and `mcpstate --version`.

Budgets (DESIGN §12, in a virtualenv on 2 cores): plan under 0.1 s and 40 MiB;
--version under 0.05 s. Prints figures; not a test."""

from __future__ import annotations

import json
import shutil
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.common import measure, row  # noqa: E402
from mcpstate.targets.jsonfile import entry_sha256  # noqa: E402

N = 200


def build(project: Path) -> None:
    state_dir = project / ".mcpstate"
    lines = ["version: 1", "servers:"]
    entries, servers = {}, {}
    for i in range(N):
        name, version = f"server-{i:03d}", f"1.{i}.0"
        store = state_dir / "store" / "npm" / f"@bench+pkg-{i}@{version}"
        store.mkdir(parents=True)
        (store / ".mcpstate-intact").write_text("{}")
        lines += [f"  {name}:", "    source: npm", f'    package: "@bench/pkg-{i}"',
                  f"    version: {version}", "    args: [--stdio]", "    env: {LOG_LEVEL: info}"]
        entry = {"command": str(store / "node_modules/.bin/pkg"), "args": ["--stdio"],
                 "env": {"LOG_LEVEL": "info"}}
        entries[name] = entry
        servers[name] = {"revision": 1, "source": "npm", "package": f"@bench/pkg-{i}", "version": version,
                         "integrity": None, "store_path": str(store),
                         "entries": {".mcp.json": entry_sha256(entry)},
                         "config": {"args": ["--stdio"], "env": {"LOG_LEVEL": "info"}}}
    (project / "mcpstate.lock.yaml").write_text("\n".join(lines) + "\n")
    (project / ".mcp.json").write_text(json.dumps({"mcpServers": entries}, indent=2))
    state = {"format_version": 1, "lineage": "bench", "serial": N, "targets": {".mcp.json": "claude-code"},
             "servers": servers}
    (state_dir / "state.json").write_text(json.dumps(state))


def main() -> None:
    exe = str(Path(sys.executable).parent / "mcpstate")
    project = Path(tempfile.mkdtemp(prefix="mcpstate-bench-plan-"))
    try:
        build(project)
        code, _ = measure([exe, "-C", str(project), "plan", "--detailed-exitcode"], runs=1)
        plan_s, plan_mib = measure([exe, "-C", str(project), "plan"])
        version_s, version_mib = measure([exe, "--version"])
        floor_s, floor_mib = measure([sys.executable, "-c", "pass"])
        print(f"plan over {N} applied servers, median of 15 runs ({sys.executable}):")
        print(row("mcpstate plan (200 servers, no changes)", plan_s, 0.1, "s"))
        print(row("mcpstate plan peak RSS", plan_mib, 40, "MiB"))
        print(row("mcpstate --version", version_s, 0.05, "s"))
        print(f"{'for scale: python -c pass':<44} {floor_s:>9.3f} s     ({floor_mib:.1f} MiB)")
        print(f"{'mcpstate --version peak RSS':<44} {version_mib:>9.1f} MiB")
    finally:
        shutil.rmtree(project)


if __name__ == "__main__":
    main()
