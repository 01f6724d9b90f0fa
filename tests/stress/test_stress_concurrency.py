"""Ten applies and four gcs at once on one project (DESIGN §7, §10): the lock makes them
take turns. Each succeeds, or waits and succeeds, or fails cleanly with exit 1 naming
the holder; none exits 3; the journal loses and tears no line, its transactions never
interleave, the committed serials strictly increase, and the invariant holds."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

from mcpstate.state.journal import open_transactions
from testing.catalogue import NPM_SERVER, NPM_VERSIONS
from testing.pytest_plugin import Project
from tests.stress.stresshelp import (LOG, STATE_DIR, assert_invariant_all, cli, journal_records,
                                     lockfile_text, spawn, wait_until)

APPLIES, GCS = 10, 4
VERSIONS = (NPM_VERSIONS["healthy"], NPM_VERSIONS["add_tool"])
HELD = re.compile(r"error: the state lock is held by (apply|gc) ([0-9a-f-]{36}) \(.*pid (\d+)")


def variant(i: int, version: str | None = None) -> str:
    """Each apply's own lockfile: a different version or args, so each has work to do."""
    server = {"package": NPM_SERVER, "version": version or VERSIONS[i % 2], "args": [f"--run={i}"]}
    return lockfile_text({"app": server})


def test_concurrent_applies_and_gcs_take_turns(stress_project: Project, tmp_path: Path) -> None:
    project = stress_project
    # Both versions' store entries exist, so the contenders' turns are short; and a third,
    # superseded one gives the gcs something to remove.
    warm_up = {"lock-old.yaml": variant(-1, NPM_VERSIONS["chatty"]), "lock-1.yaml": variant(1),
               "lock-0.yaml": variant(0)}
    for name, text in warm_up.items():
        project.write(name, text)
        assert cli(project.path, "-f", name, "apply", "--auto-approve").code == 0
    # The first apply holds the lock ~3 s (a post-deploy watch window), so the others
    # really meet it held: those that may wait queue up, those that may not give up.
    project.write("lock-holder.yaml", variant(0).replace("on_breaking: warn", "on_breaking: warn, watch_s: 3, "
                                                          "watch_interval_s: 0.5").replace("--run=0", "--holder"))
    holder = spawn(project.path, project.env, "-f", "lock-holder.yaml", "apply", "--auto-approve",
                   log=tmp_path / "holder.log")
    lock_json = project.path / STATE_DIR / "lock.json"
    wait_until(lambda: lock_json.exists() and f'"pid": {holder.pid}' in lock_json.read_text(),
               what="the first apply holding the lock")
    holder_id = json.loads(lock_json.read_text())["ID"]
    runs = [("apply", i, "0s" if i % 2 else "60s") for i in range(2, APPLIES + 1)]
    runs += [("gc", i, "0s" if i % 2 else "60s") for i in range(GCS)]
    contenders: dict[str, subprocess.Popen[bytes]] = {}
    for i in range(2, APPLIES + 1):
        project.write(f"lock-{i}.yaml", variant(i))
    for verb, i, wait in sorted(runs, key=lambda run: run[2]):  # those that must not wait start first
        args = ("-f", f"lock-{i}.yaml", "apply", "--auto-approve") if verb == "apply" else \
            ("-f", "lock-0.yaml", "gc", "--keep", "0")  # gc reads the lockfile's retention only
        contenders[f"{verb}-{i}-wait-{wait}"] = spawn(project.path, project.env, *args, "--lock-timeout", wait,
                                                      log=tmp_path / f"{verb}-{i}.log")
    assert holder.wait(timeout=120) == 0, (tmp_path / "holder.log").read_text()
    outcomes = {name: (proc.wait(timeout=120), (tmp_path / f"{name.rsplit('-wait', 1)[0]}.log").read_text())
                for name, proc in contenders.items()}
    print({name: code for name, (code, _) in outcomes.items()})

    turned_away = []
    for name, (code, output) in outcomes.items():
        assert code in (0, 1), f"{name} exited {code}:\n{output}"
        if code == 1:
            held = HELD.search(output)
            assert held and "mcpstate force-unlock" in output, f"{name} failed, not on the lock:\n{output}"
            turned_away.append(held.group(2))
        if name.endswith("wait-60s"):
            assert code == 0, f"{name} should have waited its turn:\n{output}"
    assert holder_id in turned_away  # the named holder is the real one, ID and all
    waiters = [name for name in outcomes if name.endswith("wait-60s")]
    assert sum(code == 0 for code, _ in outcomes.values()) >= len(waiters)
    assert not (project.path / LOG).exists()

    records = journal_records(project.path / STATE_DIR)  # every line whole, its CRC right, seq +1
    order = [r["tx"] for r in records]
    blocks = [tx for i, tx in enumerate(order) if i == 0 or order[i - 1] != tx]
    assert len(blocks) == len(set(blocks)), "two transactions' journal lines interleave"
    serials = [r["detail"]["serial"] for r in records if r["event"] == "committed" and r["op"] == "apply"]
    applied = 3 + 1 + sum(name.startswith("apply") for name in waiters)  # at least: warm-up, holder, waiters
    assert serials == sorted(set(serials)) and len(serials) >= applied, serials
    assert open_transactions(records) == {}
    removed = [r for r in records if r["op"] == "gc" and r["event"] == "committed"]
    assert removed and not any(project.store.rglob(f"*@{NPM_VERSIONS['chatty']}"))
    state = json.loads((project.path / STATE_DIR / "state.json").read_text())
    assert state["serial"] == serials[-1]
    assert_invariant_all(project.path)
