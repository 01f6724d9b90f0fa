"""`mcpstate plan` over 200 servers that are all applied, and `mcpstate --version`.

Budgets (DESIGN §15, in a virtualenv on 2 cores): plan under 0.07 s and 40 MiB, and
within 10% of that with a 100,000-line journal; --version under 0.05 s. Each command runs
in turns with its references (`python -c pass`, and `terraform plan` over 200
terraform_data resources when terraform is on PATH), so they meet the same load; the
figure judged is the minimum over the runs, the median printed beside it. Prints
figures; not a test.

The project is as an apply leaves it: state, store entries, the state dir's marker and
the lockfile's checked document (lockfile/checked.py). `plan` on a lockfile edited since
the last apply checks it in full: that figure is printed too, with no budget."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import os
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.common import TERRAFORM_PLAN, Figures, side_by_side, terraform_project  # noqa: E402
from mcpstate.home import DataDir  # noqa: E402
from mcpstate.state.journal import encode_record  # noqa: E402
from mcpstate.state.layout import MARKER, MARKER_TEXT  # noqa: E402
from mcpstate.targets.jsonfile import entry_sha256  # noqa: E402

N = 200
JOURNAL_LINES = 100_000


def build(project: Path, home: Path) -> None:
    """200 servers as apply leaves them, their entries in the shared store at `home`."""
    state_dir = project / ".mcpstate"
    state_dir.mkdir()
    DataDir(home).create()
    lines = ["version: 1", "servers:"]
    entries, servers = {}, {}
    for i in range(N):
        name, version = f"server-{i:03d}", f"1.{i}.0"
        store = home / "store" / "npm" / f"@bench+pkg-{i}@{version}"
        store.mkdir(parents=True, exist_ok=True)  # three projects share one store
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
    (state_dir / MARKER).write_bytes(MARKER_TEXT)  # as apply leaves it: the folder is mcpstate's


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


# run by the installed mcpstate (not this checkout's): its files are what the entry names
_KEEP = ("import sys\nfrom pathlib import Path\nfrom mcpstate.fsutil import sha256_bytes\n"
         "from mcpstate.lockfile.checked import keep\nfrom mcpstate.state.layout import StateDir\n"
         "project = Path(sys.argv[1])\nlockfile = project / 'mcpstate.lock.yaml'\n"
         "keep(lockfile, StateDir(project / '.mcpstate'), sha256_bytes(lockfile.read_bytes()))\n")


def keep_checked(project: Path) -> None:
    """What apply does once it has changed something: keep the lockfile's checked document."""
    subprocess.run([sys.executable, "-I", "-c", _KEEP, str(project)], cwd=project, check=True)
    if not (project / ".mcpstate" / "lockfile-check.json").is_file():
        raise SystemExit("the lockfile's checked document was not kept")


def plan_figures(runs: int) -> dict[str, Figures]:
    """plan (as apply left the project; with a 100,000-line journal; with a lockfile
    edited since), --version, and the references, `runs` times each, in turns."""
    exe = str(Path(sys.executable).parent / "mcpstate")
    root = Path(tempfile.mkdtemp(prefix="mcpstate-bench-plan-"))
    os.environ["MCPSTATE_HOME"] = str(root / "data")  # the shared store, for this run and its children
    try:
        projects = {name: root / name for name in ("applied", "journal", "edited")}
        for name, project in projects.items():
            project.mkdir()
            build(project, root / "data")
            if name != "edited":
                keep_checked(project)
        add_journal(projects["journal"])
        for name, project in projects.items():  # what is measured is a plan with nothing to do
            done = subprocess.run([exe, "-C", str(project), "plan", "--detailed-exitcode"], capture_output=True,
                                  text=True)
            if done.returncode != 0:
                raise SystemExit(f"the {name} project's plan is not empty:\n{done.stdout}{done.stderr}")
        with terraform_project() as tf:
            cmds = {name: ([exe, "-C", str(project), "plan"], None) for name, project in projects.items()}
            cmds |= {"version": ([exe, "--version"], None), "python": ([sys.executable, "-c", "pass"], None)}
            if tf is not None:
                cmds["terraform"] = (TERRAFORM_PLAN, str(tf))
            side_by_side(cmds, 1)  # warm the page cache
            return side_by_side(cmds, runs)
    finally:
        shutil.rmtree(root)


def main() -> None:
    runs = 15
    f = plan_figures(runs)
    plan = f["applied"]
    print(f"plan over {N} applied servers; min and median of {runs} runs in turns ({sys.executable}):")
    print(f"{'':<44} {'min':>9} {'median':>9}")
    print(row("mcpstate plan (200 servers, no changes)", plan, 0.07, "s"))
    print(row("  the same with a 100,000-line journal", f["journal"], plan.min * 1.1, "s"))
    print(f"{'    journal / without':<44} {f['journal'].min / plan.min - 1:>+9.1%} "
          f"{f['journal'].median / plan.median - 1:>+9.1%}   budget +10%")
    print(row("  lockfile edited since the last apply", f["edited"], None, "s"))
    print(f"{'mcpstate plan peak RSS':<44} {plan.mib:>9.1f} MiB      budget 40 MiB "
          f"{'ok' if plan.mib <= 40 else 'OVER'}")
    print(row("mcpstate --version", f["version"], 0.05, "s"))
    print(row("for scale: python -c pass", f["python"], None, "s"))
    if "terraform" in f:
        tf = f["terraform"]
        print(row("terraform plan (200 terraform_data)", tf, None, "s"))
        print(f"{'  plan / terraform plan':<44} {plan.min / tf.min:>9.2f} {plan.median / tf.median:>9.2f}")
    else:
        print("terraform not on PATH: no ratio to terraform plan")


def row(name: str, fig: Figures, budget: float | None, unit: str) -> str:
    text = f"{name:<44} {fig.min:>9.3f} {fig.median:>9.3f} {unit:<4}"
    if budget is None:
        return text
    return f"{text} budget {budget:.3g} {unit:<2} {'ok' if fig.min <= budget else 'OVER'}"


if __name__ == "__main__":
    main()
