"""The transaction, swap and recovery in-process, in seconds: a `command` server, a probe
given as a callable, real files in tmp_path. Failure injected one seam at a time; after
each, the target is byte-for-byte what the committed revision wrote, and the journal
tells the story."""

from __future__ import annotations

import json
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pytest

from mcpstate.home import DataDir
from mcpstate.apply.recovery import recover
from mcpstate.apply.swap import restore_entries, swap_entries
from mcpstate.apply.transaction import Env, Job, prepare, switch
from mcpstate.errors import StateError
from mcpstate.model import Launch, ServerSpec, State, Target, TestSpec
from mcpstate.probe.report import Report
from mcpstate.stamps import who
from mcpstate.state.file import load_state
from mcpstate.state.journal import open_journal, open_transactions, read_journal
from mcpstate.state.layout import StateDir

TARGET = Target("claude-code", ".mcp.json")
BEFORE = b'{\n  "theme": "dark",\n  "mcpServers": {\n    "theirs": {"command": "x"}\n  }\n}\n'


class Probe:
    """A probe that passes, or fails from its `fail_from`-th call on (1-based)."""

    def __init__(self, fail_from: int | None = None) -> None:
        self.calls = 0
        self.fail_from = fail_from

    def __call__(self, launch: Launch, spec: TestSpec, previous: Sequence[Mapping[str, Any]] | None) -> Report:
        self.calls += 1
        if self.fail_from is not None and self.calls >= self.fail_from:
            return Report(passed=False, failures=("server exited with code 1",))
        return Report(passed=True)


def write_report(report: Report, folder: Path, server: str, version: str) -> Path:
    return folder / f"{server}-{version}.json"  # not written: these tests are about targets


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / ".mcp.json").write_bytes(BEFORE)
    return tmp_path


def run_one(project: Path, probe: Probe, command: str = "/bin/true") -> tuple[Job, State, StateDir]:
    state_dir = StateDir(project / ".mcpstate").create()
    journal = open_journal(state_dir, who())
    env = Env(project, state_dir, DataDir.from_environ(), (TARGET,), {}, journal, {}, probe, write_report, say=lambda _: None)
    job = Job("app", "create", ServerSpec("app", "command", command=command), None)
    try:
        prepare(job, env)
        state = switch(job, env, load_state(state_dir)) if job.failure is None else load_state(state_dir)
    finally:
        journal.close()
    return job, state, state_dir


def events(state_dir: StateDir) -> list[str]:
    return [r["event"] for r in read_journal(state_dir).records]


def test_a_passing_server_is_swapped_in_and_committed(project: Path) -> None:
    job, state, state_dir = run_one(project, Probe())
    assert job.failure is None and state.servers["app"].revision == 1
    doc = json.loads((project / ".mcp.json").read_text())
    assert doc["mcpServers"]["app"]["command"] == "/bin/true" and doc["mcpServers"]["theirs"] == {"command": "x"}
    assert events(state_dir) == ["started", "verified", "testing", "tested", "swapping", "swapped",
                                 "checked", "committed"]
    assert not state_dir.txn_dir(job.tx).exists()  # pre-images discarded after commit


def test_a_failed_test_leaves_the_target_untouched(project: Path) -> None:
    job, state, state_dir = run_one(project, Probe(fail_from=1))
    assert job.failure is not None and job.failure.step == "testing"
    assert (project / ".mcp.json").read_bytes() == BEFORE
    assert events(state_dir)[-1] == "failed" and "swapping" not in events(state_dir)
    assert state.servers == {}


def test_a_failed_live_check_rolls_back_byte_for_byte(project: Path) -> None:
    job, state, state_dir = run_one(project, Probe(fail_from=2))  # passes the test, fails the check
    assert job.failure is not None and job.failure.step == "checked" and job.rolled_back
    assert (project / ".mcp.json").read_bytes() == BEFORE
    assert events(state_dir)[-2:] == ["rolling_back", "rolled_back"]
    assert load_state(state_dir).servers == {}


