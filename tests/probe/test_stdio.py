"""The health test against the real fixture servers over stdio (python and node):
passes, every failure kind, thresholds, the tool diff, and no process left behind."""

from __future__ import annotations

import json
import os
import re
import signal
import stat
import sys
import time
from pathlib import Path
from typing import Any, Iterator

import psutil
import pytest

from mcpstate.model import LoadSpec, SmokeCall, TestSpec
from mcpstate.probe import Launch, Report, probe, probe_many, render_report_text, write_report
from mcpstate.probe.surfacediff import Baseline

SERVERS = Path(__file__).resolve().parents[2] / "testing" / "servers"
RUNTIMES = {"python": (sys.executable, str(SERVERS / "fixture_server.py")),
            "node": ("node", str(SERVERS / "fixture_server.js"))}
QUICK = TestSpec(timeout_s=5)
ECHO = SmokeCall("echo", {"text": "hi"}, expect_contains="echo: hi")


def launch(behaviour: str = "healthy", runtime: str = "python", **env: str) -> Launch:
    command, script = RUNTIMES[runtime]
    return Launch(command=command, args=(script,), env={"MCP_FIXTURE_BEHAVIOUR": behaviour, **env})


def wrapped(tmp_path: Path, behaviour: str, before_exec: str = "") -> Launch:
    """The python fixture behind `sh`, which records its pid (the group id, as the probe
    starts a new session) and leaves a `sleep` child in the group: an orphan candidate."""
    script = (f"echo $$ > {tmp_path}/pgid; sleep 300 & echo $! > {tmp_path}/child; {before_exec}"
              f"exec {sys.executable} {SERVERS / 'fixture_server.py'}")
    return Launch(command="sh", args=("-c", script), env={"MCP_FIXTURE_BEHAVIOUR": behaviour})


def live_in_group(pgid: int) -> list[int]:
    """Live (not zombie) processes of the group; zombies are dead, only unreaped."""
    alive = []
    for proc in psutil.process_iter(["status"]):
        try:
            if os.getpgid(proc.pid) == pgid and proc.info["status"] != psutil.STATUS_ZOMBIE:
                alive.append(proc.pid)
        except (ProcessLookupError, psutil.Error):
            continue
    return alive


def assert_nothing_left(tmp_path: Path) -> None:
    pgid = int((tmp_path / "pgid").read_text())
    child = int((tmp_path / "child").read_text())
    assert live_in_group(pgid) == []
    assert not psutil.pid_exists(child) or psutil.Process(child).status() == psutil.STATUS_ZOMBIE


def only_failure(report: Report) -> str:
    assert not report.passed
    assert len(report.failures) == 1, report.failures
    assert "\n" not in report.failures[0]
    return report.failures[0]


# -- healthy servers -------------------------------------------------------------------

@pytest.mark.parametrize("runtime", RUNTIMES)
@pytest.mark.parametrize("behaviour, generation, version", [
    ("healthy", "modern", "2026-07-28"),
    ("modern_only", "modern", "2026-07-28"),
    ("legacy_only", "legacy", "2025-11-25"),
])
def test_healthy_servers_pass_and_name_their_protocol(runtime: str, behaviour: str, generation: str,
                                                      version: str) -> None:
    report = probe(launch(behaviour, runtime), TestSpec(timeout_s=5, smoke=(ECHO,)))
    assert report.passed, report.failures
    assert (report.generation, report.protocol_version) == (generation, version)
    assert report.server_info["name"] == "mcpstate-fixture"
    assert report.tool_names == ("add", "echo")
    assert report.smoke[0].passed and report.smoke[0].latency_ms is not None
    assert report.startup_ms is not None and 0 < report.startup_ms < report.duration_ms
    assert report.rss_mb is not None and report.rss_mb > 1


@pytest.mark.parametrize("runtime", RUNTIMES)
@pytest.mark.parametrize("behaviour", ["chatty", "legacy_only,chatty"])
def test_chatty_server_passes_and_its_requests_are_refused(runtime: str, behaviour: str) -> None:
    report = probe(launch(behaviour, runtime), TestSpec(timeout_s=5, smoke=(ECHO,)))
    assert report.passed, report.failures
    # The fixture logs the answer it got to each of its own requests.
    answered = re.compile(r"client answered .fixture-1. with error -32601")
    assert any(answered.search(line) for line in report.stderr_tail), report.stderr_tail


