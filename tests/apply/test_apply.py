"""apply against the fixture world: real npm and pip installs, real MCP servers."""

from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import sys

import pytest

from mcpstate.state.journal import open_transactions, read_journal
from mcpstate.state.layout import StateDir
from testing.catalogue import NPM_TAMPERED, NPM_VERSIONS
from testing.pytest_plugin import Project
from tests.applyhelp import assert_invariant, journal_events, lockfile, probe_entry, read_json

pytestmark = pytest.mark.slow

OTHER_KEYS = {"theme": "dark", "mcpServers": {"zeta": {"command": "their-server", "args": ["x"]}},
              "zz_last": [1, 2, 3]}


def sha(path) -> str:  # type: ignore[no-untyped-def]
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_fresh_apply_creates_entries_that_launch(project) -> None:  # type: ignore[no-untyped-def]
    project.write(".mcp.json", json.dumps(OTHER_KEYS, indent=2))
    project.write_lockfile(lockfile(npm="healthy", pypi="healthy"))
    result = project.run("apply", "--auto-approve", check=True)
    assert "Apply complete: 2 applied, 0 failed." in result.stdout
    doc = read_json(project.path / ".mcp.json")
    assert list(doc) == ["theme", "mcpServers", "zz_last"]  # other keys kept, in order
    assert list(doc["mcpServers"]) == ["zeta", "app", "py"]
    assert doc["mcpServers"]["zeta"] == OTHER_KEYS["mcpServers"]["zeta"]
    assert doc["zz_last"] == [1, 2, 3]
    for name in ("app", "py"):
        report = probe_entry(doc["mcpServers"][name])
        assert report.passed, report.failures
    assert doc["mcpServers"]["app"]["args"] == ["--flag"]
    state = read_json(project.path / ".mcpstate" / "state.json")
    assert state["servers"]["app"]["revision"] == 1 and state["serial"] == 2
    assert state["servers"]["app"]["integrity"].startswith("sha512-")
    assert state["servers"]["py"]["integrity"].startswith("sha256:")
    assert os.stat(project.path / ".mcpstate" / "state.json").st_mode & 0o777 == 0o600
    project.run("plan", "--detailed-exitcode", check=0)


def test_upgrade_history_and_rollback(project) -> None:  # type: ignore[no-untyped-def]
    project.write_lockfile(lockfile(npm="healthy"))
    project.run("apply", "--auto-approve", check=True)
    project.write_lockfile(lockfile(npm="add_tool"))
    project.run("apply", "--auto-approve", check=True)
    state = read_json(project.path / ".mcpstate" / "state.json")
    assert state["servers"]["app"]["revision"] == 2
    assert state["servers"]["app"]["version"] == NPM_VERSIONS["add_tool"]
    rows = json.loads(project.run("history", "app", "--format", "json", check=True).stdout)["revisions"]
    assert [(r["revision"], r["status"]) for r in rows] == [(1, "superseded"), (2, "deployed")]
    back = project.run("rollback", "app", check=True)
    assert "Rolled back to 1 (revision 3)" in back.stdout
    assert "lockfile still pins app at 1.1.0" in back.stdout
    state = read_json(project.path / ".mcpstate" / "state.json")
    assert (state["servers"]["app"]["revision"], state["servers"]["app"]["version"]) == (3, "1.0.0")
    entry = read_json(project.path / ".mcp.json")["mcpServers"]["app"]
    assert "@1.0.0/" in entry["command"]
    assert journal_events(project.path / ".mcpstate", "app")[-1] == "committed"
    project.run("plan", "--detailed-exitcode", check=2)  # the lockfile still says 1.1.0