def test_a_full_disk_mid_swap_fails_the_server_and_rolls_back(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    real = os.replace
    calls = []

    def replace_once_then_fail(src: str, dst: str) -> None:
        calls.append(dst)
        if str(dst).endswith(".mcp.json") and len([c for c in calls if str(c).endswith(".mcp.json")]) == 1:
            raise OSError(28, "No space left on device")
        real(src, dst)

    monkeypatch.setattr("mcpstate.fsutil.os.replace", replace_once_then_fail)
    job, _, _ = run_one(project, Probe())
    assert job.failure is not None and "No space left on device (ENOSPC)" in str(job.failure)
    assert (project / ".mcp.json").read_bytes() == BEFORE
    assert events(StateDir(project / ".mcpstate"))[-2:] == ["rolling_back", "rolled_back"]


def test_recovery_restores_what_a_crash_left_swapped(project: Path) -> None:
    state_dir = StateDir(project / ".mcpstate").create()
    journal = open_journal(state_dir, who())
    tx = "0123456789ab"
    journal.append(tx, "apply", "app", "started")
    swap_entries(project, state_dir, tx, "app", {TARGET: {"command": "/bin/new"}})
    journal.append(tx, "apply", "app", "swapped")  # ...and then the process died
    assert b"/bin/new" in (project / ".mcp.json").read_bytes()
    lines = recover(project, state_dir, journal)
    journal.close()
    assert (project / ".mcp.json").read_bytes() == BEFORE
    assert lines and "recovered an interrupted apply" in lines[0]
    records = read_journal(state_dir).records
    assert (records[-1]["op"], records[-1]["event"]) == ("recover", "recovered")
    assert open_transactions(records) == {}


def test_restore_keeps_what_others_edited_since_the_swap(project: Path) -> None:
    state_dir = StateDir(project / ".mcpstate").create()
    swap_entries(project, state_dir, "0123456789ab", "app", {TARGET: {"command": "/bin/new"}})
    doc = json.loads((project / ".mcp.json").read_text())
    doc["theme"] = "light"  # someone edits the file after the swap
    (project / ".mcp.json").write_text(json.dumps(doc))
    assert restore_entries(project, state_dir, "0123456789ab", "app") == [".mcp.json"]
    after = json.loads((project / ".mcp.json").read_text())
    assert after["theme"] == "light" and "app" not in after["mcpServers"]


@pytest.mark.parametrize("tx", ["../../x", "0123456789AB", "0123456789ab\n", "abc", ""])
def test_a_transaction_id_that_is_not_12_hex_digits_is_corruption(project: Path, tx: str) -> None:
    state_dir = StateDir(project / ".mcpstate").create()
    with pytest.raises(StateError, match="not 12 lowercase hex digits"):
        restore_entries(project, state_dir, tx, "app")


def test_a_manifest_naming_a_file_outside_its_folder_is_corruption(project: Path) -> None:
    state_dir = StateDir(project / ".mcpstate").create()
    tx = "0123456789ab"
    swap_entries(project, state_dir, tx, "app", {TARGET: {"command": "/bin/new"}})
    manifest = state_dir.txn_dir(tx) / "manifest.json"
    doc = json.loads(manifest.read_text())
    doc[".mcp.json"]["file"] = "../../../.mcp.json"
    manifest.write_text(json.dumps(doc))
    with pytest.raises(StateError, match="points outside"):
        restore_entries(project, state_dir, tx, "app")


@pytest.mark.parametrize("source, old, new, word", [
    ("npm", "1.10.0", "1.9.0", "Downgraded"), ("npm", "1.9.0", "1.10.0", "Upgrade complete"),
    ("pypi", "2026.10.19", "2026.10.10", "Downgraded"), ("pypi", "1.0rc1", "1.0", "Upgrade complete")])
def test_a_version_change_says_which_way_it_went(source: str, old: str, new: str, word: str) -> None:
    from mcpstate.apply.jobs import jobs_for
    from mcpstate.model import Change, Lockfile, Plan

    spec = ServerSpec("app", source, package="p", version=new)
    change = Change("app", "update", "version", {"source": source, "version": old},
                    {"source": source, "version": new})
    lockfile = Lockfile("l", "", (TARGET,), {"app": spec})
    [job] = jobs_for(Plan((change,), (), 0), lockfile, State())
    assert job.description == f"{word}: {old} -> {new}"


def test_a_commit_records_where_plan_starts_reading_the_journal(project: Path) -> None:
    from mcpstate.plan.observe import observe
    from mcpstate.model import Lockfile

    job, state, state_dir = run_one(project, Probe())
    saved = load_state(state_dir)
    assert saved.journal.seq == read_journal(state_dir).records[-1]["seq"]  # the 'committed' line
    journal = open_journal(state_dir, who())
    journal.append("0123456789ab", "apply", "app", "started")  # a later apply dies here
    journal.close()
    observed = observe(project, Lockfile("l", "", (TARGET,), {}), state_dir).observed
    assert list(observed.open_transactions) == ["app"]
