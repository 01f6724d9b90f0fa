"""Ctrl-C and SIGTERM while `mcpstate test`, `status` or `apply` probes (DESIGN §5, §8):
exit 130 within seconds, not after timeout_s, and no process of the server left, not even
one that daemonized; a 100 MiB stderr line does not grow mcpstate's memory.

Each run is a real `python -m mcpstate` process; the server is the Python fixture, tagged
by a marker on its command line, with its log copied to an events file to wait on."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

import testing
from testing.processes import kill_all, marked, new_marker, wait_until

FIXTURE = Path(testing.__file__).parent / "servers" / "fixture_server.py"
STOP_BOUND_S = 5.0  # generous for a loaded 2-core machine; the probes' timeout_s is 30
MIB = 1024 * 1024


@dataclass
class Run:
    """One `mcpstate` process and the server it probes."""

    proc: subprocess.Popen[bytes]
    marker: str
    events: Path
    out: Path
    err: Path

    def events_say(self, text: str) -> bool:
        return self.events.exists() and text in self.events.read_text(errors="replace")

    def signal_and_time(self, sig: int) -> float:
        os.kill(self.proc.pid, sig)
        return time.monotonic()

    def wait(self, timeout: float = 60) -> int:
        return self.proc.wait(timeout)

    @property
    def stderr(self) -> str:
        return self.err.read_text(errors="replace")


class Cli:
    """A project whose lockfile runs the fixture as a `command` server named app."""

    def __init__(self, root: Path, env: dict[str, str]) -> None:
        self.root, self.env = root, env
        self.project = root / "project"
        self.project.mkdir()
        self.marker = new_marker()
        self.events = root / "events"
        self.runs: list[Run] = []

    def write_lockfile(self, script: Path, env: dict[str, str], timeout_s: float) -> None:
        server_env = {**env, "MCP_FIXTURE_EVENTS": str(self.events)}
        (self.project / "mcpstate.lock.yaml").write_text(
            "version: 1\nservers:\n  app:\n    source: command\n"
            f"    command: {json.dumps(sys.executable)}\n"
            f"    args: {json.dumps([str(script), self.marker])}\n"
            f"    env: {json.dumps(server_env)}\n"
            f"    test: {{timeout_s: {timeout_s:g}, max_startup_ms: 60000}}\n")

    def start(self, *args: str, launcher: list[str] | None = None) -> Run:
        out, err = self.root / f"{args[0]}.out", self.root / f"{args[0]}.err"
        with open(out, "wb") as stdout, open(err, "wb") as stderr:
            proc = subprocess.Popen([*(launcher or ()), sys.executable, "-m", "mcpstate", "-C", str(self.project),
                                     *args], env=self.env, cwd=self.project, stdin=subprocess.DEVNULL,
                                    stdout=stdout, stderr=stderr)
        self.runs.append(Run(proc, self.marker, self.events, out, err))
        return self.runs[-1]

    def test(self, behaviour: str, timeout_s: float = 30, *args: str, launcher: list[str] | None = None) -> Run:
        self.write_lockfile(FIXTURE, {"MCP_FIXTURE_BEHAVIOUR": behaviour}, timeout_s)
        return self.start("test", "app", *args, launcher=launcher)


@pytest.fixture
def cli(tmp_path: Path, _isolation: dict[str, str]) -> Iterator[Cli]:
    made = Cli(tmp_path, dict(_isolation))
    yield made
    for run in made.runs:  # what a failing test left running
        if run.proc.poll() is None:
            run.proc.kill()
            run.proc.wait()
    kill_all(marked(made.marker))


def assert_stopped_soon(run: Run, signalled_at: float) -> float:
    code = run.wait(timeout=60)
    took = time.monotonic() - signalled_at
    assert code == 130, (code, run.stderr)
    assert run.stderr.rstrip().endswith("interrupted"), run.stderr
    assert took < STOP_BOUND_S, f"exited {took:.2f} s after the signal"
    assert marked(run.marker) == []  # at once: mcpstate killed and reaped them before it exited
    return took


def test_sigterm_during_a_probe_exits_130_and_leaves_no_daemon(cli: Cli) -> None:
    run = cli.test("daemonize,hang")
    wait_until(lambda: run.events_say("daemon running"), what="the server's daemon")
    assert len(marked(run.marker)) == 2  # the server, hanging, and its daemon
    assert_stopped_soon(run, run.signal_and_time(signal.SIGTERM))


def test_one_sigint_stops_the_probe_within_seconds_not_timeout(cli: Cli) -> None:
    run = cli.test("daemonize,hang", timeout_s=30)
    wait_until(lambda: run.events_say("daemon running"), what="the server's daemon")
    took = assert_stopped_soon(run, run.signal_and_time(signal.SIGINT))
    print(f"mcpstate test exited {took:.3f} s after one SIGINT")


def test_second_sigint_during_cleanup_still_leaves_nothing(cli: Cli) -> None:
    # The server ignores SIGTERM: cleanup has begun once it logs so; the second SIGINT
    # lands then, while mcpstate waits to escalate to SIGKILL.
    run = cli.test("daemonize,hang,ignore_sigterm")
    wait_until(lambda: run.events_say("daemon running"), what="the server's daemon")
    first = run.signal_and_time(signal.SIGINT)
    wait_until(lambda: run.events_say("SIGTERM ignored on purpose"), what="the cleanup's SIGTERM")
    run.signal_and_time(signal.SIGINT)
    assert_stopped_soon(run, first)


def test_status_stops_within_seconds_of_one_sigint(cli: Cli) -> None:
    # status probes on worker threads; the server's behaviour comes from behaviour.json
    # next to a copy of the script, so it can turn bad after a healthy apply.
    script = cli.root / "server" / "fixture_server.py"
    script.parent.mkdir()
    shutil.copy(FIXTURE, script)
    (script.parent / "behaviour.json").write_text('{"behaviour": "healthy"}')
    cli.write_lockfile(script, {}, timeout_s=30)
    applied = cli.start("apply", "--auto-approve")
    assert applied.wait() == 0, applied.stderr
    (script.parent / "behaviour.json").write_text('{"behaviour": "daemonize,hang"}')
    run = cli.start("status")
    wait_until(lambda: run.events_say("daemon running"), what="the server's daemon")
    took = assert_stopped_soon(run, run.signal_and_time(signal.SIGINT))
    print(f"mcpstate status exited {took:.3f} s after one SIGINT")


def test_apply_stops_within_seconds_of_one_sigint(cli: Cli) -> None:
    # apply tests on a pool too; the interrupted transaction is recovered by the next run.
    cli.write_lockfile(FIXTURE, {"MCP_FIXTURE_BEHAVIOUR": "daemonize,hang"}, timeout_s=30)
    run = cli.start("apply", "--auto-approve")
    wait_until(lambda: run.events_say("daemon running"), what="the server's daemon")
    took = assert_stopped_soon(run, run.signal_and_time(signal.SIGINT))
    print(f"mcpstate apply exited {took:.3f} s after one SIGINT")
    assert not (cli.project / ".mcp.json").exists()  # nothing was swapped in
    cli.write_lockfile(FIXTURE, {"MCP_FIXTURE_BEHAVIOUR": "healthy"}, timeout_s=30)
    again = cli.start("apply", "--auto-approve")
    assert again.wait() == 0, again.stderr


@pytest.mark.slow
def test_sigterm_outside_a_probe_takes_the_same_path(cli: Cli, world) -> None:  # type: ignore[no-untyped-def]
    # Staging, not probing: the error handler makes SIGTERM a KeyboardInterrupt too, so the
    # installer is stopped and the run ends as after Ctrl-C, not killed in its tracks.
    import psutil

    from testing.catalogue import NPM_SERVER
    from tests.applyhelp import lockfile

    world.npm.inject(f"/{NPM_SERVER}", "hang", sticky=True)
    (cli.project / "mcpstate.lock.yaml").write_text(lockfile(npm="healthy"))  # `world` is in cli.env
    run = cli.start("test", "app")
    wait_until(lambda: world.npm.hits(f"/{NPM_SERVER}") > 0, what="npm's request for the packument")
    [npm] = psutil.Process(run.proc.pid).children()
    assert_stopped_soon(run, run.signal_and_time(signal.SIGTERM))
    assert not npm.is_running() or npm.status() == psutil.STATUS_ZOMBIE  # killed; init reaps it


# Runs a command and writes its exit code and peak RSS (KiB) to argv[1]. A small process of
# its own: a child's ru_maxrss counts what it inherited from its parent until exec, and
# pytest itself may be 100 MiB by then.
MEASURE = """import os, subprocess, sys
proc = subprocess.Popen(sys.argv[2:])
_, status, usage = os.wait4(proc.pid, 0)
open(sys.argv[1], "w").write(f"{os.waitstatus_to_exitcode(status)} {usage.ru_maxrss}")
"""


def test_a_100_mib_stderr_line_does_not_grow_mcpstate(cli: Cli) -> None:
    measured = cli.root / "measured"
    run = cli.test("stderr_flood,stderr_mb=100", 60, "--format", "json",
                   launcher=[sys.executable, "-c", MEASURE, str(measured)])
    assert run.wait() == 0, run.stderr
    code, max_rss_kib = map(int, measured.read_text().split())
    # of mcpstate, and of what it waited for: the server, which holds 1 MiB at a time
    peak_mib = max_rss_kib * 1024 / MIB
    print(f"peak RSS of mcpstate test with a 100 MiB stderr line: {peak_mib:.1f} MiB")
    assert peak_mib < 100
    assert code == 0, run.stderr
    report = json.loads(run.out.read_text())
    assert report["passed"] is True
    [flood] = [line for line in report["stderr_tail"] if line.startswith("xxxx")]  # read, and cut
    assert flood.endswith(f"[line cut: {100 * MIB} bytes]") and len(flood) < 1100
