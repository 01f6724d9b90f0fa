"""The Streamable HTTP transport: each JSON-RPC message is one POST; the answer is a
JSON body or an SSE stream of messages (specification/2025-11-25/basic/transports,
and 2026-07-28 for the modern headers).

Requests are POSTed from worker threads and their answers queued, so the session
reads HTTP exactly as it reads a pipe: pipelining and deadlines work the same.
Notifications and our answers to server requests are POSTed synchronously, so a
legacy server sees `notifications/initialized` before anything after it."""

from __future__ import annotations

import itertools
import queue
import time
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any, Iterable, Iterator, Mapping

from mcpstate.probe import jsonrpc
from mcpstate.probe.interrupt import Cancelled, cancelled
from mcpstate.probe.jsonrpc import AuthorizationRequired, DeadlineExceeded, Message, ProbeFailure, ServerGone
from mcpstate.probe.launch import Launch
from mcpstate.secrets.detect import looks_secret

if TYPE_CHECKING:
    import httpx

ACCEPT = "application/json, text/event-stream"
LEGACY_FALLBACK_STATUSES = (400, 404, 405)  # how a legacy server refuses server/discover
NAMED_METHODS = {"tools/call": "name", "prompts/get": "name", "resources/read": "uri"}
META_VERSION = "io.modelcontextprotocol/protocolVersion"
DELETE_TIMEOUT_S = 1.0
AUTH_SCHEMES = frozenset({"bearer", "basic", "token", "digest"})
CHALLENGE_CHARS = 200  # a WWW-Authenticate value quoted in a report line
CANCEL_CHECK_S = 0.1  # how soon a probe on a worker thread notices Ctrl-C


