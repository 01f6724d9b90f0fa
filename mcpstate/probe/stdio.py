"""The stdio transport: spawn the server in its own session, exchange newline-delimited
JSON-RPC over its pipes, keep its stderr, and stop the whole group and what it left.

Reads and writes block in select() with a deadline: no polling, no sleeps."""

from __future__ import annotations

import collections
import os
import selectors
import signal
import subprocess
import time
from typing import Any, Mapping

from mcpstate.probe import jsonrpc, reaper
from mcpstate.probe.jsonrpc import DeadlineExceeded, Message, ServerGone
from mcpstate.probe.launch import Launch, server_env
from mcpstate.probe.stderr import StderrTail
from mcpstate.probe.usage import preload

STDIN_GRACE_S = 0.5  # a well-behaved server exits on EOF well within this
TERM_GRACE_S = 1.0  # then SIGTERM; past this, SIGKILL
STDERR_JOIN_S = 0.2  # its last line explains most crashes
READ_CHUNK = 1 << 16
# The largest public servers' tools/list is well under 1 MiB, and a smoke result rarely
# holds more than a screenshot. A valid message costs ~16x its size at peak (decoded, then
# the tool surface, its digest and the report: measured 4 MiB -> +65 MiB, 7.5 -> +122): at
# 8 MiB a probe stays under ~160 MiB. More is a runaway server, failed, not decoded.
MAX_LINE = 8 << 20


class StdioTransport:
    """One running server process. Always `close()` it (try/finally): that is what
    guarantees no process it started outlives the probe."""

    kind = "stdio"

    def __init__(self, launch: Launch) -> None:
        if not launch.command:
            raise jsonrpc.ProbeFailure("launch has no command")
        self.started = time.monotonic()
        self.proc, self._token = _spawn(launch)
        self._closed = False
        self.pid = self.proc.pid
        self._out_fd = self.proc.stdout.fileno()  # type: ignore[union-attr]
        self._in_fd = self.proc.stdin.fileno()  # type: ignore[union-attr]
        os.set_blocking(self._in_fd, False)  # writes wait in select(), bounded by the deadline
        # The leader's exit ends the server even when a child it left holds stdout open
        # (no EOF would come): a pidfd makes that exit a readable event, as MCP clients see it.
        self._exit_fd = _open_pidfd(self.pid)
        self._reader = selectors.DefaultSelector()
        self._reader.register(self._out_fd, selectors.EVENT_READ)
        if self._exit_fd is not None:
            self._reader.register(self._exit_fd, selectors.EVENT_READ)
        self._writer = selectors.DefaultSelector()
        self._writer.register(self._in_fd, selectors.EVENT_WRITE)
        self._buffer = bytearray()
        self._scanned = 0  # how much of the buffer is known to hold no newline
        self._pending: collections.deque[Message] = collections.deque()
        self._stderr = StderrTail(self.proc.stderr, f"mcpstate-stderr-{self.pid}")  # type: ignore[arg-type]
        preload()  # for the RSS measurement after tools/list

    # -- messages ---------------------------------------------------------------

    def send(self, message: Mapping[str, Any], deadline: float) -> None:
        data = memoryview(jsonrpc.encode(message))
        while data:
            try:
                data = data[os.write(self._in_fd, data):]
            except BlockingIOError:
                self._wait(self._writer, self._in_fd, deadline)
            except BrokenPipeError:
                raise self._gone(deadline) from None

    def receive(self, deadline: float) -> Message:
        """The next message from stdout; blank lines are ignored."""
        while not self._pending:
            line = self._next_line(deadline)
            if line.strip():
                self._pending.extend(jsonrpc.decode(line, "line on stdout"))
        return self._pending.popleft()

    def _next_line(self, deadline: float) -> bytes:
        while (end := self._buffer.find(b"\n", self._scanned)) < 0:
            self._scanned = len(self._buffer)  # a long line is scanned once, not once a chunk
            if len(self._buffer) > MAX_LINE:
                raise jsonrpc.ProtocolViolation(f"server wrote a line on stdout longer than {MAX_LINE >> 20} MiB")
            self._wait(self._reader, self._out_fd, deadline)
            chunk = os.read(self._out_fd, READ_CHUNK)
            if not chunk:
                raise self._gone(deadline)
            self._buffer += chunk
        line = bytes(self._buffer[:end])
        del self._buffer[:end + 1]
        self._scanned = 0
        return line

    def _wait(self, selector: selectors.BaseSelector, fd: int, deadline: float) -> None:
        """Until `fd` is ready. What the server wrote before exiting is still read first."""
        events = selector.select(max(0.0, deadline - time.monotonic()))
        if not events:
            raise DeadlineExceeded("no answer in time")
        if all(key.fd != fd for key, _ in events):
            raise self._gone(deadline)  # only the exit event fired: the leader is gone

    def _gone(self, deadline: float) -> ServerGone:
        """The server closed its end: wait (briefly) for its exit code and last words."""
        code = self._wait_exit(min(TERM_GRACE_S, max(0.0, deadline - time.monotonic())))
        self._stderr.join(STDERR_JOIN_S)
        return ServerGone(_exit_words(code), exit_code=code, last_stderr=self._stderr.last())

    def stderr_tail(self) -> list[str]:
        return self._stderr.lines()

    # -- shutdown ---------------------------------------------------------------

    def close(self) -> None:
        """Close stdin, wait, SIGTERM the group, wait, SIGKILL the group; then kill and reap
        what the server left outside it. Once only. The SIGKILL runs in `finally`, so a
        Ctrl-C during the graceful steps still leaves nothing."""
        if self._closed:
            return
        self._closed = True
        stopped = False
        try:
            stopped = self._stop_gracefully()
        finally:
            if not stopped:
                _signal_group(self.pid, signal.SIGKILL)
                self.proc.wait()
                _wait_group(self.pid, TERM_GRACE_S)
            try:
                reaper.release(self.pid, self._token)
            finally:
                self._release()

    def _release(self) -> None:
        """Close our ends. stderr only once its reader is done: a process that escaped us
        (another user's, say) may still hold it, and its reader must not lose the fd."""
        self._reader.close()
        self._writer.close()
        if self._exit_fd is not None:
            os.close(self._exit_fd)
        for pipe in (self.proc.stdin, self.proc.stdout):
            if pipe is not None and not pipe.closed:
                pipe.close()
        if self._stderr.join(STDERR_JOIN_S) and self.proc.stderr is not None:
            self.proc.stderr.close()

    def _stop_gracefully(self) -> bool:
        """True when the leader is reaped and no live process of its group is left."""
        self.proc.stdin.close()  # type: ignore[union-attr]
        if self._wait_exit(STDIN_GRACE_S) is not None and not _group_alive(self.pid):
            return True
        _signal_group(self.pid, signal.SIGTERM)
        until = time.monotonic() + TERM_GRACE_S
        self._wait_exit(TERM_GRACE_S)
        _wait_group(self.pid, until - time.monotonic())
        return self.proc.poll() is not None and not _group_alive(self.pid)

    def _wait_exit(self, timeout: float) -> int | None:
        """The exit code, or None if the process still runs after `timeout`."""
        if self.proc.poll() is not None or timeout <= 0:
            return self.proc.returncode
        if self._exit_fd is None:  # old kernel: Popen.wait polls, but works
            try:
                return self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                return None
        with selectors.DefaultSelector() as selector:
            selector.register(self._exit_fd, selectors.EVENT_READ)
            selector.select(timeout)
        return self.proc.poll()


