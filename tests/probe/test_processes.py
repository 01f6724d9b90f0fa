"""No process outlives a probe (DESIGN §8): a server that daemonizes is hunted down after
a passed, a failed and an interrupted probe, without touching another probe's live
server; stderr and stdout are read within bounds."""

from __future__ import annotations

import os
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from mcpstate.model import TestSpec
from mcpstate.probe import Launch, probe, probe_many
from testing.processes import kill_all, marked, new_marker, wait_until
from testing.servers.remote_server import RemoteServer

from tests.probe.test_stdio import RUNTIMES

QUICK = TestSpec(timeout_s=5)
HANGS = TestSpec(timeout_s=30)
STOP_BOUND_S = 5.0  # generous for a loaded 2-core machine, far below HANGS.timeout_s


class Server:
    """A fixture server launch tagged by a marker, its log copied to an events file."""

    def __init__(self, tmp_path: Path, behaviour: str, runtime: str = "python") -> None:
        self.marker = new_marker()
        self.events = tmp_path / f"events-{self.marker}"
        command, script = RUNTIMES[runtime]
        self.launch = Launch(command=command, args=(script, self.marker),
                             env={"MCP_FIXTURE_BEHAVIOUR": behaviour, "MCP_FIXTURE_EVENTS": str(self.events)})

    def says(self, text: str) -> bool:
        return self.events.exists() and text in self.events.read_text(errors="replace")

    def left(self) -> list[int]:
        return [proc.pid for proc in marked(self.marker)]


@pytest.fixture
def servers(tmp_path: Path) -> Iterator[list[Server]]:
    """Servers made by a test; whatever of them a failing test left is killed after it."""
    made: list[Server] = []
    yield made
    kill_all([proc for server in made for proc in marked(server.marker)])


@pytest.fixture
def server(tmp_path: Path, servers: list[Server]):  # type: ignore[no-untyped-def]
    def make(behaviour: str, runtime: str = "python") -> Server:
        made = Server(tmp_path, behaviour, runtime)
        servers.append(made)
        return made
    return make


@pytest.mark.parametrize("runtime", RUNTIMES)
def test_daemon_is_killed_after_a_passing_probe(server, runtime: str) -> None:  # type: ignore[no-untyped-def]
    daemonizing = server("daemonize", runtime)
    report = probe(daemonizing.launch, QUICK)
    assert report.passed, report.failures
    assert daemonizing.left() == []


@pytest.mark.parametrize("behaviour, failure", [
    ("daemonize,garbage", "server wrote a non-JSON line on stdout"),
    ("daemonize,exit_after_handshake", "server exited with code 0 right after the handshake"),
])
def test_daemon_is_killed_after_a_failing_probe(server, behaviour: str, failure: str) -> None:  # type: ignore[no-untyped-def]
    daemonizing = server(behaviour)
    report = probe(daemonizing.launch, QUICK)
    assert not report.passed and report.failures[0].startswith(failure)
    assert daemonizing.says("daemon running")  # it did escape the group before we ended it
    assert daemonizing.left() == []


def test_daemon_of_a_hanging_server_that_ignores_sigterm_is_killed(server) -> None:  # type: ignore[no-untyped-def]
    daemonizing = server("daemonize,hang,ignore_sigterm")
    report = probe(daemonizing.launch, TestSpec(timeout_s=2))
    assert report.failures == ("no answer to the handshake within timeout_s 2 s (server hangs?)",)
    assert daemonizing.left() == []


class Interrupter:
    """SIGINT to ourselves once `condition` holds, from a thread (the main one probes);
    `took()` is the time from the signal to now."""

    def __init__(self, condition: Callable[[], bool], what: str) -> None:
        self.sent_at: float | None = None

        def run() -> None:
            wait_until(condition, what=what)
            self.sent_at = time.monotonic()
            os.kill(os.getpid(), signal.SIGINT)

        threading.Thread(target=run, daemon=True).start()

    def took(self) -> float:
        assert self.sent_at is not None
        return time.monotonic() - self.sent_at


def test_sigint_stops_a_probe_at_once_and_leaves_nothing(server) -> None:  # type: ignore[no-untyped-def]
    daemonizing = server("daemonize,hang")
    interrupter = Interrupter(lambda: daemonizing.says("daemon running"), "the daemon")
    with pytest.raises(KeyboardInterrupt):
        probe(daemonizing.launch, HANGS)
    assert interrupter.took() < STOP_BOUND_S
    assert daemonizing.left() == []


def test_sigint_stops_concurrent_probes_within_seconds(server) -> None:  # type: ignore[no-untyped-def]
    # status's path: probes run on worker threads while the main thread waits on them.
    hanging = [server("daemonize,hang") for _ in range(2)]
    interrupter = Interrupter(lambda: all(s.says("daemon running") for s in hanging), "both daemons")
    with pytest.raises(KeyboardInterrupt):
        probe_many({f"s{i}": (s.launch, HANGS) for i, s in enumerate(hanging)}, parallelism=2)
    took = interrupter.took()
    assert took < STOP_BOUND_S, f"probe_many returned {took:.2f} s after SIGINT (timeout_s 30)"
    assert [s.left() for s in hanging] == [[], []]


def test_sigint_stops_a_remote_probe_on_a_worker_thread() -> None:
    hanging = RemoteServer("hang").start()
    try:
        interrupter = Interrupter(lambda: bool(hanging.seen), "the first POST")
        with pytest.raises(KeyboardInterrupt):
            probe_many({"remote": (Launch(url=hanging.url), HANGS)}, parallelism=1)
        took = interrupter.took()
        assert took < STOP_BOUND_S, f"probe_many returned {took:.2f} s after SIGINT (timeout_s 30)"
    finally:
        hanging.stop()


def test_a_probe_ending_leaves_another_probes_processes_alone(server) -> None:  # type: ignore[no-untyped-def]
    from mcpstate.probe.stdio import StdioTransport

    first, second = server("daemonize"), server("daemonize")
    one, two = StdioTransport(first.launch), StdioTransport(second.launch)
    try:
        one.start()
        two.start()
        wait_until(lambda: first.says("daemon running") and second.says("daemon running"), what="the daemons")
        alive = second.left()
        assert len(alive) == 2  # the server and its daemon
        one.close()
        assert first.left() == []
        assert second.left() == alive
    finally:
        one.close()  # once only: a second close does nothing
        two.close()
    assert second.left() == []


def test_stderr_is_kept_within_its_cap(server) -> None:  # type: ignore[no-untyped-def]
    flooding = server("stderr_flood,stderr_mb=8")
    report = probe(flooding.launch, QUICK)
    assert report.passed, report.failures
    [flood] = [line for line in report.stderr_tail if line.startswith("x")]
    assert flood.startswith("x" * 100) and flood.endswith(f"[line cut: {8 << 20} bytes]")
    assert len(flood) < 1100
    assert report.stderr_tail[-1].endswith("stdin closed: exiting")  # lines after it still come


def test_stdout_line_over_the_cap_fails_the_probe() -> None:
    from mcpstate.probe.stdio import MAX_LINE

    spew = f"import sys; sys.stdout.write('x' * {MAX_LINE + 1}); sys.stdout.flush(); sys.stdin.read()"
    started = time.monotonic()
    report = probe(Launch(command=sys.executable, args=("-c", spew)), QUICK)
    assert report.failures == (f"server wrote a line on stdout longer than {MAX_LINE >> 20} MiB",)
    assert time.monotonic() - started < 3