@pytest.mark.parametrize("runtime", RUNTIMES)
@pytest.mark.parametrize("behaviour", ["paginate", "legacy_only,paginate", "paginate,add_tool"])
def test_paginated_tool_list_is_read_to_the_end(runtime: str, behaviour: str) -> None:
    report = probe(launch(behaviour, runtime), QUICK)  # one tool a page
    assert report.passed, report.failures
    expected = ("add", "echo", "reverse") if "add_tool" in behaviour else ("add", "echo")
    assert report.tool_names == expected


@pytest.mark.parametrize("behaviour, generation", [("slow_start,slow_ms=1300", "modern"),
                                                   ("legacy_only,slow_start,slow_ms=1300", "legacy")])
def test_server_slower_than_the_discover_window_is_still_told_apart(behaviour: str, generation: str) -> None:
    # initialize is sent after 1 s of silence; the first answer (in order) decides.
    report = probe(launch(behaviour), QUICK)
    assert report.passed, report.failures
    assert report.generation == generation
    assert report.startup_ms is not None and report.startup_ms >= 1300


# -- failures --------------------------------------------------------------------------

def test_missing_command_fails_with_a_reason() -> None:
    report = probe(Launch(command="mcpstate-no-such-server"), QUICK)
    assert only_failure(report) == "could not start server: mcpstate-no-such-server: not found"
    assert report.generation is None


@pytest.mark.parametrize("runtime", RUNTIMES)
def test_crash_at_start_names_exit_code_and_last_stderr_line(runtime: str) -> None:
    failure = only_failure(probe(launch("crash", runtime), QUICK))
    assert failure.startswith("server exited with code 1 before answering the handshake")
    assert failure.endswith("crashing on purpose at start")


@pytest.mark.parametrize("runtime", RUNTIMES)
def test_non_json_line_on_stdout_fails(runtime: str) -> None:
    failure = only_failure(probe(launch("garbage", runtime), QUICK))
    assert failure == ("server wrote a non-JSON line on stdout: "
                       "'fixture server ready (this line is deliberately not JSON)'")


@pytest.mark.parametrize("runtime", RUNTIMES)
@pytest.mark.parametrize("generation", ["", "legacy_only,"])
def test_exit_right_after_the_handshake_fails(runtime: str, generation: str) -> None:
    report = probe(launch(f"{generation}exit_after_handshake", runtime), QUICK)
    failure = only_failure(report)
    assert failure.startswith("server exited with code 0 right after the handshake (during tools/list)")
    assert report.generation == (generation and "legacy" or "modern")


@pytest.mark.parametrize("behaviour", ["hang", "hang,ignore_sigterm"])
def test_hang_ends_within_timeout_plus_two_seconds(tmp_path: Path, behaviour: str) -> None:
    started = time.monotonic()
    report = probe(wrapped(tmp_path, behaviour), TestSpec(timeout_s=2))
    assert time.monotonic() - started < 2 + 2
    assert only_failure(report) == "no answer to the handshake within timeout_s 2 s (server hangs?)"
    assert_nothing_left(tmp_path)  # ignore_sigterm: only SIGKILL ends it


def test_memory_over_max_rss_fails() -> None:
    report = probe(launch("memory_hog,mb=80"), TestSpec(timeout_s=5, max_rss_mb=50))
    assert report.rss_mb is not None and report.rss_mb > 80
    assert only_failure(report) == f"process tree uses {report.rss_mb:g} MB RSS, over max_rss_mb 50"


def test_slow_start_over_max_startup_fails() -> None:
    report = probe(launch("slow_start,slow_ms=400"), TestSpec(timeout_s=5, max_startup_ms=300))
    assert report.startup_ms is not None and report.startup_ms >= 400
    assert only_failure(report) == f"startup took {report.startup_ms:.0f} ms, over max_startup_ms 300"


