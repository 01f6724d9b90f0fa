"""JSON-RPC 2.0 framing for the probe: encoding, decoding, message kinds, and the
failures that end a probe. Transport-neutral: stdio and HTTP both use it."""

from __future__ import annotations

import json
from typing import Any, Mapping

from mcpstate.errors import ProbeError

METHOD_NOT_FOUND = -32601
# The errors only a 2026-07-28 ("modern") server sends: HeaderMismatch,
# MissingRequiredClientCapability, UnsupportedProtocolVersion. Any other error to
# server/discover means a legacy server (spec PR modelcontextprotocol#2844).
HEADER_MISMATCH = -32020
MISSING_CLIENT_CAPABILITY = -32021
UNSUPPORTED_PROTOCOL_VERSION = -32022
MODERN_ERRORS = frozenset({HEADER_MISMATCH, MISSING_CLIENT_CAPABILITY, UNSUPPORTED_PROTOCOL_VERSION})

Message = dict[str, Any]


class ProbeFailure(ProbeError):
    """Ends the probe; its message is the report's one-line reason."""


class DeadlineExceeded(ProbeFailure):
    """No answer before the deadline."""


class ProtocolViolation(ProbeFailure):
    """The server sent something that is not JSON-RPC (a stray print on stdout, say)."""


class AuthorizationRequired(ProbeFailure):
    """A 401 with a WWW-Authenticate challenge to a probe that was given no credentials:
    the server wants its client to sign in (MCP authorization, 2025-11-25: a protected
    server answers 401 naming its resource metadata). Not a failure of the server; the
    tool surface cannot be read without a sign-in, which a health test cannot do."""


class ServerGone(ProbeFailure):
    """The server process exited or closed its output, or the connection failed."""

    def __init__(self, message: str, exit_code: int | None = None, last_stderr: str = "") -> None:
        super().__init__(message)
        self.exit_code = exit_code
        self.last_stderr = last_stderr


class RpcError(ProbeFailure):
    """The server answered a request with a JSON-RPC error."""

    def __init__(self, method: str, error: Mapping[str, Any]) -> None:
        self.method = method
        self.code = error.get("code") if isinstance(error.get("code"), int) else None
        self.message = str(error.get("message", ""))
        self.data = error.get("data")
        super().__init__(f"{method} failed: error {self.code}: {self.message}")

    @property
    def is_modern(self) -> bool:
        return self.code in MODERN_ERRORS


def request(rid: int, method: str, params: Mapping[str, Any] | None = None) -> Message:
    message: Message = {"jsonrpc": "2.0", "id": rid, "method": method}
    if params is not None:
        message["params"] = dict(params)
    return message


def notification(method: str, params: Mapping[str, Any] | None = None) -> Message:
    message: Message = {"jsonrpc": "2.0", "method": method}
    if params is not None:
        message["params"] = dict(params)
    return message


def error_response(rid: Any, code: int, text: str) -> Message:
    return {"jsonrpc": "2.0", "id": rid, "error": {"code": code, "message": text}}


def encode(message: Mapping[str, Any]) -> bytes:
    """One message as one line: compact JSON never holds a raw newline."""
    return json.dumps(message, separators=(",", ":"), ensure_ascii=False).encode() + b"\n"


def decode(raw: bytes | str, where: str) -> list[Message]:
    """The messages in one line or body (a JSON array is a batch); anything else is a
    ProtocolViolation quoting the start of what was sent."""
    try:
        value = json.loads(raw)
    except ValueError:
        raise ProtocolViolation(f"server wrote a non-JSON {where}: {_quote(raw)}") from None
    items = value if isinstance(value, list) else [value]
    if not items or not all(isinstance(item, dict) for item in items):
        raise ProtocolViolation(f"server wrote a {where} that is not a JSON-RPC message: {_quote(raw)}")
    return items


def as_object(value: Any) -> dict[str, Any]:
    """`value` if it is a JSON object, else an empty one: servers send odd shapes."""
    return value if isinstance(value, dict) else {}


def kind(message: Mapping[str, Any]) -> str:
    """'request', 'notification' or 'response' (result or error)."""
    if isinstance(message.get("method"), str):
        return "request" if "id" in message else "notification"
    return "response"


def _quote(raw: bytes | str, limit: int = 80) -> str:
    text = raw.decode(errors="replace") if isinstance(raw, bytes) else raw
    text = text.strip()
    return repr(text if len(text) <= limit else text[:limit] + "...")
