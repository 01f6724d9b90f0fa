"""The one local HTTP server the registries build on: stdlib, threaded, bound to
127.0.0.1 on an ephemeral port, with a request log, ETag/If-None-Match, and fault
injection per path so registry-client tests can make an endpoint fail on purpose.

    registry.inject("/@mcpstate-fixture/server", 500)          # next request: 500, then normal
    registry.inject("/simple/x/", "hang", sticky=True)       # every request hangs until stop
    registry.inject(path, "malformed")                       # 200 with a truncated JSON body

GET and HEAD go to `resolve(method, path, headers)`; POST to `resolve_post(path, headers,
body)` (405 unless a subclass answers it, as the OSV API does).
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import unquote, urlsplit

HANG_LIMIT_S = 300.0  # a hung request is released after this, or at stop()
ACTIONS = ("hang", "malformed", "reset", "ok")


@dataclass
class Reply:
    status: int = 200
    body: bytes = b""
    content_type: str = "application/json"
    headers: dict[str, str] = field(default_factory=dict)
    etag: bool = True  # metadata gets an ETag; redirects and errors do not need one

    @classmethod
    def json(cls, data: Any, status: int = 200, content_type: str = "application/json") -> Reply:
        return cls(status, json.dumps(data, indent=1).encode(), content_type)

    @classmethod
    def not_found(cls, what: str) -> Reply:
        return cls(404, json.dumps({"error": f"Not found: {what}"}).encode(), etag=False)


@dataclass(frozen=True)
class Seen:
    method: str
    path: str  # as sent, %-escapes kept
    headers: dict[str, str]
    body: bytes = b""  # a POST's request body


class LocalServer:
    """Base of the local registries: subclasses implement `resolve(path, headers)`."""

    name = "local server"

    def __init__(self) -> None:
        self.requests: list[Seen] = []
        self._faults: dict[str, deque[int | str]] = {}
        self._sticky: set[str] = set()
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle ------------------------------------------------------------------
    def start(self) -> LocalServer:
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self._httpd.daemon_threads = True
        self._httpd.owner = self  # type: ignore[attr-defined]
        # A short poll interval makes stop() quick (shutdown waits for the next poll).
        self._thread = threading.Thread(target=self._httpd.serve_forever, args=(0.05,), name=self.name,
                                        daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()  # releases hung requests
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None

    @property
    def origin(self) -> str:
        assert self._httpd is not None, f"{self.name} is not started"
        return f"http://127.0.0.1:{self._httpd.server_address[1]}"

    # -- fault injection --------------------------------------------------------------
    def inject(self, path: str, *actions: int | str, sticky: bool = False) -> None:
        """Queue what the next requests to `path` get: an HTTP status (500, 404, ...),
        "hang", "malformed" (200, broken JSON), "reset" (connection closed, no reply)
        or "ok" (served normally). With sticky, the last action repeats forever."""
        for action in actions:
            if not isinstance(action, int) and action not in ACTIONS:
                raise ValueError(f"unknown fault {action!r}; use a status code or one of {ACTIONS}")
        key = _fault_key(path)
        with self._lock:
            self._faults.setdefault(key, deque()).extend(actions)
            (self._sticky.add if sticky else self._sticky.discard)(key)

    def clear_faults(self) -> None:
        with self._lock:
            self._faults.clear()
            self._sticky.clear()

    def reset(self) -> None:
        """Back to as started: no faults, an empty request log (the plugin calls this
        after each test that used the world)."""
        self.clear_faults()
        self.requests.clear()

    def _next_fault(self, path: str) -> int | str | None:
        key = _fault_key(path)
        with self._lock:
            queue = self._faults.get(key)
            if not queue:
                return None
            return queue[0] if key in self._sticky and len(queue) == 1 else queue.popleft()

    def hits(self, path: str) -> int:
        """How many requests reached `path` (any spelling of its escapes)."""
        key = _fault_key(path)
        return sum(1 for seen in self.requests if _fault_key(seen.path) == key)

    def resolve(self, method: str, path: str, headers: dict[str, str]) -> Reply:
        raise NotImplementedError

    def resolve_post(self, path: str, headers: dict[str, str], body: bytes) -> Reply:
        return Reply(405, json.dumps({"error": "POST is not served here"}).encode(), etag=False)


def _fault_key(path: str) -> str:
    return unquote(urlsplit(path).path).rstrip("/").lower() or "/"


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as npm and pip expect
    disable_nagle_algorithm = True  # else each keep-alive answer waits ~40 ms for a delayed ACK
    server_version = "mcpstate-fixture"

    @property
    def owner(self) -> LocalServer:
        return self.server.owner  # type: ignore[attr-defined,no-any-return]

    def do_GET(self) -> None:
        self._serve("GET")

    def do_HEAD(self) -> None:
        self._serve("HEAD")

    def do_POST(self) -> None:
        self._serve("POST")

    def _serve(self, method: str) -> None:
        headers = {k.lower(): v for k, v in self.headers.items()}
        body = self.rfile.read(int(headers.get("content-length") or 0)) if method == "POST" else b""
        self.owner.requests.append(Seen(method, self.path, headers, body))
        fault = self.owner._next_fault(self.path)
        if fault == "hang":
            self.owner._stopping.wait(HANG_LIMIT_S)
            self.close_connection = True
            return
        if fault == "reset":
            self.close_connection = True
            return
        if isinstance(fault, int):
            reply = Reply(fault, json.dumps({"error": f"injected {fault}"}).encode(), etag=False)
        else:
            reply = (self.owner.resolve_post(self.path, headers, body) if method == "POST"
                     else self.owner.resolve(method, self.path, headers))
            if fault == "malformed":
                reply = Reply(200, reply.body[: max(1, len(reply.body) // 2)] or b"{", reply.content_type,
                              etag=False)
        self._send(method, reply, headers.get("if-none-match"))

    def _send(self, method: str, reply: Reply, if_none_match: str | None) -> None:
        status, body, extra = reply.status, reply.body, dict(reply.headers)
        if reply.etag and status == 200:
            extra["ETag"] = '"' + hashlib.sha256(body).hexdigest()[:32] + '"'
            if if_none_match and extra["ETag"] in (t.strip() for t in if_none_match.split(",")):
                status, body = 304, b""
        self.send_response(status)
        if status != 304:
            self.send_header("Content-Type", reply.content_type)
        self.send_header("Content-Length", str(len(body)))
        for key, value in extra.items():
            self.send_header(key, value)
        self.end_headers()
        if method != "HEAD":
            self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
        pass  # the request log is self.owner.requests; stderr stays quiet for pytest