class HttpTransport:
    kind = "http"

    def __init__(self, launch: Launch, timeout_s: float, workers: int = 1) -> None:
        from mcpstate.httpclient import make_client

        self.url = launch.url or ""
        self._client = make_client(timeout=timeout_s, max_connections=max(2, workers), headers=dict(launch.headers))
        self._credentials = has_credentials(launch.headers)
        self._pool = ThreadPoolExecutor(max(2, workers), thread_name_prefix="mcpstate-http")
        self._inbox: queue.Queue[Message | Exception] = queue.Queue()
        self._session_id: str | None = None  # legacy only: from the initialize answer
        self._version: str | None = None  # legacy only: negotiated by initialize
        self.started = time.monotonic()  # after the client exists: importing httpx is not the server's time

    def send(self, message: Mapping[str, Any], deadline: float) -> None:
        message = dict(message)
        if jsonrpc.kind(message) == "request":
            self._pool.submit(self._post_to_inbox, message, deadline)
            return
        for answer in self._post(message, deadline):
            self._inbox.put(answer)

    def start(self) -> None:
        """Nothing to start: the first POST is the server's start."""

    def receive(self, deadline: float) -> Message:
        while True:
            # A queue cannot wait on the cancel pipe too: look at it between short waits.
            wait = min(CANCEL_CHECK_S, max(0.0, deadline - time.monotonic()))
            try:
                item = self._inbox.get(timeout=wait)
                break
            except queue.Empty:
                if cancelled():
                    raise Cancelled("mcpstate was interrupted") from None
                if time.monotonic() >= deadline:
                    raise DeadlineExceeded("no answer in time") from None
        if isinstance(item, Exception):  # a ProbeFailure, or a bug in a worker thread
            raise item
        return item

    def stderr_tail(self) -> list[str]:
        return []  # a remote server's logs are not ours to read

    def close(self) -> None:
        try:
            if self._session_id is not None and not cancelled():  # interrupted: no goodbyes
                self._end_session()
        finally:
            self._pool.shutdown(wait=False, cancel_futures=True)
            self._client.close()  # in-flight POSTs fail at once and their threads end

    # -- one POST -----------------------------------------------------------------

    def _post_to_inbox(self, message: Message, deadline: float) -> None:
        try:
            for answer in self._post(message, deadline):
                self._inbox.put(answer)
        except Exception as exc:  # noqa: BLE001 - handed over, not dropped: receive() raises it
            self._inbox.put(exc)

    def _post(self, message: Message, deadline: float) -> Iterator[Message]:
        import httpx

        timeout = max(0.05, deadline - time.monotonic())
        try:
            with self._client.stream("POST", self.url, json=message, headers=self._headers(message),
                                     timeout=timeout) as response:
                yield from self._answers(response, message)
        except httpx.TimeoutException:
            return  # nothing arrives; the reader's own deadline reports the hang
        except httpx.HTTPError as exc:
            raise ServerGone(f"is unreachable at {self.url}: {exc}") from None
        except httpx.InvalidURL as exc:
            raise ProbeFailure(f"cannot probe {self.url!r}: {exc}") from None

    def _answers(self, response: httpx.Response, sent: Message) -> Iterator[Message]:
        self._session_id = self._session_id or response.headers.get("mcp-session-id")
        if response.status_code in (202, 204):
            return
        if response.status_code == 401:
            raise self._unauthorized(response)
        if response.status_code in LEGACY_FALLBACK_STATUSES and "id" in sent:
            yield _refusal(response, sent)
            return
        if not response.is_success:
            raise ServerGone(f"answered HTTP {response.status_code} {response.reason_phrase}")
        # Each message is queued as it arrives, and the stream read to its end (the
        # server closes it after the answer): a half-read stream would cost the
        # connection, and the session waits only for the answer, not for this.
        for message in self._parse(response, sent):
            self._note_initialize(sent, message)
            yield message

    def _unauthorized(self, response: httpx.Response) -> ProbeFailure:
        """401: sign-in required (no credentials given), refused credentials, or a 401
        that names no way to sign in, which no client can follow."""
        challenge = " ".join(response.headers.get("www-authenticate", "").split())[:CHALLENGE_CHARS]
        status = f"{response.status_code}, WWW-Authenticate: {challenge}" if challenge else "401"
        if not challenge:
            return ProbeFailure(f"server answered HTTP 401 {response.reason_phrase} without a WWW-Authenticate "
                                "challenge: no client can sign in to it (check the url and the headers)")
        if self._credentials:
            return ProbeFailure(f"the server refused the credentials given: {status} "
                                "(check the token the lockfile's headers reference)")
        return AuthorizationRequired(f"authorization required ({status}): the client will sign in; "
                                     "the tool surface cannot be read")

    def _parse(self, response: httpx.Response, sent: Message) -> Iterator[Message]:
        if response.headers.get("content-type", "").startswith("text/event-stream"):
            for data in sse_data(response.iter_lines()):
                yield from jsonrpc.decode(data, "SSE event")
        else:
            yield from jsonrpc.decode(response.read(), "HTTP body")

    def _note_initialize(self, sent: Message, message: Message) -> None:
        result = message.get("result")
        if sent.get("method") == "initialize" and message.get("id") == sent.get("id") and isinstance(result, dict):
            version = result.get("protocolVersion")
            self._version = version if isinstance(version, str) else None

    def _headers(self, message: Message) -> dict[str, str]:
        headers = {"Accept": ACCEPT}
        params = jsonrpc.as_object(message.get("params"))
        meta = jsonrpc.as_object(params.get("_meta"))
        if META_VERSION in meta:  # modern: mirror the body for intermediaries (SEP-2243)
            headers["MCP-Protocol-Version"] = str(meta[META_VERSION])
            headers["Mcp-Method"] = str(message["method"])
            name = params.get(NAMED_METHODS.get(message["method"], ""))
            if isinstance(name, str) and name.isascii():
                headers["Mcp-Name"] = name
            return headers
        if self._session_id:
            headers["Mcp-Session-Id"] = self._session_id
        if self._version:
            headers["MCP-Protocol-Version"] = self._version
        return headers

    def _end_session(self) -> None:
        import httpx

        headers = {"Mcp-Session-Id": self._session_id or "", "MCP-Protocol-Version": self._version or ""}
        try:
            self._client.delete(self.url, headers=headers, timeout=DELETE_TIMEOUT_S)
        except httpx.HTTPError:
            pass  # the test is over; a session the server keeps expires on its own


def has_credentials(headers: Mapping[str, str]) -> bool:
    """Whether the lockfile gave this server credentials: an Authorization header, or one
    named like a credential, with a value left after the auth scheme (a `${TOKEN:-}`
    that resolved to nothing gives none)."""
    return any(looks_secret(name) and _credential(value) for name, value in headers.items())


def _credential(value: str) -> str:
    words = value.split()
    if words and words[0].lower() in AUTH_SCHEMES:
        words = words[1:]
    return " ".join(words)


def _refusal(response: httpx.Response, sent: Message) -> Message:
    """A 4xx to a request, as the JSON-RPC error the session weighs: the server's own
    error when its body has one (a modern error keeps its code), else a plain -32600."""
    try:
        messages = jsonrpc.decode(response.read(), "HTTP body")
    except ProbeFailure:
        messages = []  # an HTML error page, say: the status is the answer
    error = next((m["error"] for m in messages if isinstance(m.get("error"), dict)), None)
    text = f"HTTP {response.status_code} {response.reason_phrase}"
    return {"jsonrpc": "2.0", "id": sent["id"], "error": error or {"code": -32600, "message": text}}


def sse_data(lines: Iterable[str]) -> Iterator[str]:
    """The data of each server-sent event; events without data (priming events,
    comments, retry hints) carry no message."""
    data: list[str] = []
    for line in itertools.chain(lines, [""]):  # the end of the stream ends the last event too
        if not line:
            if "".join(data).strip():
                yield "\n".join(data)
            data = []
        elif line.startswith("data:"):
            data.append(line[5:].removeprefix(" "))