@pytest.mark.parametrize("behaviour, reason", [
    ("crash", "exited with code 1"),
    ("hang", "no answer to the handshake"),
    ("garbage", "non-JSON"),
    ("remove_tool", "removed"),
])
def test_broken_version_fails_and_leaves_targets_untouched(project, behaviour: str, reason: str) -> None:  # type: ignore[no-untyped-def]
    project.write(".mcp.json", json.dumps(OTHER_KEYS, indent=2))
    project.write_lockfile(lockfile(npm="healthy", pypi="healthy"))
    project.run("apply", "--auto-approve", check=True)
    before = (project.path / ".mcp.json").read_bytes()
    project.write_lockfile(lockfile(npm=behaviour, pypi="add_tool"))
    result = project.run("apply", "--auto-approve", "--parallelism", "2")
    assert result.returncode == 1
    assert "app: failed at testing" in result.stdout and reason in result.stdout
    assert "Revision 1 (1.0.0) is still live." in result.stdout
    doc = read_json(project.path / ".mcp.json")
    state = read_json(project.path / ".mcpstate" / "state.json")
    assert state["servers"]["py"]["revision"] == 2  # the other server converged
    assert doc["mcpServers"]["app"] == json.loads(before)["mcpServers"]["app"]
    events = journal_events(project.path / ".mcpstate", "app")
    assert events[-1] == "failed" and "swapping" not in events[events.index("started", 2):]
    assert_invariant(project.path)


def test_failure_after_swap_rolls_back_byte_for_byte(project) -> None:  # type: ignore[no-untyped-def]
    project.write(".mcp.json", json.dumps(OTHER_KEYS, indent=2))
    project.write_lockfile(lockfile(npm="healthy"))
    project.run("apply", "--auto-approve", check=True)
    before = (project.path / ".mcp.json").read_bytes()
    project.write_lockfile(lockfile(npm="second_start_fails"))
    result = project.run("apply", "--auto-approve")
    assert result.returncode == 1 and "failed at checked" in result.stdout and "Rolled back" in result.stdout
    assert (project.path / ".mcp.json").read_bytes() == before
    events = journal_events(project.path / ".mcpstate", "app")
    assert events[-4:] == ["swapping", "swapped", "rolling_back", "rolled_back"]


def test_integrity_mismatch_is_refused_before_any_swap(project) -> None:  # type: ignore[no-untyped-def]
    project.write_lockfile(lockfile(npm="healthy"))
    project.run("apply", "--auto-approve", check=True)
    before = (project.path / ".mcp.json").read_bytes()
    wrong = "sha512-" + "A" * 86 + "=="
    project.write_lockfile(lockfile(npm="add_tool").replace("    args:", f"    integrity: {wrong}\n    args:"))
    result = project.run("apply", "--auto-approve")
    assert result.returncode == 1 and "integrity mismatch" in result.stdout
    assert (project.path / ".mcp.json").read_bytes() == before
    assert "swapping" not in journal_events(project.path / ".mcpstate", "app")[-4:]


def test_registry_serving_a_wrong_integrity_is_refused(project) -> None:  # type: ignore[no-untyped-def]
    project.write_lockfile(f"version: 1\nservers:\n  t:\n    source: npm\n    package: \"{NPM_TAMPERED}\"\n"
                           "    version: 1.0.0\n")
    result = project.run("apply", "--auto-approve")
    assert result.returncode == 1 and "failed at staging" in result.stdout
    assert "EINTEGRITY" in result.stdout or "integrity" in result.stdout.lower()
    assert not (project.path / ".mcp.json").exists()


def test_stale_saved_plans_are_refused(project) -> None:  # type: ignore[no-untyped-def]
    project.write_lockfile(lockfile(npm="healthy"))
    project.run("plan", "-o", "plan.json", check=True)
    project.write(".mcp.json", '{"mcpServers": {"app": {"command": "y"}}}')  # an entry the plan governs
    result = project.run("apply", "plan.json")
    assert result.returncode == 1 and "Saved plan is stale: .mcp.json was edited" in result.stderr
    assert "app: create in the saved plan, import now" in result.stderr
    project.run("plan", "-o", "plan.json", check=True)
    project.write_lockfile(lockfile(npm="add_tool"))
    result = project.run("apply", "plan.json")
    assert "mcpstate.lock.yaml was edited" in result.stderr
    project.write_lockfile(lockfile(npm="healthy"))
    project.run("plan", "-o", "plan.json", check=True)
    project.run("apply", "--auto-approve", check=True)  # the state moves on
    result = project.run("apply", "plan.json")
    assert result.returncode == 1 and "the state changed" in result.stderr


