"""The transaction with `test: {skip: true}` and with a server that asks for a sign-in,
in-process: the probe seam is never called for the first; the second's unknown surface
does not replace the reviewed tools."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from mcpstate.home import DataDir
from mcpstate.apply.transaction import Env, Job, prepare, switch
from mcpstate.model import NOT_TESTED, AppliedServer, Launch, ServerSpec, State, TestSpec
from mcpstate.probe.report import Report
from mcpstate.stamps import who
from mcpstate.state.file import load_state
from mcpstate.state.journal import open_journal, read_journal
from mcpstate.state.layout import StateDir
from tests.apply.test_core import BEFORE, TARGET, write_report

REVIEWED = ({"name": "echo", "description": "Echo the text back."},)
REVIEWED_DIGEST = "sha256-" + "0" * 64
SIGN_IN = "authorization required (401, WWW-Authenticate: Bearer resource_metadata=\"x\"): ..."


class Recorder:
    def __init__(self, report: Report) -> None:
        self.report, self.calls = report, 0

    def __call__(self, launch: Launch, spec: TestSpec, previous: Sequence[Mapping[str, Any]] | None) -> Report:
        self.calls += 1
        return self.report


def run(tmp_path: Path, probe: Recorder, test: TestSpec, applied: AppliedServer | None = None
        ) -> tuple[Job, State, list[dict[str, Any]]]:
    (tmp_path / ".mcp.json").write_bytes(BEFORE)
    state_dir = StateDir(tmp_path / ".mcpstate").create()
    journal = open_journal(state_dir, who())
    env = Env(tmp_path, state_dir, DataDir.from_environ(), (TARGET,), {}, journal, {}, probe, write_report, say=lambda _: None)
    spec = ServerSpec("app", "command", command="/bin/false", test=test)
    job = Job("app", "update" if applied else "create", spec, applied)
    try:
        prepare(job, env)
        state = switch(job, env, load_state(state_dir)) if job.failure is None else load_state(state_dir)
    finally:
        journal.close()
    return job, state, read_journal(state_dir).records


def test_skip_never_calls_the_probe_and_the_journal_says_not_tested(tmp_path: Path) -> None:
    probe = Recorder(Report(passed=False, failures=("must not be asked",)))
    job, state, records = run(tmp_path, probe, TestSpec(skip=True))
    assert job.failure is None and probe.calls == 0 and state.servers["app"].revision == 1
    [tested] = [r for r in records if r["event"] == "tested"]
    assert tested["detail"]["not_tested"] is True and tested["detail"]["warnings"] == [NOT_TESTED]
    assert [r["event"] for r in records][-1] == "committed"
    assert job.warnings == (NOT_TESTED,)


def test_without_skip_the_same_probe_fails_it(tmp_path: Path) -> None:
    probe = Recorder(Report(passed=False, failures=("server exited with code 1",)))
    job, _, _ = run(tmp_path, probe, TestSpec())
    assert job.failure is not None and job.failure.step == "testing" and probe.calls == 1
    assert (tmp_path / ".mcp.json").read_bytes() == BEFORE


def test_sign_in_required_keeps_the_reviewed_tools_and_the_warning(tmp_path: Path) -> None:
    applied = AppliedServer(name="app", revision=1, source="command", package=None, version=None,
                            integrity=None, store_path=None, entries={}, config={}, protected=False,
                            tools=REVIEWED_DIGEST, applied_at="2026-01-01T00:00:00Z", previous=None,
                            tx="0" * 12, surface=REVIEWED)
    probe = Recorder(Report(passed=True, warnings=(SIGN_IN,), transport="http", auth_required=True))
    job, state, _ = run(tmp_path, probe, TestSpec(), applied)
    assert job.failure is None and probe.calls == 2  # before and after the swap
    assert state.servers["app"].surface == REVIEWED and state.servers["app"].tools == REVIEWED_DIGEST
    assert job.warnings == (SIGN_IN,)
