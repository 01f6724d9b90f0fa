"""GET with the manners a registry expects, over the one shared httpx client.

Retries: a 429, a 5xx or a failed connection is retried a few times with a short
exponential backoff (a Retry-After up to MAX_RETRY_AFTER_S is honoured; a longer
one fails at once, saying so, rather than stalling a CLI for minutes). A timeout
is not retried: a registry that hung once for the whole timeout will most likely
hang again, and the user is better served by a prompt, clear error.
POST (OSV's query batch) gets the same retries and messages, and no cache.
ETags: an answer with an ETag is kept for the run and revalidated with
If-None-Match, so a package asked for twice costs one transfer.
Concurrency: `map_concurrent` runs lookups on a small thread pool that shares
the client (httpx.Client is thread-safe; its pool bounds the connections).
"""

from __future__ import annotations

import json
import random
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, TypeVar

import httpx

from mcpstate.errors import RegistryError

RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
ATTEMPTS = 3
BACKOFF_S = 0.2
MAX_RETRY_AFTER_S = 10.0
MAX_WORKERS = 8
MIRROR_HINT = "point MCPSTATE_NPM_REGISTRY / MCPSTATE_PYPI_INDEX at a mirror"

T = TypeVar("T")
R = TypeVar("R")


@dataclass(frozen=True)
class Answer:
    url: str  # after redirects: relative links resolve against it
    content_type: str
    body: bytes

    def json(self) -> Any:
        try:
            return json.loads(self.body)
        except ValueError as exc:  # JSONDecodeError and UnicodeDecodeError
            raise RegistryError(f"{self.url} answered malformed JSON ({exc}); "
                                "is this URL really a package registry?") from None


class Fetcher:
    """GETs through `client` with retries, an ETag cache and errors a user can act on."""

    def __init__(self, client: httpx.Client, *, attempts: int = ATTEMPTS,
                 backoff_s: float = BACKOFF_S, sleep: Callable[[float], None] = time.sleep,
                 mirror_hint: str = MIRROR_HINT) -> None:
        self.client = client
        self.mirror_hint = mirror_hint
        self.attempts = attempts
        self.backoff_s = backoff_s
        self.sleep = sleep
        self._etags: dict[tuple[str, str], tuple[str, Answer]] = {}
        self._lock = threading.Lock()

    def get(self, url: str, *, accept: str, not_found: str) -> Answer:
        """The answer to GET `url`; `not_found` is the hint given for a 404."""
        headers = {"Accept": accept}
        cached = self._cached(url, accept)
        if cached is not None:
            headers["If-None-Match"] = cached[0]
        response = self._send(url, headers)
        if response.status_code == 304 and cached is not None:
            return cached[1]
        if response.status_code == 404:
            raise RegistryError(f"{not_found} (GET {url} answered 404)")
        if response.status_code != 200:
            raise RegistryError(f"GET {url} answered {response.status_code} "
                                f"{response.reason_phrase}{_retry_hint(response)}")
        return self._remember(url, accept, response)

    def post_json(self, url: str, document: Any) -> Answer:
        """The answer to POST `url` with `document` as its JSON body; anything but 200 fails."""
        body = json.dumps(document, separators=(",", ":")).encode()
        headers = {"Accept": "application/json", "Content-Type": "application/json"}
        response = self._send(url, headers, body)
        if response.status_code != 200:
            raise RegistryError(f"POST {url} answered {response.status_code} "
                                f"{response.reason_phrase}{_retry_hint(response)}")
        return Answer(str(response.url), response.headers.get("content-type", ""), response.content)

    def _send(self, url: str, headers: dict[str, str], body: bytes | None = None) -> httpx.Response:
        method = "GET" if body is None else "POST"
        for attempt in range(1, self.attempts + 1):
            try:
                response = self.client.request(method, url, headers=headers, content=body)
            except httpx.TimeoutException:
                raise RegistryError(_timeout_message(method, url, self.client, self.mirror_hint)) from None
            except httpx.TransportError as exc:
                if attempt == self.attempts:
                    raise RegistryError(f"cannot reach {url}: {exc or type(exc).__name__} "
                                        f"(tried {attempt} times); check the registry "
                                        "URL and your network") from None
                self.sleep(self._backoff(attempt))
                continue
            delay = self._retry_delay(response, attempt)
            if delay is None:
                return response
            self.sleep(delay)
        raise AssertionError("unreachable: the last attempt returns or raises")

    def _retry_delay(self, response: httpx.Response, attempt: int) -> float | None:
        """How long to wait before trying again, or None to take this answer."""
        if response.status_code not in RETRY_STATUSES or attempt == self.attempts:
            return None
        retry_after = _retry_after_s(response)
        if retry_after is None:
            return self._backoff(attempt)
        return retry_after if retry_after <= MAX_RETRY_AFTER_S else None

    def _backoff(self, attempt: int) -> float:
        # Jitter keeps a pool of threads from retrying in lockstep.
        return self.backoff_s * 2 ** (attempt - 1) * random.uniform(0.5, 1.0)

    def _cached(self, url: str, accept: str) -> tuple[str, Answer] | None:
        with self._lock:
            return self._etags.get((url, accept))

    def _remember(self, url: str, accept: str, response: httpx.Response) -> Answer:
        answer = Answer(str(response.url), response.headers.get("content-type", ""),
                        response.content)
        etag = response.headers.get("etag")
        if etag:
            with self._lock:
                self._etags[(url, accept)] = (etag, answer)
        return answer


def map_concurrent(fn: Callable[[T], R], items: Iterable[T],
                   workers: int = MAX_WORKERS) -> list[R | RegistryError]:
    """`fn` over `items` on a thread pool, in order; a RegistryError is returned in
    its item's place so one bad package does not hide the answers for the others."""
    def guarded(item: T) -> R | RegistryError:
        try:
            return fn(item)
        except RegistryError as exc:
            return exc

    todo: Sequence[T] = list(items)
    if len(todo) <= 1:
        return [guarded(item) for item in todo]
    pool = ThreadPoolExecutor(max_workers=min(workers, len(todo)))
    try:
        return list(pool.map(guarded, todo))
    finally:
        # On Ctrl-C, drop the lookups not started yet instead of waiting them out.
        pool.shutdown(wait=False, cancel_futures=True)


def _retry_after_s(response: httpx.Response) -> float | None:
    value = response.headers.get("retry-after", "")
    try:
        return max(0.0, float(value))
    except ValueError:
        return None  # an HTTP date, or garbage: fall back to our own backoff


def _retry_hint(response: httpx.Response) -> str:
    if response.status_code not in RETRY_STATUSES:
        return ""
    after = response.headers.get("retry-after")
    wait = f", asking to wait {after} s" if after else ""
    return f"; the registry is busy or failing{wait}: try again later"


def _timeout_message(method: str, url: str, client: httpx.Client, mirror_hint: str) -> str:
    seconds = client.timeout.read or client.timeout.connect
    return (f"{method} {url} timed out (no answer within {seconds:g} s); the registry may "
            f"be down or slow: try again, or {mirror_hint}")