def test_each_probe_starts_a_fresh_process(tmp_path: Path) -> None:
    server = launch("second_start_fails", MCP_FIXTURE_COUNTER=str(tmp_path / "count"))
    assert probe(server, QUICK).passed
    assert only_failure(probe(server, QUICK)).startswith("server exited with code 1 before answering")


# -- tools, the diff and smoke calls -----------------------------------------------------

def policy_lines(report: Report, on_breaking: str) -> tuple[str, ...]:
    """Where on_breaking sends breaking changes; conformance warnings left out."""
    if on_breaking == "fail":
        return report.failures
    return tuple(w for w in report.warnings if "required by 2026-07-28" not in w)


def previous_tools() -> Baseline:
    return Baseline(probe(launch("healthy"), QUICK).surface)


@pytest.mark.parametrize("on_breaking", ["fail", "warn"])
def test_missing_required_tool_is_breaking(on_breaking: str) -> None:
    spec = TestSpec(timeout_s=5, required_tools=("add", "echo"), on_breaking=on_breaking)
    report = probe(launch("remove_tool"), spec)
    assert report.breaking
    assert policy_lines(report, on_breaking) == ("required tool missing: add",)
    assert report.passed is (on_breaking == "warn")


@pytest.mark.parametrize("on_breaking", ["fail", "warn"])
def test_removed_tool_against_the_current_revision(on_breaking: str) -> None:
    report = probe(launch("remove_tool", "node"), TestSpec(timeout_s=5, on_breaking=on_breaking), previous_tools())
    assert report.tool_diff.removed == ("add",) and report.breaking
    assert policy_lines(report, on_breaking) == ("tool removed since the current revision: add",)
    assert report.passed is (on_breaking == "warn")


@pytest.mark.parametrize("on_breaking", ["fail", "warn"])
def test_changed_input_schema_is_breaking_and_named(on_breaking: str) -> None:
    report = probe(launch("change_schema"), TestSpec(timeout_s=5, on_breaking=on_breaking), previous_tools())
    assert [c.tool for c in report.tool_diff.changed] == ["echo"] and report.breaking
    assert policy_lines(report, on_breaking) == ("echo: input property mode newly required",)
    assert report.passed is (on_breaking == "warn")


def test_schema_change_that_breaks_no_call_is_a_change_to_review() -> None:
    """As mcp 2's pydantic titles every property: real mcp-server-time failed on that."""
    surface = probe(launch("healthy"), QUICK).surface or ()
    titled = tuple({**tool, "inputSchema": {**tool["inputSchema"], "properties": {
        name: {**prop, "title": name.title()} for name, prop in tool["inputSchema"].get("properties", {}).items()}}}
        if tool["name"] == "echo" else tool for tool in surface)
    report = probe(launch("healthy"), TestSpec(timeout_s=5, on_breaking="fail"), Baseline(titled))
    assert report.passed and not report.breaking, report.failures
    assert [(c.tool, c.breaking) for c in report.tool_diff.changed] == [("echo", False)]


def test_added_tool_is_not_breaking() -> None:
    report = probe(launch("add_tool"), QUICK, previous_tools())
    assert report.passed and not report.breaking
    assert (report.tool_diff.added, report.tool_diff.removed, report.tool_diff.changed) == (("reverse",), (), ())


def test_smoke_calls_check_errors_and_expected_text() -> None:
    spec = TestSpec(timeout_s=5, smoke=(
        SmokeCall("add", {"a": 2, "b": 3}, expect_contains="5"),
        SmokeCall("echo", {"text": "hi"}, expect_contains="bonjour"),
        SmokeCall("add", {"a": "x"}),
        SmokeCall("nope", {}),
    ))
    report = probe(launch("healthy"), spec)
    assert [s.passed for s in report.smoke] == [True, False, False, False]
    assert report.failures == (
        "smoke call echo failed: expected 'bonjour' in the result text, got 'echo: hi'",
        "smoke call add failed: the tool returned an error: 'invalid arguments: a and b must be numbers'",
        "smoke call nope failed: tools/call failed: error -32602: Unknown tool: nope",
    )


