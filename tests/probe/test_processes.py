"""What a probed server's process costs us (DESIGN §8): stderr and stdout are read within
bounds."""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from mcpstate.model import TestSpec
from mcpstate.probe import Launch, probe
from testing.processes import kill_all, marked, new_marker

from tests.probe.test_stdio import RUNTIMES

QUICK = TestSpec(timeout_s=5)


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
