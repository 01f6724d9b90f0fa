"""A server's stderr, read on a thread in bounded chunks and kept as its last lines, each
cut to a length (DESIGN §8: kept, capped, never an error by itself). A server that
writes 100 MiB without a newline costs us one chunk and one line head, not 100 MiB."""

from __future__ import annotations

import collections
import os
import threading
from typing import IO

TAIL_LINES = 50
LINE_BYTES = 1000  # kept of each line; the rest is counted, and the line says it was cut
READ_CHUNK = 1 << 16


class StderrTail:
    def __init__(self, pipe: IO[bytes], name: str) -> None:
        self._fd = pipe.fileno()
        self._lines: collections.deque[str] = collections.deque(maxlen=TAIL_LINES)
        self._head = bytearray()  # the kept start of the line being read
        self._length = 0  # that line's length so far
        self._thread = threading.Thread(target=self._pump, daemon=True, name=name)
        self._thread.start()

    def lines(self) -> list[str]:
        return list(self._lines)

    def last(self) -> str:
        return self._lines[-1] if self._lines else ""

    def join(self, timeout: float) -> bool:
        """True once the server's end is closed and every line is in."""
        self._thread.join(timeout)
        return not self._thread.is_alive()

    def _pump(self) -> None:
        while chunk := os.read(self._fd, READ_CHUNK):
            start = 0
            while (end := chunk.find(b"\n", start)) >= 0:
                self._add(chunk[start:end])
                self._end_line()
                start = end + 1
            self._add(chunk[start:])
        self._end_line()  # a last line without a newline

    def _add(self, part: bytes) -> None:
        room = LINE_BYTES - len(self._head)
        if room > 0:
            self._head += part[:room]
        self._length += len(part)

    def _end_line(self) -> None:
        text = self._head.decode(errors="replace").rstrip()
        if self._length > LINE_BYTES:
            text += f" [line cut: {self._length} bytes]"
        if text:
            self._lines.append(text)
        self._head.clear()
        self._length = 0