def _open_pidfd(pid: int) -> int | None:
    try:
        return os.pidfd_open(pid)
    except (AttributeError, OSError):  # not Linux >= 5.3: exit is then seen as EOF only
        return None


def _spawn(launch: Launch) -> tuple[subprocess.Popen[bytes], str]:
    argv = [launch.command or "", *launch.args]
    try:
        return reaper.spawn(argv, server_env(launch), launch.cwd)
    except FileNotFoundError as exc:
        missing = launch.cwd if exc.filename == launch.cwd and launch.cwd else launch.command
        raise jsonrpc.ProbeFailure(f"could not start server: {missing}: not found") from None
    except PermissionError:
        raise jsonrpc.ProbeFailure(f"could not start server: {launch.command}: permission denied") from None
    except OSError as exc:
        raise jsonrpc.ProbeFailure(f"could not start server: {launch.command}: {exc.strerror}") from None


def _exit_words(code: int | None) -> str:
    if code is None:
        return "closed its stdout"
    if code < 0:
        try:
            return f"was killed by {signal.Signals(-code).name}"
        except ValueError:
            return f"was killed by signal {-code}"
    return f"exited with code {code}"


def _signal_group(pgid: int, sig: int) -> None:
    try:
        os.killpg(pgid, sig)
    except ProcessLookupError:
        pass  # the group is already gone: nothing to stop


def _group_alive(pgid: int) -> bool:
    """Is any live (not zombie) process left in the group? Zombies are dead: those that
    are ours (re-parented to us, the subreaper) the reaper reaps."""
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    return bool(_group_members(pgid))


def _group_members(pgid: int) -> list[Any]:
    import psutil

    members = []
    for proc in psutil.process_iter(["status"]):
        try:
            if os.getpgid(proc.pid) == pgid and proc.info["status"] != psutil.STATUS_ZOMBIE:
                members.append(proc)
        except (ProcessLookupError, psutil.Error):
            continue  # it ended while we looked: that is what we want
    return members


def _wait_group(pgid: int, timeout: float) -> None:
    """Wait until no live process of the group is left, or `timeout`. Its members are
    not all our children: a pidfd of each says when it has exited, zombie or not (psutil
    would wait for a reaping that may never come)."""
    until = time.monotonic() + timeout
    while (members := _group_members(pgid)) and (left := until - time.monotonic()) > 0:
        _wait_all_exit(members, left)


def _wait_all_exit(members: list[Any], timeout: float) -> None:
    fds = [fd for fd in (_open_pidfd(proc.pid) for proc in members) if fd is not None]
    if not fds:  # no pidfd here (or all just ended): psutil polls instead
        import psutil

        psutil.wait_procs(members, timeout=timeout)
        return
    until = time.monotonic() + timeout
    try:
        with selectors.DefaultSelector() as selector:
            for fd in fds:
                selector.register(fd, selectors.EVENT_READ)
            while selector.get_map() and (left := until - time.monotonic()) > 0:
                for key, _ in selector.select(left):
                    selector.unregister(key.fd)
    finally:
        for fd in fds:
            os.close(fd)
