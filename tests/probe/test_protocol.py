"""Protocol decisions of the probe's client, over a scripted in-memory transport: what
each answer to server/discover means, interleaved messages, pagination, framing, the
tool diff. Table tests, no processes: what the fixture servers cannot be made to say."""

from __future__ import annotations

import time
from collections import deque
from typing import Any, Callable, Mapping

import pytest

from mcpstate.probe import jsonrpc
from mcpstate.probe.http import sse_data
from mcpstate.probe.jsonrpc import DeadlineExceeded, Message, ProtocolViolation, RpcError
from mcpstate.probe.load import _percentile
from mcpstate.probe.session import Session
from mcpstate.probe.tools import schema_sha256, tool_infos

Script = Callable[[Message], list[Message]]
TOOLS = [{"name": "echo", "inputSchema": {"type": "object"}}]


class ScriptedTransport:
    """Answers each message by `script`; an empty inbox is a timeout, at once."""

    kind = "scripted"

    def __init__(self, script: Script) -> None:
        self.script, self.sent, self.inbox = script, [], deque()  # type: ignore[var-annotated]
        self.started = time.monotonic()

    def send(self, message: Mapping[str, Any], deadline: float) -> None:
        self.sent.append(dict(message))
        self.inbox.extend(self.script(dict(message)))

    def receive(self, deadline: float) -> Message:
        if not self.inbox:
            raise DeadlineExceeded("no answer in time")
        return self.inbox.popleft()

    def close(self) -> None: ...

    def stderr_tail(self) -> list[str]:
        return []


def ok(msg: Message, result: dict[str, Any]) -> list[Message]:
    return [{"jsonrpc": "2.0", "id": msg["id"], "result": result}]


def err(msg: Message, code: int, data: Any = None) -> list[Message]:
    return [{"jsonrpc": "2.0", "id": msg["id"], "error": {"code": code, "message": "no", "data": data}}]


DISCOVERED = {"supportedVersions": ["2026-07-28"], "capabilities": {"tools": {}}, "serverInfo": {"name": "m"}}
INITIALIZED = {"protocolVersion": "2025-06-18", "capabilities": {}, "serverInfo": {"name": "l"}}


def server(on_discover: Callable[[Message], list[Message]]) -> Script:
    def script(msg: Message) -> list[Message]:
        method = msg.get("method")
        if method == "server/discover":
            return on_discover(msg)
        if method == "initialize":
            return ok(msg, INITIALIZED)
        if method == "tools/list":
            return ok(msg, {"tools": TOOLS})
        return []
    return script


def handshake(script: Script) -> tuple[str, str, list[Message]]:
    transport = ScriptedTransport(script)
    result = Session(transport).handshake(time.monotonic() + 5)
    return result.generation, result.protocol_version, transport.sent


@pytest.mark.parametrize("answer, generation", [
    (lambda m: ok(m, DISCOVERED), "modern"),
    (lambda m: ok(m, {**DISCOVERED, "supportedVersions": ["2025-11-25"]}), "legacy"),  # a legacy advertisement
    (lambda m: err(m, -32601), "legacy"),  # TypeScript SDK servers
    (lambda m: err(m, -32602), "legacy"),  # Python SDK servers: never key on -32601 alone
    (lambda m: err(m, -32600), "legacy"),
    (lambda m: err(m, -32022, {"supported": ["2025-06-18"], "requested": "2026-07-28"}), "legacy"),
    (lambda m: [], "legacy"),  # silence: initialize follows the discover window
])
def test_what_the_discover_answer_means(answer: Script, generation: str) -> None:
    got, _, sent = handshake(server(answer))
    assert got == generation
    methods = [m.get("method") for m in sent]
    expected = ["server/discover"] if generation == "modern" else \
        ["server/discover", "initialize", "notifications/initialized"]
    assert methods == expected


@pytest.mark.parametrize("answer, modern", [(lambda m: ok(m, DISCOVERED), True), (lambda m: err(m, -32601), False)])
def test_modern_requests_carry_the_meta_and_legacy_ones_do_not(answer: Script, modern: bool) -> None:
    transport = ScriptedTransport(server(answer))
    session = Session(transport)
    session.handshake(time.monotonic() + 5)
    session.list_tools(time.monotonic() + 5)
    discover, tools_list = transport.sent[0], transport.sent[-1]
    assert tools_list["method"] == "tools/list"
    assert ("_meta" in tools_list["params"]) is modern
    meta = discover["params"]["_meta"]
    assert meta["io.modelcontextprotocol/protocolVersion"] == "2026-07-28"
    assert meta["io.modelcontextprotocol/clientCapabilities"] == {}
    assert meta["io.modelcontextprotocol/clientInfo"]["name"] == "mcpstate"


@pytest.mark.parametrize("code, data", [(-32021, {"requiredCapabilities": {"sampling": {}}}),
                                        (-32022, {"supported": ["2027-01-01"], "requested": "2026-07-28"})])
def test_a_modern_refusal_is_not_a_fallback(code: int, data: Any) -> None:
    with pytest.raises(RpcError) as caught:
        handshake(server(lambda m: err(m, code, data)))
    assert str(caught.value) == f"server/discover failed: error {code}: no"


def test_ignored_discover_is_noted_as_startup_time() -> None:
    session = Session(ScriptedTransport(server(lambda m: [])))
    assert session.handshake(time.monotonic() + 5).generation == "legacy"
    assert session.notes == ["server did not answer server/discover; initialize followed after 1 s, "
                             "which startup_ms includes"]


