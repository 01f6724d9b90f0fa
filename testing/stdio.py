"""A JSON-lines pipe to a child process, for tests that talk to a fixture server by
hand. It knows nothing of MCP (the product's client is mcpstate/probe/): send a
message, receive the next stdout line, close without leaving a process behind."""

from __future__ import annotations

import json
import os
import queue
import signal
import subprocess
import threading
from collections.abc import Mapping, Sequence
from types import TracebackType
from typing import Any

_EOF = object()


class StdioPeer:
    def __init__(self, cmd: Sequence[str], env: Mapping[str, str] | None = None) -> None:
        # Own session (process group), so close() can end the whole tree.
        self.proc = subprocess.Popen(
            list(cmd), stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            env=dict(env) if env is not None else None, start_new_session=True)
        self._lines: queue.Queue[Any] = queue.Queue()
        self._stderr: list[bytes] = []
        self._readers = [
            threading.Thread(target=self._read_stdout, daemon=True),
            threading.Thread(target=lambda: self._stderr.extend(iter(self.proc.stderr.readline, b"")),  # type: ignore[union-attr]
                             daemon=True)]
        for reader in self._readers:
            reader.start()

    def _read_stdout(self) -> None:
        for raw in iter(self.proc.stdout.readline, b""):  # type: ignore[union-attr]
            self._lines.put(raw.decode("utf-8", "replace").rstrip("\n"))
        self._lines.put(_EOF)

    def send(self, msg: Any) -> None:
        """Write one message (a dict is JSON-encoded; a str is sent as the line itself)."""
        line = msg if isinstance(msg, str) else json.dumps(msg)
        assert self.proc.stdin is not None
        self.proc.stdin.write(line.encode() + b"\n")
        self.proc.stdin.flush()

    def recv(self, timeout: float = 10.0) -> Any:
        """The next stdout line, decoded from JSON when it is JSON, else the raw string.
        Raises TimeoutError when nothing comes, EOFError when stdout closed."""
        try:
            line = self._lines.get(timeout=timeout)
        except queue.Empty:
            raise TimeoutError(f"no line within {timeout:g} s; stderr: {self.stderr[-500:]}") from None
        if line is _EOF:
            self._lines.put(_EOF)
            raise EOFError(f"stdout closed (exit {self.proc.poll()}); stderr: {self.stderr[-500:]}")
        try:
            return json.loads(line)
        except ValueError:
            return line

    def request(self, msg: dict[str, Any], seen: list[Any] | None = None, timeout: float = 10.0) -> Any:
        """Send a JSON-RPC request and return the response with its id; whatever comes
        before it (notifications, server requests, stray lines) is appended to `seen`."""
        self.send(msg)
        while True:
            got = self.recv(timeout)
            if isinstance(got, dict) and got.get("id") == msg["id"] and "method" not in got:
                return got
            if seen is not None:
                seen.append(got)

    @property
    def stderr(self) -> str:
        return b"".join(self._stderr).decode("utf-8", "replace")

    def close(self, grace: float = 2.0) -> int:
        """Close stdin, wait, then SIGTERM and SIGKILL the process group; the exit code."""
        if self.proc.stdin and not self.proc.stdin.closed:
            try:
                self.proc.stdin.close()
            except BrokenPipeError:
                pass
        code: int | None = None
        for sig in (None, signal.SIGTERM, signal.SIGKILL):
            if sig is not None:
                try:
                    os.killpg(self.proc.pid, sig)
                except ProcessLookupError:
                    pass
            try:
                code = self.proc.wait(timeout=grace)
                break
            except subprocess.TimeoutExpired:
                continue
        for reader in self._readers:  # so that .stderr is complete once close() returns
            reader.join(timeout=grace)
        for pipe in (self.proc.stdout, self.proc.stderr):
            if pipe is not None:
                pipe.close()
        return code if code is not None else self.proc.wait()

    def __enter__(self) -> StdioPeer:
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()
