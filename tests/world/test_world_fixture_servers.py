"""The stdio fixture servers: every behaviour, in both implementations (Node and Python),
and a transcript test proving the two answer alike."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import psutil
import pytest

import testing
from testing.processes import kill_all, marked, new_marker, wait_until
from testing.servers.fixture_server import MODERN
from testing.stdio import StdioPeer

SERVERS = Path(testing.__file__).parent / "servers"
IMPLS = {"node": ["node", str(SERVERS / "fixture_server.js")],
         "python": [sys.executable, str(SERVERS / "fixture_server.py")]}
META = {"io.modelcontextprotocol/protocolVersion": MODERN,
        "io.modelcontextprotocol/clientCapabilities": {},
        "io.modelcontextprotocol/clientInfo": {"name": "test", "version": "0"}}
INIT = {"protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "test", "version": "0"}}

impl = pytest.mark.parametrize("impl", sorted(IMPLS))


def req(rid: Any, method: str, params: dict[str, Any] | None = None, modern: bool = False) -> dict[str, Any]:
    params = dict(params or {})
    if modern:
        params["_meta"] = META
    return {"jsonrpc": "2.0", "id": rid, "method": method, "params": params}


def start(impl: str, behaviour: str, **env: str) -> StdioPeer:
    return StdioPeer(IMPLS[impl], env={**os.environ, "MCP_FIXTURE_BEHAVIOUR": behaviour, **env})


def ask(peer: StdioPeer, msg: dict[str, Any], seen: list[Any] | None = None) -> dict[str, Any]:
    return peer.request(msg, seen)  # type: ignore[no-any-return]


def legacy(peer: StdioPeer) -> dict[str, Any]:
    result = ask(peer, req(0, "initialize", INIT))["result"]
    peer.send({"jsonrpc": "2.0", "method": "notifications/initialized"})
    return result


def tool_names(response: dict[str, Any]) -> list[str]:
    return [t["name"] for t in response["result"]["tools"]]


@impl
def test_healthy_speaks_both_generations(impl: str) -> None:
    with start(impl, "healthy") as peer:
        discover = ask(peer, req(1, "server/discover", modern=True))["result"]
        assert discover["supportedVersions"] == [MODERN]
        assert discover["serverInfo"] == {"name": "mcpstate-fixture", "version": "0.0.0"}
        assert ask(peer, req(2, "tools/list"))["error"]["code"] == -32600  # before initialize
        assert ask(peer, req(3, "tools/list", modern=True))["result"]["tools"][0]["name"] == "echo"
        assert legacy(peer)["protocolVersion"] == "2025-11-25"
        call = ask(peer, req(4, "tools/call", {"name": "echo", "arguments": {"text": "hi"}}))["result"]
        assert call == {"content": [{"type": "text", "text": "echo: hi"}], "isError": False}
        add = ask(peer, req(5, "tools/call", {"name": "add", "arguments": {"a": 2, "b": 3.5}}, modern=True))
        assert add["result"]["content"][0]["text"] == "5.5"
        assert ask(peer, req(6, "tools/call", {"name": "nope"}))["error"]["code"] == -32602
        assert ask(peer, req(7, "tools/call", {"name": "echo", "arguments": {}}))["result"]["isError"] is True
        assert ask(peer, req(8, "ping"))["result"] == {}
        assert ask(peer, req(9, "ping", modern=True))["error"]["code"] == -32601  # removed in 2026-07-28
        peer.send("not json{")
        assert peer.recv()["error"]["code"] == -32700


@impl
def test_initialize_negotiates_the_version(impl: str) -> None:
    with start(impl, "healthy") as peer:
        older = ask(peer, req(1, "initialize", {**INIT, "protocolVersion": "2025-06-18"}))
        newer = ask(peer, req(2, "initialize", {**INIT, "protocolVersion": "2099-01-01"}))
    assert older["result"]["protocolVersion"] == "2025-06-18"
    assert newer["result"]["protocolVersion"] == "2025-11-25"


@impl
def test_modern_requests_need_meta(impl: str) -> None:
    with start(impl, "healthy") as peer:
        wrong = {**META, "io.modelcontextprotocol/protocolVersion": "2030-01-01"}
        err = ask(peer, req(1, "tools/list", {"_meta": wrong}))["error"]
        assert err["code"] == -32022 and err["data"] == {"supported": [MODERN], "requested": "2030-01-01"}
        no_caps = {"io.modelcontextprotocol/protocolVersion": MODERN}
        assert ask(peer, req(2, "tools/list", {"_meta": no_caps}))["error"]["code"] == -32602


@impl
@pytest.mark.parametrize("behaviour, names", [
    ("healthy", ["echo", "add"]), ("add_tool", ["echo", "add", "reverse"]),
    ("remove_tool", ["echo"]), ("change_schema", ["echo", "add"]),
])
def test_tool_sets(impl: str, behaviour: str, names: list[str]) -> None:
    with start(impl, behaviour) as peer:
        listed = ask(peer, req(1, "tools/list", modern=True))
    assert tool_names(listed) == names
    echo = listed["result"]["tools"][0]["inputSchema"]
    assert echo["required"] == (["text", "mode"] if behaviour == "change_schema" else ["text"])


@impl
def test_add_tool_reverses(impl: str) -> None:
    with start(impl, "add_tool") as peer:
        out = ask(peer, req(1, "tools/call", {"name": "reverse", "arguments": {"text": "abc"}}, modern=True))
    assert out["result"]["content"][0]["text"] == "cba"


@impl
def test_modern_only_refuses_legacy(impl: str) -> None:
    with start(impl, "modern_only") as peer:
        init = ask(peer, req(1, "initialize", INIT))["error"]
        bare = ask(peer, req(2, "tools/list"))["error"]
        listed = ask(peer, req(3, "tools/list", modern=True))
    assert init["code"] == -32022 and init["data"]["supported"] == [MODERN]
    assert bare["code"] == -32602
    assert tool_names(listed) == ["echo", "add"]


@impl
def test_legacy_only_refuses_discover(impl: str) -> None:
    with start(impl, "legacy_only") as peer:
        assert ask(peer, req(1, "server/discover", modern=True))["error"]["code"] == -32601
        assert legacy(peer)["protocolVersion"] == "2025-11-25"
        assert tool_names(ask(peer, req(2, "tools/list", modern=True))) == ["echo", "add"]


@impl
def test_paginate_follows_cursors(impl: str) -> None:
    names, cursor = [], None
    with start(impl, "paginate,add_tool") as peer:
        legacy(peer)
        for rid in range(1, 10):
            page = ask(peer, req(rid, "tools/list", {"cursor": cursor} if cursor else {}))["result"]
            names += [t["name"] for t in page["tools"]]
            assert len(page["tools"]) == 1
            cursor = page.get("nextCursor")
            if cursor is None:
                break
        assert ask(peer, req(99, "tools/list", {"cursor": "bogus"}))["error"]["code"] == -32602
    assert names == ["echo", "add", "reverse"]


@impl
def test_chatty_talks_before_each_answer(impl: str) -> None:
    seen: list[Any] = []
    with start(impl, "legacy_only,chatty") as peer:
        legacy_result = ask(peer, req(1, "initialize", INIT), seen)["result"]
        peer.send({"jsonrpc": "2.0", "method": "notifications/initialized"})
        peer.send({"jsonrpc": "2.0", "id": seen[1]["id"], "error": {"code": -32601, "message": "no"}})
        ask(peer, req(2, "tools/list"), seen)
        peer.send({"jsonrpc": "2.0", "id": seen[3]["id"], "result": {"roots": []}})
        assert tool_names(ask(peer, req(3, "tools/list"), seen)) == ["echo", "add"]
        stderr_has_answer = lambda: "client answered" in peer.stderr  # noqa: E731
        peer.close()
    assert legacy_result["capabilities"]["logging"] == {}
    assert [m.get("method") for m in seen] == ["notifications/message", "ping", "notifications/message",
                                               "roots/list", "notifications/message", "ping"]
    assert all(isinstance(m.get("id"), str) for m in seen[1::2])
    assert stderr_has_answer()


@impl
def test_crash_exits_at_start(impl: str) -> None:
    proc = subprocess.run(IMPLS[impl], input=b"", capture_output=True, timeout=10,
                          env={**os.environ, "MCP_FIXTURE_BEHAVIOUR": "crash"})
    assert proc.returncode == 1
    assert b"crashing on purpose" in proc.stderr and proc.stdout == b""


@impl
def test_unknown_behaviour_is_refused(impl: str) -> None:
    proc = subprocess.run(IMPLS[impl], input=b"", capture_output=True, timeout=10,
                          env={**os.environ, "MCP_FIXTURE_BEHAVIOUR": "healthy,helthy"})
    assert proc.returncode != 0 and b"unknown fixture behaviour" in proc.stderr


@impl
def test_garbage_before_first_answer(impl: str) -> None:
    with start(impl, "garbage") as peer:
        peer.send(req(1, "server/discover", modern=True))
        first, second = peer.recv(), peer.recv()
    assert isinstance(first, str) and first.strip()
    assert second["id"] == 1 and "result" in second


@impl
@pytest.mark.parametrize("handshake", ["initialize", "server/discover"])
def test_exit_after_handshake(impl: str, handshake: str) -> None:
    with start(impl, "exit_after_handshake") as peer:
        params = INIT if handshake == "initialize" else {}
        assert "result" in ask(peer, req(1, handshake, params, modern=handshake != "initialize"))
        assert peer.proc.wait(timeout=5) == 0
        with pytest.raises((EOFError, BrokenPipeError)):
            ask(peer, req(2, "tools/list", modern=True))


@impl
def test_hang_never_answers_nor_leaves(impl: str) -> None:
    with start(impl, "hang") as peer:
        peer.send(req(1, "server/discover", modern=True))
        with pytest.raises(TimeoutError):
            peer.recv(timeout=0.5)
        peer.proc.stdin.close()  # type: ignore[union-attr]
        with pytest.raises(subprocess.TimeoutExpired):
            peer.proc.wait(timeout=0.3)
        assert peer.close(grace=0.2) == -signal.SIGTERM  # it took a signal


@impl
def test_ignore_sigterm_needs_sigkill(impl: str) -> None:
    with start(impl, "ignore_sigterm") as peer:
        ask(peer, req(1, "server/discover", modern=True))  # handlers are in place by now
        os.kill(peer.proc.pid, signal.SIGTERM)
        wait_until(lambda: "SIGTERM ignored on purpose" in peer.stderr, what="the SIGTERM log line")
        assert peer.proc.poll() is None
        os.kill(peer.proc.pid, signal.SIGKILL)
        assert peer.proc.wait(timeout=5) == -signal.SIGKILL


@impl
def test_daemonize_leaves_a_grandchild_in_a_session_of_its_own(impl: str, tmp_path: Path) -> None:
    marker, events = new_marker(), tmp_path / "events"
    peer = StdioPeer([*IMPLS[impl], marker], env={**os.environ, "MCP_FIXTURE_BEHAVIOUR": "daemonize",
                                                  "MCP_FIXTURE_EVENTS": str(events)})
    try:
        with peer:
            assert "result" in ask(peer, req(1, "server/discover", modern=True))
            wait_until(lambda: events.exists() and "daemon running" in events.read_text(), what="the daemon")
        [daemon] = marked(marker)  # the server is gone with its group; the daemon is not
        assert daemon.pid != peer.proc.pid and os.getsid(daemon.pid) != peer.proc.pid
        assert f"pid {daemon.pid}] daemon running" in events.read_text()
    finally:
        kill_all(marked(marker))


@impl
def test_stderr_flood_is_one_line_of_that_size(impl: str) -> None:
    proc = subprocess.run(IMPLS[impl], input=b"", capture_output=True, timeout=30,
                          env={**os.environ, "MCP_FIXTURE_BEHAVIOUR": "stderr_flood,stderr_mb=3"})
    lines = proc.stderr.split(b"\n")
    assert proc.returncode == 0 and b"x" * (3 << 20) + b"\n" in proc.stderr
    assert [len(line) for line in lines if line.startswith(b"x")] == [3 << 20]


@impl
def test_events_file_copies_the_log(impl: str, tmp_path: Path) -> None:
    events = tmp_path / "events"
    proc = subprocess.run(IMPLS[impl], input=b"", capture_output=True, timeout=10,
                          env={**os.environ, "MCP_FIXTURE_EVENTS": str(events)})
    assert proc.stderr and events.read_bytes() == proc.stderr


@impl
def test_slow_start_delays_the_first_answer(impl: str) -> None:
    began = time.monotonic()
    with start(impl, "slow_start,slow_ms=600") as peer:
        ask(peer, req(1, "server/discover", modern=True))
    assert time.monotonic() - began >= 0.6


def _rss_after_answer(impl: str, behaviour: str) -> int:
    with start(impl, behaviour) as peer:
        ask(peer, req(1, "server/discover", modern=True))
        return int(psutil.Process(peer.proc.pid).memory_info().rss)


@impl
def test_memory_hog_holds_its_memory(impl: str) -> None:
    grown = _rss_after_answer(impl, "memory_hog,mb=96") - _rss_after_answer(impl, "healthy")
    assert grown >= 80 * 1024 * 1024


@impl
@pytest.mark.parametrize("explicit_counter", [True, False])
def test_second_start_fails(impl: str, explicit_counter: bool, tmp_path: Path) -> None:
    env = {"MCP_FIXTURE_COUNTER": str(tmp_path / "starts")} if explicit_counter else {}
    with start(impl, "second_start_fails", **env) as first:
        assert "result" in ask(first, req(1, "server/discover", modern=True))
    for _ in range(2):
        again = subprocess.run(IMPLS[impl], input=b"", capture_output=True, timeout=10,
                               env={**os.environ, "MCP_FIXTURE_BEHAVIOUR": "second_start_fails", **env})
        assert again.returncode == 1 and b"crashing on purpose" in again.stderr


TRANSCRIPT = [
    req(1, "server/discover", modern=True), req(2, "initialize", INIT),
    {"jsonrpc": "2.0", "method": "notifications/initialized"},
    req(3, "tools/list"), req(4, "tools/list", {"cursor": "page-1"}), req(5, "tools/list", modern=True),
    req(6, "tools/call", {"name": "echo", "arguments": {"text": "hé", "mode": "upper"}}),
    req(7, "tools/call", {"name": "add", "arguments": {"a": 2, "b": 3}}, modern=True),
    req(8, "tools/call", {"name": "add", "arguments": {"a": 0.1, "b": 0.2}}),
    req(9, "tools/call", {"name": "reverse", "arguments": {"text": "abc"}}),
    req(10, "tools/call", {"name": "echo", "arguments": {"text": 3}}), req(11, "tools/call", {"name": "x"}),
    {"jsonrpc": "2.0", "id": "fixture-1", "error": {"code": -32601, "message": "no"}},
    req(12, "ping"), req(13, "nope/nope"), {"jsonrpc": "1.0", "id": 14, "method": "ping"},
]


@pytest.mark.parametrize("behaviour", [
    "healthy", "add_tool", "remove_tool", "change_schema", "paginate", "chatty", "modern_only",
    "legacy_only", "legacy_only,chatty", "garbage", "stderr_flood,stderr_mb=1",
    "new_description", "poisoned_description", "new_title", "optional_property",
])
def test_node_and_python_answer_alike(behaviour: str) -> None:
    import json

    script = "".join(json.dumps(m) + "\n" for m in TRANSCRIPT).encode()
    outs = {name: subprocess.run(cmd, input=script, capture_output=True, timeout=10, check=True,
                                 env={**os.environ, "MCP_FIXTURE_BEHAVIOUR": behaviour}).stdout
            for name, cmd in IMPLS.items()}
    assert outs["node"].decode().splitlines() == outs["python"].decode().splitlines()
    assert outs["node"].count(b'"id":') >= 14  # every request got an answer
