"""The MCP client over any transport: both protocol generations, tools/list, tools/call.

Generations (spec sources, read 2026-11):
- modern, 2026-07-28: no handshake; every request carries `_meta` with
  `io.modelcontextprotocol/protocolVersion`, `.../clientCapabilities`, `.../clientInfo`;
  servers MUST implement `server/discover` (specification/2026-07-28/server/discover).
- legacy, 2025-11-25 and earlier: `initialize`, then `notifications/initialized`
  (specification/2025-11-25/basic/lifecycle).
Telling them apart on stdio (spec PR #2844, "stdio: Backward Compatibility"): send
`server/discover` first; a result or a modern error (-32020/-32021/-32022) means modern;
any other error, or no answer within a short timeout, means legacy.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any, Collection, Mapping, Protocol

from mcpstate.probe import jsonrpc
from mcpstate.probe.jsonrpc import DeadlineExceeded, Message, ProtocolViolation, RpcError

MODERN_VERSION = "2026-07-28"
LEGACY_VERSION = "2025-11-25"
LEGACY_VERSIONS = ("2025-11-25", "2025-06-18", "2025-03-26", "2024-11-05", "2024-10-07")
DISCOVER_WINDOW_S = 1.0  # a legacy server may ignore server/discover; initialize follows then
MAX_PAGES = 1000
META = "io.modelcontextprotocol/"
# Result fields the 2026-07-28 schema requires (resultType: SEP-2322; ttlMs and
# cacheScope: SEP-2549). The probe reads results without them, but strict clients
# (the official Python SDK 2.x) reject them, so the report warns.
MODERN_REQUIRED = {
    "server/discover": ("supportedVersions", "capabilities", "resultType", "ttlMs", "cacheScope"),
    "tools/list": ("tools", "resultType", "ttlMs", "cacheScope"),
    "tools/call": ("content", "resultType"),
}


class Transport(Protocol):
    kind: str
    started: float  # time.monotonic() at spawn (stdio) or at the first request (http)

    def start(self) -> None: ...
    def send(self, message: Mapping[str, Any], deadline: float) -> None: ...
    def receive(self, deadline: float) -> Message: ...
    def close(self) -> None: ...
    def stderr_tail(self) -> list[str]: ...


@dataclass(frozen=True)
class Handshake:
    generation: str  # "modern" | "legacy"
    protocol_version: str
    server_info: Mapping[str, Any]
    capabilities: Mapping[str, Any]
    answered_at: float  # time.monotonic() when the deciding answer arrived


def client_info() -> dict[str, str]:
    from mcpstate import __version__

    return {"name": "mcpstate", "version": __version__}


def modern_meta() -> dict[str, Any]:
    return {f"{META}protocolVersion": MODERN_VERSION, f"{META}clientCapabilities": {},
            f"{META}clientInfo": client_info()}


class Session:
    """Requests and their answers over one transport. Between answers, notifications
    are skipped and server->client requests are refused with -32601: a health probe
    offers no sampling, roots or elicitation."""

    def __init__(self, transport: Transport) -> None:
        self.transport = transport
        self.meta: dict[str, Any] | None = None  # set once the server is known modern
        self._last_id = 0
        self.skipped_notifications = 0
        self.refused_requests = 0
        self.notes: list[str] = []  # conformance warnings, one per method at most

    # -- plumbing ---------------------------------------------------------------

    def send_request(self, method: str, params: Mapping[str, Any], deadline: float) -> int:
        self._last_id += 1
        if self.meta is not None:
            params = {**params, "_meta": self.meta}
        self.transport.send(jsonrpc.request(self._last_id, method, params), deadline)
        return self._last_id

    def wait_response(self, ids: Collection[Any], deadline: float) -> Message:
        """The answer to one of `ids`; late answers to abandoned requests are dropped."""
        while True:
            message = self.transport.receive(deadline)
            kind = jsonrpc.kind(message)
            rid = message.get("id")
            if kind == "response" and isinstance(rid, (int, str)) and rid in ids:
                return message
            if kind == "request":
                self.refused_requests += 1
                refusal = jsonrpc.error_response(message["id"], jsonrpc.METHOD_NOT_FOUND,
                                                 f"Method not found: {message['method']}")
                self.transport.send(refusal, deadline)
            elif kind == "notification":
                self.skipped_notifications += 1

    def call(self, method: str, params: Mapping[str, Any], deadline: float) -> dict[str, Any]:
        rid = self.send_request(method, params, deadline)
        result = result_of(method, self.wait_response((rid,), deadline))
        if self.meta is not None:
            self._check_modern(method, result)
        return result

    def _check_modern(self, method: str, result: Mapping[str, Any]) -> None:
        missing = [key for key in MODERN_REQUIRED.get(method, ()) if key not in result]
        note = f"{method} result lacks {', '.join(missing)}, required by {MODERN_VERSION} (strict clients reject it)"
        if missing and note not in self.notes:
            self.notes.append(note)

    # -- the protocol -----------------------------------------------------------

    def handshake(self, deadline: float) -> Handshake:
        """Discover first; fall back to initialize on a legacy answer or on silence.
        Both may be in flight: whichever answer decides first wins."""
        pending = {self.send_request("server/discover", {"_meta": modern_meta()}, deadline): "discover"}
        window_end = min(time.monotonic() + DISCOVER_WINDOW_S, deadline)
        while True:
            waiting_for_initialize = "initialize" in pending.values()
            try:
                message = self.wait_response(pending, deadline if waiting_for_initialize else window_end)
            except DeadlineExceeded:
                if waiting_for_initialize or time.monotonic() >= deadline:
                    raise
                pending[self._send_initialize(deadline)] = "initialize"
                continue
            what = pending.pop(message["id"])
            decided = (self._on_discover(message, pending, deadline) if what == "discover"
                       else self._on_initialize(message, pending, deadline))
            if decided is not None:
                return decided

    def _on_discover(self, message: Message, pending: dict[int, str], deadline: float) -> Handshake | None:
        if "result" in message and _lists_modern(message["result"]):
            return self._adopt_modern(message["result"])
        error = RpcError("server/discover", jsonrpc.as_object(message.get("error")))
        if "error" in message and not _means_legacy(error):
            raise error
        if "initialize" not in pending.values():
            pending[self._send_initialize(deadline)] = "initialize"
        return None

    def _on_initialize(self, message: Message, pending: dict[int, str], deadline: float) -> Handshake | None:
        if "result" in message:
            if pending:  # discover never answered: the fallback window is in startup_ms
                self.notes.append(f"server did not answer server/discover; initialize followed after "
                                  f"{DISCOVER_WINDOW_S:g} s, which startup_ms includes")
            return self._adopt_legacy(message["result"], deadline)
        error = RpcError("initialize", jsonrpc.as_object(message.get("error")))
        if error.code == jsonrpc.UNSUPPORTED_PROTOCOL_VERSION and pending:
            return None  # a modern server refusing initialize: our discover's answer is coming
        raise error

    def _send_initialize(self, deadline: float) -> int:
        params = {"protocolVersion": LEGACY_VERSION, "capabilities": {}, "clientInfo": client_info()}
        return self.send_request("initialize", params, deadline)

    def _adopt_modern(self, result: Mapping[str, Any]) -> Handshake:
        self.meta = modern_meta()
        self._check_modern("server/discover", result)
        return Handshake("modern", MODERN_VERSION, jsonrpc.as_object(result.get("serverInfo")),
                         jsonrpc.as_object(result.get("capabilities")), time.monotonic())

    def _adopt_legacy(self, result: Any, deadline: float) -> Handshake:
        answered_at = time.monotonic()
        if not isinstance(result, dict) or not isinstance(result.get("protocolVersion"), str):
            raise ProtocolViolation("server answered initialize without a protocolVersion")
        self.transport.send(jsonrpc.notification("notifications/initialized"), deadline)
        return Handshake("legacy", result["protocolVersion"], jsonrpc.as_object(result.get("serverInfo")),
                         jsonrpc.as_object(result.get("capabilities")), answered_at)

    def list_tools(self, deadline: float) -> list[dict[str, Any]]:
        """Every page of tools/list, following nextCursor."""
        tools: list[dict[str, Any]] = []
        cursor: Any = None
        seen: set[str] = set()
        while True:
            result = self.call("tools/list", {} if cursor is None else {"cursor": cursor}, deadline)
            page = result.get("tools")
            if not isinstance(page, list) or not all(isinstance(t, dict) for t in page):
                raise ProtocolViolation("server answered tools/list without a list of tools")
            tools.extend(page)
            cursor = result.get("nextCursor")
            if cursor is None:
                return tools
            if not isinstance(cursor, str) or cursor in seen or len(seen) >= MAX_PAGES:
                raise ProtocolViolation(f"server's tools/list pagination does not end (cursor {cursor!r} repeats)")
            seen.add(cursor)

    def call_tool(self, name: str, arguments: Mapping[str, Any], deadline: float) -> dict[str, Any]:
        return self.call("tools/call", {"name": name, "arguments": dict(arguments)}, deadline)


def result_of(method: str, message: Message) -> dict[str, Any]:
    """The result object of a response, or the RpcError it carries."""
    if "error" in message:
        error = message["error"]
        raise RpcError(method, error if isinstance(error, dict) else {"message": str(error)})
    result = message.get("result")
    if not isinstance(result, dict):
        raise ProtocolViolation(f"server answered {method} without a result object")
    return result


def _lists_modern(result: Any) -> bool:
    # A discover result naming only handshake-era versions is a legacy advertisement
    # (the official SDKs fall back on it too).
    return isinstance(result, dict) and MODERN_VERSION in (result.get("supportedVersions") or ())


def _means_legacy(error: RpcError) -> bool:
    """Any non-modern error means legacy; so does UnsupportedProtocolVersion when the
    server lists a handshake-era version we can speak instead."""
    if error.code == jsonrpc.UNSUPPORTED_PROTOCOL_VERSION:
        supported = error.data.get("supported") if isinstance(error.data, dict) else None
        return isinstance(supported, list) and any(v in LEGACY_VERSIONS for v in supported)
    return not error.is_modern