def test_load_check_reports_latency_and_resources() -> None:
    load = LoadSpec("add", {"a": 1, "b": 2}, calls=60, concurrency=6, max_p95_ms=0.0001, max_errors=0)
    report = probe(launch("healthy"), TestSpec(timeout_s=5, load=load))
    result = report.load
    assert result is not None and (result.completed, result.errors) == (60, 0)
    assert result.p50_ms is not None and result.p95_ms is not None and result.p50_ms <= result.p95_ms
    assert result.peak_rss_mb and result.open_files and result.threads
    assert report.failures == (f"load check: p95 latency {result.p95_ms:g} ms, over max_p95_ms 0.0001",)


def test_load_errors_are_counted_against_max_errors() -> None:
    load = LoadSpec("add", {"a": "x"}, calls=10, concurrency=3, max_errors=2)
    report = probe(launch("legacy_only"), TestSpec(timeout_s=5, load=load))
    assert report.load is not None and report.load.errors == 10
    assert report.failures == ("load check: 10 errors, over max_errors 2",)


# -- no process left behind ------------------------------------------------------------------

@pytest.mark.parametrize("behaviour, failure", [
    ("healthy", None),
    ("crash", "server exited with code 1 before answering the handshake"),
    ("garbage", "server wrote a non-JSON line on stdout"),
    ("exit_after_handshake", "server exited with code 0 right after the handshake"),
])
def test_no_process_of_the_group_survives(tmp_path: Path, behaviour: str, failure: str | None) -> None:
    # The sleep child keeps stdout open after the server exits: no EOF comes, yet the
    # exit must be seen at once (not as a hang) and the child must not outlive us.
    report = probe(wrapped(tmp_path, behaviour), QUICK)
    assert report.passed is (failure is None)
    assert failure is None or only_failure(report).startswith(failure)
    assert report.duration_ms < 1000
    assert_nothing_left(tmp_path)


@pytest.fixture
def usr1_interrupts() -> Iterator[None]:
    def interrupt(signum: int, frame: Any) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGUSR1, interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGUSR1, previous)


def test_ctrl_c_during_a_probe_leaves_nothing(tmp_path: Path, usr1_interrupts: None) -> None:
    # The server interrupts us itself once our first request has arrived: no sleeps.
    server = wrapped(tmp_path, "hang", before_exec="read line; kill -USR1 $PPID; ")
    with pytest.raises(KeyboardInterrupt):
        probe(server, TestSpec(timeout_s=30))
    assert_nothing_left(tmp_path)


# -- many at once, the report file ------------------------------------------------------------

def test_probe_many_runs_concurrently_and_keeps_names() -> None:
    slow = TestSpec(timeout_s=5)
    launches = {f"slow{i}": (launch("slow_start,slow_ms=600"), slow) for i in range(4)}
    launches["broken"] = (launch("crash"), slow)
    started = time.monotonic()
    reports = probe_many(launches, parallelism=5)
    assert time.monotonic() - started < 4 * 0.6  # one by one takes 2.4 s at least
    assert sorted(reports) == ["broken", "slow0", "slow1", "slow2", "slow3"]
    assert [reports[f"slow{i}"].passed for i in range(4)] == [True] * 4
    assert not reports["broken"].passed


def test_report_file_and_text_never_show_secrets(tmp_path: Path) -> None:
    server = Launch(command="sh", args=("-c", f'echo "token is $API_TOKEN" >&2; exec {sys.executable} '
                                              f'{SERVERS / "fixture_server.py"}'),
                    env={"API_TOKEN": "s3cret-value-42", "MCP_FIXTURE_BEHAVIOUR": "healthy"})
    report = probe(server, TestSpec(timeout_s=5, smoke=(ECHO,)))
    path = write_report(report, tmp_path / "reports", "echo-server", "@scope/1.0")
    assert path.parent == tmp_path / "reports" and path.name.startswith("echo-server-_scope_1.0-")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    saved = path.read_text()
    assert json.loads(saved) == report.to_json()
    text = render_report_text(report)
    assert "token is ***" in saved and "s3cret-value-42" not in saved + text
    assert text.startswith("PASSED  mcpstate-fixture 0.0.0, modern 2026-07-28 over stdio\n")
    assert "  smoke echo ok (" in text and "  tools (2): add, echo" in text
