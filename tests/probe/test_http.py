"""The health test of remote servers over Streamable HTTP, against the in-process
fixture server: JSON and SSE answers, both generations, sessions, failures."""

from __future__ import annotations

import time
from typing import Iterator

import pytest

from mcpstate.model import LoadSpec, SmokeCall, TestSpec
from mcpstate.probe import Launch, probe
from testing.servers.remote_server import RemoteServer

SPEC = TestSpec(timeout_s=5, smoke=(SmokeCall("add", {"a": 2, "b": 3}, expect_contains="5"),))


@pytest.fixture
def remote(request: pytest.FixtureRequest) -> Iterator[RemoteServer]:
    behaviour, sse = request.param
    server = RemoteServer(behaviour, sse=sse).start()
    try:
        yield server
    finally:
        server.stop()


def both(*behaviours: str) -> pytest.MarkDecorator:
    """Each behaviour answered with plain JSON bodies and with SSE streams."""
    params = [pytest.param((b, sse), id=f"{b}-{'sse' if sse else 'json'}") for b in behaviours for sse in (False, True)]
    return pytest.mark.parametrize("remote", params, indirect=True)


@both("healthy", "modern_only")
def test_modern_remote_passes_without_a_session(remote: RemoteServer) -> None:
    report = probe(Launch(url=remote.url), SPEC)
    assert report.passed, report.failures
    assert (report.transport, report.generation, report.protocol_version) == ("http", "modern", "2026-07-28")
    assert report.tool_names == ("add", "echo") and report.smoke[0].passed
    assert report.rss_mb is None and report.stderr_tail == ()
    assert {sid for _, _, sid in remote.seen} == {None}


@both("legacy_only", "legacy_only,chatty", "legacy_only,paginate")
def test_legacy_remote_passes_in_its_session_and_ends_it(remote: RemoteServer) -> None:
    report = probe(Launch(url=remote.url), SPEC)
    assert report.passed, report.failures
    assert (report.generation, report.protocol_version) == ("legacy", "2025-11-25")
    methods = [(method, sid is not None) for _, method, sid in remote.seen if method]  # not our answers
    assert methods[:3] == [("server/discover", False), ("initialize", False), ("notifications/initialized", True)]
    assert ("tools/list", True) in methods and ("tools/call", True) in methods
    assert remote.sessions == {}  # DELETEd at the end


@both("chatty", "paginate")
def test_chatty_and_paginated_remote_pass(remote: RemoteServer) -> None:
    report = probe(Launch(url=remote.url), SPEC)
    assert report.passed, report.failures
    assert report.tool_names == ("add", "echo")


def test_launch_headers_are_sent() -> None:
    # The fixture refuses foreign origins: only our header can make it refuse.
    server = RemoteServer("healthy").start()
    try:
        assert probe(Launch(url=server.url), SPEC).passed
        report = probe(Launch(url=server.url, headers={"Origin": "http://evil.example"}), SPEC)
    finally:
        server.stop()
    assert report.failures == ("server answered HTTP 403 Forbidden before answering the handshake",)


@both("crash")
def test_server_error_fails(remote: RemoteServer) -> None:
    report = probe(Launch(url=remote.url), SPEC)
    assert report.failures == ("server answered HTTP 500 Internal Server Error before answering the handshake",)


@both("garbage")
def test_non_json_answer_fails(remote: RemoteServer) -> None:
    report = probe(Launch(url=remote.url), SPEC)
    where = "SSE event" if remote.sse else "HTTP body"
    assert report.failures == (f"server wrote a non-JSON {where}: 'fixture server ready (deliberately not JSON)'",)


@both("exit_after_handshake")
def test_server_gone_after_the_handshake_fails(remote: RemoteServer) -> None:
    url = remote.url  # the server stops listening once it has answered the handshake
    report = probe(Launch(url=url), SPEC)
    assert report.generation == "modern"
    (failure,) = report.failures
    # refused, not reset: the fixture stops listening before its answer goes out
    assert failure.startswith(f"server is unreachable at {url}: [Errno 111] Connection refused")
    assert failure.endswith("right after the handshake (during tools/list)")


@both("hang")
def test_hanging_remote_ends_within_timeout_plus_two_seconds(remote: RemoteServer) -> None:
    started = time.monotonic()
    report = probe(Launch(url=remote.url), TestSpec(timeout_s=2))
    assert time.monotonic() - started < 2 + 2
    assert report.failures == ("no answer to the handshake within timeout_s 2 s (server hangs?)",)


def test_unreachable_remote_fails() -> None:
    server = RemoteServer("healthy").start()
    url = server.url
    server.stop()  # nothing listens there any more
    report = probe(Launch(url=url), SPEC)
    (failure,) = report.failures
    assert failure.startswith(f"server is unreachable at {url}: ")


@both("healthy", "legacy_only")
def test_load_check_over_http(remote: RemoteServer) -> None:
    load = LoadSpec("add", {"a": 1, "b": 2}, calls=20, concurrency=4, max_errors=0)
    report = probe(Launch(url=remote.url), TestSpec(timeout_s=5, load=load))
    assert report.passed, report.failures
    assert report.load is not None and (report.load.completed, report.load.errors) == (20, 0)
    assert report.load.peak_rss_mb is None  # not our process to measure
    assert sum(1 for _, method, _ in remote.seen if method == "tools/call") == 20


@both("healthy")
def test_the_report_carries_the_surface_as_tools_json_holds_it(remote: RemoteServer) -> None:
    from mcpstate.probe.surface import surface_bytes, surface_digest

    report = probe(Launch(url=remote.url), SPEC)
    assert report.surface is not None and [t["name"] for t in report.surface] == ["add", "echo"]
    assert set(report.surface[1]) == {"name", "description", "inputSchema"}
    assert report.surface_digest == surface_digest(surface_bytes(report.surface))
    assert report.to_json()["surface_digest"] == report.surface_digest
    remote.drift_tools()
    assert probe(Launch(url=remote.url), SPEC).surface_digest != report.surface_digest


@pytest.mark.parametrize("remote", [("auth_required", False)], indirect=True)
def test_a_sign_in_leaves_the_surface_unknown(remote: RemoteServer) -> None:
    report = probe(Launch(url=remote.url), SPEC)
    assert report.passed and report.auth_required and report.surface is None and report.surface_digest is None
