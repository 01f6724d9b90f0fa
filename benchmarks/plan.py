"""`mcpstate plan` over 200 servers that are all applied, and `mcpstate --version`.

Budgets (DESIGN §15, in a virtualenv on 2 cores): plan under 0.07 s and 40 MiB, and
within 10% of that with a 100,000-line journal; --version under 0.05 s. Prints figures;
not a test."""

from __future__ import annotations

import json
import shutil
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.common import measure, row  # noqa: E402
from mcpstate.state.journal import encode_record  # noqa: E402
from mcpstate.targets.jsonfile import entry_sha256  # noqa: E402

N = 200
JOURNAL_LINES = 100_000


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
    state = {"format_version": 2, "lineage": "bench", "serial": N, "targets": {".mcp.json": "claude-code"},
             "journal": {"offset": 0, "seq": 0}, "servers": servers}
    (state_dir / "state.json").write_text(json.dumps(state))


def add_journal(project: Path, lines: int = JOURNAL_LINES) -> None:
    """A long history, as years of applies leave it: the state's mark points past it,
    as the last commit records it (DESIGN §9)."""
    state_dir = project / ".mcpstate"
    records = []
    for seq in range(1, lines + 1):
        tx, event = f"{seq // 10:012x}", ("started", "staging", "staged", "verified", "testing", "tested",
                                          "swapping", "swapped", "checked", "committed")[(seq - 1) % 10]
        records.append(encode_record({"seq": seq, "ts": "2026-01-01T00:00:00.000Z", "tx": tx, "op": "apply",
                                      "server": f"server-{seq % N:03d}", "event": event, "from": "1.0.0",
                                      "to": "1.1.0", "detail": {"revision": 1} if event == "committed" else None,
                                      "who": "bench@host"}))
    data = b"".join(records)
    (state_dir / "journal.jsonl").write_bytes(data)
    state = json.loads((state_dir / "state.json").read_text())
    state["journal"] = {"offset": len(data) - len(records[-1]), "seq": lines}
    (state_dir / "state.json").write_text(json.dumps(state))


def main() -> None:
    exe = str(Path(sys.executable).parent / "mcpstate")
    project = Path(tempfile.mkdtemp(prefix="mcpstate-bench-plan-"))
    try:
        build(project)
        code, _ = measure([exe, "-C", str(project), "plan", "--detailed-exitcode"], runs=1)
        plan_s, plan_mib = measure([exe, "-C", str(project), "plan"])
        add_journal(project)
        journal_s, journal_mib = measure([exe, "-C", str(project), "plan"])
        version_s, version_mib = measure([exe, "--version"])
        floor_s, floor_mib = measure([sys.executable, "-c", "pass"])
        print(f"plan over {N} applied servers, median of 15 runs ({sys.executable}):")
        print(row("mcpstate plan (200 servers, no changes)", plan_s, 0.07, "s"))
        print(row("  the same with a 100,000-line journal", journal_s, plan_s * 1.1, "s"))
        print(row("mcpstate plan peak RSS", plan_mib, 40, "MiB"))
        print(row("mcpstate --version", version_s, 0.05, "s"))
        print(f"{'for scale: python -c pass':<44} {floor_s:>9.3f} s     ({floor_mib:.1f} MiB)")
        print(f"{'mcpstate --version peak RSS':<44} {version_mib:>9.1f} MiB")
    finally:
        shutil.rmtree(project)


if __name__ == "__main__":
    main()
