"""The Streamable HTTP fixture server: sessions, both generations, JSON and SSE answers,
and the behaviours that make sense over HTTP."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from testing.servers.fixture_server import MODERN
from testing.servers.remote_server import DRIFTED_DESCRIPTION, RemoteServer, serve

ACCEPT = {"Accept": "application/json, text/event-stream"}
META = {"io.modelcontextprotocol/protocolVersion": MODERN, "io.modelcontextprotocol/clientCapabilities": {}}
INIT = {"protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "test", "version": "0"}}


def rpc(rid: Any, method: str, params: dict[str, Any] | None = None, modern: bool = False) -> dict[str, Any]:
    params = {**(params or {}), **({"_meta": META} if modern else {})}
    return {"jsonrpc": "2.0", "id": rid, "method": method, "params": params}


def messages(response: httpx.Response) -> list[dict[str, Any]]:
    """Every JSON-RPC message of a response, JSON or SSE."""
    if response.headers["content-type"].startswith("text/event-stream"):
        return [json.loads(line[5:]) for line in response.text.splitlines() if line.startswith("data:")]
    return [response.json()]


@pytest.fixture
def client() -> Iterator[httpx.Client]:
    with httpx.Client(timeout=5, headers=ACCEPT) as http:
        yield http


@pytest.mark.parametrize("sse", [False, True])
def test_legacy_session_lifecycle(client: httpx.Client, sse: bool) -> None:
    with serve("healthy", sse=sse, version="9.9.9") as url:
        init = client.post(url, json=rpc(1, "initialize", INIT))
        sid = init.headers["Mcp-Session-Id"]
        assert messages(init)[-1]["result"]["serverInfo"]["version"] == "9.9.9"
        assert init.headers["content-type"].startswith("text/event-stream" if sse else "application/json")
        headers = {"Mcp-Session-Id": sid, "MCP-Protocol-Version": "2025-11-25"}
        assert client.post(url, json={"jsonrpc": "2.0", "method": "notifications/initialized"},
                           headers=headers).status_code == 202
        call = client.post(url, json=rpc(2, "tools/call", {"name": "echo", "arguments": {"text": "x"}}),
                           headers=headers)
        assert messages(call)[-1]["result"]["content"][0]["text"] == "echo: x"
        missing = client.post(url, json=rpc(3, "tools/list"))
        unknown = client.post(url, json=rpc(4, "tools/list"), headers={"Mcp-Session-Id": "nope"})
        assert (missing.status_code, unknown.status_code) == (400, 404)
        assert missing.json()["id"] == 3
        assert client.delete(url, headers={"Mcp-Session-Id": sid}).status_code == 200
        assert client.post(url, json=rpc(5, "tools/list"), headers=headers).status_code == 404


def test_modern_is_stateless_and_checks_headers(client: httpx.Client) -> None:
    with serve("healthy") as url:
        found = client.post(url, json=rpc(1, "server/discover", modern=True),
                            headers={"MCP-Protocol-Version": MODERN, "Mcp-Method": "server/discover"})
        assert found.json()["result"]["supportedVersions"] == [MODERN]
        assert "Mcp-Session-Id" not in found.headers
        mismatch = client.post(url, json=rpc(2, "tools/list", modern=True), headers={"Mcp-Method": "tools/call"})
        assert mismatch.status_code == 400 and mismatch.json()["error"]["code"] == -32020
        unknown = client.post(url, json=rpc(3, "no/such", modern=True))
        assert unknown.status_code == 404 and unknown.json()["error"]["code"] == -32601


def test_chatty_sse_streams_extra_messages_first(client: httpx.Client) -> None:
    with serve("chatty", sse=True) as url:
        got = messages(client.post(url, json=rpc(1, "tools/list", modern=True)))
    assert [m.get("method") for m in got] == ["notifications/message", "ping", None]
    assert [t["name"] for t in got[-1]["result"]["tools"]] == ["echo", "add"]


@pytest.mark.parametrize("behaviour, discover_status, init_status", [
    ("legacy_only", 400, 200), ("modern_only", 200, 400)])
def test_one_generation_servers(client: httpx.Client, behaviour: str, discover_status: int,
                                init_status: int) -> None:
    with serve(behaviour) as url:
        assert client.post(url, json=rpc(1, "server/discover", modern=True)).status_code == discover_status
        assert client.post(url, json=rpc(2, "initialize", INIT)).status_code == init_status


def test_transport_refusals(client: httpx.Client) -> None:
    with serve("healthy") as url:
        body = rpc(1, "server/discover", modern=True)
        assert client.post(url, json=body, headers={"Accept": "application/json"}).status_code == 406
        assert client.post(url, json=body, headers={"Origin": "http://evil.example"}).status_code == 403
        assert client.get(url).status_code == 405
        assert client.post(url.replace("/mcp", "/other"), json=body).status_code == 404
    with serve("crash") as url:
        assert client.post(url, json=body).status_code == 500


def test_garbage_and_hang(client: httpx.Client) -> None:
    with serve("garbage", sse=True) as url:
        text = client.post(url, json=rpc(1, "server/discover", modern=True)).text
        assert text.splitlines()[0] == "data: fixture server ready (deliberately not JSON)"
    server = RemoteServer("hang").start()
    try:
        with pytest.raises(httpx.ReadTimeout):
            client.post(server.url, json=rpc(1, "server/discover", modern=True), timeout=0.3)
    finally:
        server.stop()


def test_exit_after_handshake_stops_listening(client: httpx.Client) -> None:
    server = RemoteServer("exit_after_handshake").start()
    url = server.url
    answer = client.post(url, json=rpc(1, "server/discover", modern=True))
    assert "result" in answer.json() and answer.headers["connection"] == "close"
    assert server.stopping.is_set()  # stopped before answering: no race with the next request
    with pytest.raises(httpx.ConnectError):
        httpx.post(url, json=rpc(2, "tools/list", modern=True), headers=ACCEPT, timeout=2)


def test_module_entry_point_serves_until_terminated() -> None:
    proc = subprocess.Popen([sys.executable, "-m", "testing.servers.remote_server", "--behaviour", "add_tool"],
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
                            env={**os.environ, "PYTHONPATH": os.getcwd()})
    try:
        line = proc.stdout.readline()  # type: ignore[union-attr]
        url = line.strip().split("=", 1)[1]
        tools = httpx.post(url, json=rpc(1, "tools/list", modern=True), headers=ACCEPT, timeout=5).json()
        assert [t["name"] for t in tools["result"]["tools"]] == ["echo", "add", "reverse"]
    finally:
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=30) == 0  # seconds on a loaded 2-core CI; a hang still fails


@pytest.mark.parametrize("sse", [False, True])
def test_drift_tools_changes_the_listing_after_drift_after_answers(client: httpx.Client, sse: bool) -> None:
    def echo_description(url: str, rid: int) -> str:
        listed = messages(client.post(url, json=rpc(rid, "tools/list", modern=True)))[-1]["result"]["tools"]
        return next(str(t["description"]) for t in listed if t["name"] == "echo")

    server = RemoteServer("drift_tools,drift_after=2", sse=sse).start()
    try:
        first = [echo_description(server.url, i) for i in range(2)]
        assert first == ["Echo the text back."] * 2
        assert echo_description(server.url, 3) == DRIFTED_DESCRIPTION
    finally:
        server.stop()
    healthy = RemoteServer("healthy").start()
    try:
        assert echo_description(healthy.url, 1) == "Echo the text back."
        healthy.drift_tools()  # a test may also flip it at once
        assert echo_description(healthy.url, 2) == DRIFTED_DESCRIPTION
    finally:
        healthy.stop()