def test_saved_plan_applies_without_prompt(project) -> None:  # type: ignore[no-untyped-def]
    project.write_lockfile(lockfile(npm="healthy"))
    project.run("plan", "-o", "plan.json", check=True)
    result = project.run("apply", "plan.json", check=True)
    assert "Apply complete: 1 applied" in result.stdout


def test_no_tty_and_no_auto_approve_refuses(project) -> None:  # type: ignore[no-untyped-def]
    project.write_lockfile(lockfile(npm="healthy"))
    result = project.run("apply")
    assert result.returncode == 1 and "--auto-approve" in result.stderr
    assert not (project.path / ".mcp.json").exists()


def test_unresolved_secret_fails_before_swap(project) -> None:  # type: ignore[no-untyped-def]
    project.write_lockfile(lockfile(npm="healthy").replace("    args: [--flag]\n",
                                                           "    env: {API_TOKEN: '${FIXTURE_API_TOKEN}'}\n"))
    result = project.run("apply", "--auto-approve")
    assert result.returncode == 1 and "FIXTURE_API_TOKEN is not set" in result.stdout
    assert not (project.path / ".mcp.json").exists()
    env = {**project.env, "FIXTURE_API_TOKEN": "s3cr3t-value"}
    proc = subprocess.run([sys.executable, "-m", "mcpstate", "-C", str(project.path), "apply", "--auto-approve"],
                          env=env, capture_output=True, text=True, stdin=subprocess.DEVNULL)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    written = (project.path / ".mcp.json").read_text()
    assert "${FIXTURE_API_TOKEN}" in written and "s3cr3t-value" not in written
    for path in (project.path / ".mcpstate").rglob("*.json*"):
        assert "s3cr3t-value" not in path.read_text(errors="replace"), path


def test_protected_server_needs_allow_protected_and_delete(project) -> None:  # type: ignore[no-untyped-def]
    project.write_lockfile(lockfile(npm="healthy").replace("    args:", "    protected: true\n    args:"))
    project.run("apply", "--auto-approve", check=True)
    project.write_lockfile("version: 1\nservers: {}\n")
    plan = project.run("plan", check=True)
    assert "- app" in plan.stdout and "--allow-protected app" in plan.stdout
    refused = project.run("apply", "--auto-approve")
    assert refused.returncode == 1 and "protected" in refused.stdout
    assert "app" in read_json(project.path / ".mcp.json")["mcpServers"]
    project.run("apply", "--auto-approve", "--allow-protected", "app", check=True)
    assert "app" not in read_json(project.path / ".mcp.json")["mcpServers"]
    project.run("plan", "--detailed-exitcode", check=0)


def test_second_apply_waits_then_names_the_holder(project) -> None:  # type: ignore[no-untyped-def]
    project.write_lockfile(lockfile(npm="slow_start"))
    first = subprocess.Popen([sys.executable, "-m", "mcpstate", "-C", str(project.path), "apply",
                              "--auto-approve"], env=project.env, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True, stdin=subprocess.DEVNULL)
    try:
        lock_json = project.path / ".mcpstate" / "lock.json"
        _wait_for(lambda: lock_json.exists() and lock_json.read_text().strip().endswith("}"))
        second = project.run("apply", "--auto-approve", "--lock-timeout", "1s")
        assert second.returncode == 1
        holder = json.loads(lock_json.read_text())
        assert holder["ID"] in second.stderr and "held by apply" in second.stderr
    finally:
        first.communicate(timeout=60)
    assert first.returncode in (0, 1)
    assert_invariant(project.path)


def _wait_for(condition, timeout: float = 30) -> None:  # type: ignore[no-untyped-def]
    import time

    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition never became true"
        time.sleep(0.02)


EVENTS = ["started", "staging", "staged", "verified", "testing", "tested", "swapping", "swapped",
          "checked", "committed"]


