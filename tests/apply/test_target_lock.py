"""The target lock (DESIGN §7): every read-modify-write of a target file holds
`MCPSTATE_HOME/locks/<sha256 of its real path>.lock`, whichever project or state dir
does it, so two applies on one client file never lose each other's entries."""

from __future__ import annotations

import json
import threading
from pathlib import Path

from mcpstate.apply.transaction import Env, Job, prepare, switch
from mcpstate.home import DataDir
from mcpstate.model import ServerSpec, Target
from mcpstate.stamps import who
from mcpstate.state.file import load_state
from mcpstate.state.journal import open_journal
from mcpstate.state.layout import StateDir
from tests.apply.test_core import Probe, write_report

TARGET = Target("claude-code", ".mcp.json")
ROUNDS = 20


def apply_servers(project: Path, state_dir: StateDir, prefix: str, start: threading.Barrier) -> None:
    """ROUNDS applies from one state dir, each adding one server to the shared target."""
    state_dir.create()
    journal = open_journal(state_dir, who())
    env = Env(project, state_dir, DataDir.from_environ(), (TARGET,), {}, journal, {}, Probe(), write_report, say=lambda _: None)
    start.wait()
    try:
        for i in range(ROUNDS):
            job = Job(f"{prefix}{i}", "create", ServerSpec(f"{prefix}{i}", "command", command=f"/bin/{prefix}{i}"),
                      None)
            prepare(job, env)
            switch(job, env, load_state(state_dir))
            assert job.failure is None, job.failure
    finally:
        journal.close()


def test_two_state_dirs_applying_to_one_target_lose_no_entry(tmp_path: Path) -> None:
    (tmp_path / ".mcp.json").write_text(json.dumps({"mcpServers": {"theirs": {"command": "x"}}}))
    start = threading.Barrier(2)
    errors: list[BaseException] = []

    def run(prefix: str, state: str) -> None:
        try:
            apply_servers(tmp_path, StateDir(tmp_path / state), prefix, start)
        except BaseException as e:  # reported below, with the file's end state
            errors.append(e)

    threads = [threading.Thread(target=run, args=args) for args in (("a", ".state-a"), ("b", ".state-b"))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    entries = json.loads((tmp_path / ".mcp.json").read_text())["mcpServers"]
    expected = {"theirs"} | {f"{p}{i}" for p in "ab" for i in range(ROUNDS)}
    assert set(entries) == expected, f"lost: {sorted(expected - set(entries))}; {errors}"
    assert not errors, errors
    for prefix, state in (("a", ".state-a"), ("b", ".state-b")):
        assert set(load_state(StateDir(tmp_path / state)).servers) == {f"{prefix}{i}" for i in range(ROUNDS)}


def test_the_lock_is_named_by_the_real_path(tmp_path: Path) -> None:
    real = tmp_path / "real.json"
    (tmp_path / "link.json").symlink_to(real)
    home = DataDir(tmp_path / "home")
    assert home.target_lock(tmp_path / "link.json") == home.target_lock(real)
    assert home.target_lock(real).parent == home.locks and home.target_lock(real).suffix == ".lock"
    assert home.target_lock(real) != home.target_lock(tmp_path / "other.json")