def test_late_discover_answer_after_the_fallback_still_means_modern() -> None:
    # A slow dual server: silence past the window, then it answers discover (in order)
    # and refuses the initialize that followed with -32022.
    held: list[Message] = []

    def script(msg: Message) -> list[Message]:
        if msg["method"] == "server/discover":
            held.append(msg)
            return []
        return ok(held[0], DISCOVERED) + err(msg, -32022, {"supported": ["2026-07-28"]})

    assert handshake(script)[0] == "modern"


def test_notifications_are_skipped_and_server_requests_refused() -> None:
    def script(msg: Message) -> list[Message]:
        if "method" not in msg:
            return []
        return [jsonrpc.notification("notifications/message", {"data": "hi"}),
                {"jsonrpc": "2.0", "id": "s1", "method": "roots/list"}] + ok(msg, DISCOVERED)

    transport = ScriptedTransport(script)
    session = Session(transport)
    assert session.handshake(time.monotonic() + 5).generation == "modern"
    assert transport.sent[1] == {"jsonrpc": "2.0", "id": "s1",
                                 "error": {"code": -32601, "message": "Method not found: roots/list"}}
    assert (session.skipped_notifications, session.refused_requests) == (1, 1)


def test_pagination_follows_cursors_and_refuses_loops() -> None:
    pages = {None: ("a", "p2"), "p2": ("b", "p3"), "p3": ("c", None)}

    def paged(msg: Message) -> list[Message]:
        name, cursor = pages[msg["params"].get("cursor")]
        result: dict[str, Any] = {"tools": [{"name": name}]}
        return ok(msg, result if cursor is None else {**result, "nextCursor": cursor})

    session = Session(ScriptedTransport(paged))
    assert [t["name"] for t in session.list_tools(time.monotonic() + 5)] == ["a", "b", "c"]
    looping = Session(ScriptedTransport(lambda m: ok(m, {"tools": [], "nextCursor": "again"})))
    with pytest.raises(ProtocolViolation, match="pagination does not end"):
        looping.list_tools(time.monotonic() + 5)


def test_modern_results_missing_required_fields_are_noted() -> None:
    session = Session(ScriptedTransport(server(lambda m: ok(m, DISCOVERED))))
    session.handshake(time.monotonic() + 5)
    session.list_tools(time.monotonic() + 5)
    assert session.notes == [
        "server/discover result lacks resultType, ttlMs, cacheScope, required by 2026-07-28 (strict clients reject it)",
        "tools/list result lacks resultType, ttlMs, cacheScope, required by 2026-07-28 (strict clients reject it)",
    ]


# -- framing -----------------------------------------------------------------------------

def test_decode_accepts_objects_and_batches_only() -> None:
    answer = {"jsonrpc": "2.0", "id": 1, "result": {}}
    assert jsonrpc.decode(b'{"jsonrpc":"2.0","id":1,"result":{}}', "line") == [answer]
    assert len(jsonrpc.decode('[{"a":1},{"b":2}]', "line")) == 2
    with pytest.raises(ProtocolViolation, match="non-JSON line: 'Listening on port 3000'"):
        jsonrpc.decode(b"Listening on port 3000", "line")
    with pytest.raises(ProtocolViolation, match="not a JSON-RPC message"):
        jsonrpc.decode(b"42", "line")
    assert jsonrpc.encode({"a": "x\ny"}).count(b"\n") == 1  # one message, one line


def test_sse_events_carry_data_only() -> None:
    stream = [": comment", "id: 0", "data:", "", "event: message", 'data: {"a":', 'data: 1}', "", "retry: 10",
              "data: last"]
    assert list(sse_data(stream)) == ['{"a":\n1}', "last"]


# -- tools --------------------------------------------------------------------------------

def test_tool_hash_ignores_key_order() -> None:
    assert schema_sha256({"a": 1, "b": 2}) == schema_sha256({"b": 2, "a": 1})


# mcp-server-time 2026.8.18 -> 2026.10.19 (its SDK moved from mcp 1 to 2): pydantic now
# titles the schema and each property; nothing a caller sends is refused because of it.
TIME_BEFORE = {"type": "object", "required": ["timezone"],
               "properties": {"timezone": {"type": "string", "description": "IANA name"}}}
TIME_AFTER = {"type": "object", "required": ["timezone"], "title": "get_current_timeArguments",
              "properties": {"timezone": {"type": "string", "description": "IANA name", "title": "Timezone"}}}


@pytest.mark.parametrize(("after", "breaking"), [
    (TIME_AFTER, False),
    ({**TIME_BEFORE, "properties": {**TIME_BEFORE["properties"], "fmt": {"type": "string"}}}, False),
    ({**TIME_BEFORE, "properties": {}}, True),  # a property removed
    ({**TIME_BEFORE, "required": ["timezone", "fmt"],
      "properties": {**TIME_BEFORE["properties"], "fmt": {"type": "string"}}}, True),  # newly required
    ({**TIME_BEFORE, "properties": {"timezone": {"type": "integer"}}}, True),  # a type changed
])
def test_only_schema_changes_that_refuse_old_calls_are_breaking(after: dict[str, Any], breaking: bool) -> None:
    from mcpstate.probe.surfacediff import diff_surfaces

    diff = diff_surfaces(({"name": "get_current_time", "inputSchema": TIME_BEFORE},),
                         ({"name": "get_current_time", "inputSchema": after},))
    assert [c.tool for c in diff.changed] == ["get_current_time"]
    assert diff.breaking is breaking


def test_tool_without_a_name_is_a_violation() -> None:
    with pytest.raises(ProtocolViolation, match="tool without a name"):
        tool_infos([{"description": "nameless"}])


def test_percentile_is_a_latency_that_was_observed() -> None:
    assert _percentile([], 0.95) is None
    assert _percentile([float(i) for i in range(1, 101)], 0.95) == 95.0
    assert _percentile([1.0, 9.0], 0.50) == 1.0