def test_sigkill_at_every_journal_event_recovers(project: Project) -> None:
    project.write(".mcp.json", json.dumps(OTHER_KEYS, indent=2))
    project.write_lockfile(lockfile(npm="healthy", on_breaking="warn"))
    project.run("apply", "--auto-approve", check=True)
    state_dir, target = project.path / ".mcpstate", project.path / ".mcp.json"
    versions = ["add_tool", "healthy"]
    for i, event in enumerate(EVENTS):
        committed_lockfile, committed_bytes = project.read(Project.LOCKFILE), target.read_bytes()
        wanted = lockfile(npm=versions[i % 2], on_breaking="warn")
        project.write_lockfile(wanted)
        killed_tx = _apply_killed_at(project, event)
        assert_invariant(project.path)
        if event == "committed":
            _assert_nothing_to_recover(project, killed_tx)
        else:
            _assert_recovery_restores(project, event, killed_tx, committed_lockfile, committed_bytes)
        project.write_lockfile(wanted)
        project.run("apply", "--auto-approve", check=True)  # the interrupted change goes in now
        assert_invariant(project.path)
        assert read_json(state_dir / "state.json")["servers"]["app"]["version"] == NPM_VERSIONS[versions[i % 2]]
        project.run("plan", "--detailed-exitcode", check=0)
        doc = read_json(target)
        assert doc["mcpServers"]["zeta"] == OTHER_KEYS["mcpServers"]["zeta"] and doc["theme"] == "dark"
        assert open_transactions(read_journal(StateDir(state_dir)).records) == {}


def _apply_killed_at(project: Project, event: str) -> str:
    """Run apply with the crash seam at `event`; return the killed transaction's id."""
    env = {**project.env, "MCPSTATE_TEST_CRASH_AT": event}
    proc = subprocess.run([sys.executable, "-m", "mcpstate", "-C", str(project.path), "apply",
                           "--auto-approve"], env=env, capture_output=True, text=True,
                          stdin=subprocess.DEVNULL)
    assert proc.returncode == -signal.SIGKILL, (event, proc.stdout, proc.stderr)
    last = read_journal(StateDir(project.path / ".mcpstate")).records[-1]
    assert (last["server"], last["op"], last["event"]) == ("app", "apply", event)
    return str(last["tx"])


def _assert_recovery_restores(project: Project, event: str, killed_tx: str, committed_lockfile: str,
                              committed_bytes: bytes) -> None:
    """With the committed lockfile back, apply has nothing to do but recover: the
    journal must say `recovered` for the killed transaction and start nothing new, and
    the target must be the committed revision's bytes again."""
    state_dir, target = project.path / ".mcpstate", project.path / ".mcp.json"
    (open_tx,) = open_transactions(read_journal(StateDir(state_dir)).records).values()
    assert (open_tx.tx, open_tx.server, open_tx.last_event) == (killed_tx, "app", event)
    swapped_in = event in ("swapped", "checked")  # the new entry is in the file: recovery must undo it
    assert (target.read_bytes() != committed_bytes) == swapped_in, event
    journal_before = StateDir(state_dir).journal.read_bytes()
    plan = project.run("plan", check=True)
    assert "recover" in plan.stdout, (event, plan.stdout)
    assert StateDir(state_dir).journal.read_bytes() == journal_before  # plan only reads
    seq = read_journal(StateDir(state_dir)).records[-1]["seq"]
    project.write_lockfile(committed_lockfile)
    project.run("apply", "--auto-approve", check=True)
    new = [r for r in read_journal(StateDir(state_dir)).records if r["seq"] > seq]
    assert [(r["tx"], r["op"], r["server"], r["event"]) for r in new] == [
        (killed_tx, "recover", "app", "recovered")], (event, new)  # and no new transaction
    assert new[0]["detail"]["interrupted_at"] == event
    assert target.read_bytes() == committed_bytes, event


def _assert_nothing_to_recover(project: Project, killed_tx: str) -> None:
    """Killed after `committed` was durable: the transaction is closed and the new
    revision is the committed one; apply finds nothing to recover and nothing to do."""
    state_dir = project.path / ".mcpstate"
    assert open_transactions(read_journal(StateDir(state_dir)).records) == {}
    assert read_json(state_dir / "state.json")["servers"]["app"]["tx"] == killed_tx
    project.run("plan", "--detailed-exitcode", check=0)
    journal_before = StateDir(state_dir).journal.read_bytes()
    project.run("apply", "--auto-approve", check=True)
    assert StateDir(state_dir).journal.read_bytes() == journal_before
