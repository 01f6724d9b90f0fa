"""The stdio transport: spawn the server in its own session, exchange newline-delimited
JSON-RPC over its pipes, keep its stderr, and stop the whole group and what it left.

Reads and writes block in select() with a deadline, also woken by a cancel (Ctrl-C,
SIGTERM: mcpstate.probe.interrupt): no polling, and no sleeps."""

from __future__ import annotations

import collections
import os
import selectors
import signal
import subprocess
import time
from typing import Any, Mapping

from mcpstate.probe import jsonrpc, reaper
from mcpstate.probe.interrupt import Cancelled, cancel_fd, cancelled, shielded
from mcpstate.probe.jsonrpc import DeadlineExceeded, Message, ServerGone
from mcpstate.probe.launch import Launch, server_env
from mcpstate.probe.stderr import StderrTail
from mcpstate.probe.usage import preload

STDIN_GRACE_S = 0.5  # a well-behaved server exits on EOF well within this
TERM_GRACE_S = 1.0  # then SIGTERM; past this, SIGKILL
CANCEL_GRACE_S = 0.25  # the same, once the user asked mcpstate to stop: no EOF grace at all
STDERR_JOIN_S = 0.2  # its last line explains most crashes
READ_CHUNK = 1 << 16
# The largest public servers' tools/list is well under 1 MiB, and a smoke result rarely
# holds more than a screenshot. A valid message costs ~16x its size at peak (decoded, then
# the tool surface, its digest and the report: measured 4 MiB -> +65 MiB, 7.5 -> +122): at
# 8 MiB a probe stays under ~160 MiB. More is a runaway server, failed, not decoded.
MAX_LINE = 8 << 20


class StdioTransport:
    """One server process. `start()` it, and always `close()` it (try/finally, even when
    start failed): that is what guarantees no process it started outlives the probe."""

    kind = "stdio"

    def __init__(self, launch: Launch) -> None:
        if not launch.command:
            raise jsonrpc.ProbeFailure("launch has no command")
        self.launch = launch
        self.started = time.monotonic()
        self.pid: int | None = None
        self._closed = False
        self._buffer = bytearray()
        self._scanned = 0  # how much of the buffer is known to hold no newline
        self._pending: collections.deque[Message] = collections.deque()

    def start(self) -> None:
        """Spawn the server. Shielded: a Ctrl-C meanwhile cancels, it does not lose a process."""
        with shielded():
            self.started = time.monotonic()
            self.proc, self._token = _spawn(self.launch)
            self.pid = self.proc.pid
            self._out_fd = self.proc.stdout.fileno()  # type: ignore[union-attr]
            self._in_fd = self.proc.stdin.fileno()  # type: ignore[union-attr]
            os.set_blocking(self._in_fd, False)  # writes wait in select(), bounded by the deadline
            # The leader's exit ends the server even when a child it left holds stdout open
            # (no EOF would come): a pidfd makes that exit a readable event, as MCP clients see it.
            self._exit_fd = _open_pidfd(self.pid)
            self._reader = _selector(self._out_fd, selectors.EVENT_READ, self._exit_fd)
            self._writer = _selector(self._in_fd, selectors.EVENT_WRITE, self._exit_fd)
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
        events = {key.fd for key, _ in selector.select(max(0.0, deadline - time.monotonic()))}
        if cancel_fd() in events:
            raise Cancelled("mcpstate was interrupted")
        if not events:
            raise DeadlineExceeded("no answer in time")
        if fd not in events:
            raise self._gone(deadline)  # only the exit event fired: the leader is gone

    def _gone(self, deadline: float) -> ServerGone:
        """The server closed its end: wait (briefly) for its exit code and last words."""
        code = self._wait_exit(min(TERM_GRACE_S, max(0.0, deadline - time.monotonic())), wake_on_cancel=True)
        self._stderr.join(STDERR_JOIN_S)
        return ServerGone(_exit_words(code), exit_code=code, last_stderr=self._stderr.last())

    def stderr_tail(self) -> list[str]:
        return self._stderr.lines() if self.pid is not None else []

    # -- shutdown ---------------------------------------------------------------

    def close(self) -> None:
        """Close stdin, wait, SIGTERM the group, wait, SIGKILL it; then kill and reap what
        the server left outside it. Once only; shielded from Ctrl-C, and quick once
        mcpstate is interrupted."""
        if self._closed or self.pid is None:  # closed already, or never started
            return
        self._closed = True
        with shielded():
            try:
                self._stop_group()
            finally:
                if self.proc.poll() is None:  # _stop_group failed half-way (a bug): no survivor
                    _signal_group(self.proc.pid, signal.SIGKILL)
                    self.proc.wait()
                try:
                    reaper.release(self.proc.pid, self._token)
                finally:
                    self._release()

    def _stop_group(self) -> None:
        group = self.proc.pid  # the leader's pid names the group, as long as any member lives
        self.proc.stdin.close()  # type: ignore[union-attr]
        if not cancelled() and self._wait_exit(STDIN_GRACE_S, wake_on_cancel=True) is not None \
                and not _group_alive(group):
            return
        _signal_group(group, signal.SIGTERM)
        grace = CANCEL_GRACE_S if cancelled() else TERM_GRACE_S
        until = time.monotonic() + grace
        self._wait_exit(grace)
        _wait_group(group, until - time.monotonic())
        if self.proc.poll() is None or _group_alive(group):
            _signal_group(group, signal.SIGKILL)
        self.proc.wait()
        _wait_group(group, TERM_GRACE_S)

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

    def _wait_exit(self, timeout: float, wake_on_cancel: bool = False) -> int | None:
        """The exit code, or None if the process still runs after `timeout`."""
        if self.proc.poll() is not None or timeout <= 0:
            return self.proc.returncode
        if self._exit_fd is None:  # old kernel: Popen.wait polls, but works
            try:
                return self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                return None
        with _selector(self._exit_fd, selectors.EVENT_READ, None, wake_on_cancel) as selector:
            selector.select(timeout)
        return self.proc.poll()


def _selector(fd: int, events: int, exit_fd: int | None, wake_on_cancel: bool = True) -> selectors.BaseSelector:
    """A selector on `fd`, the leader's exit, and (unless told not to) the cancel."""
    selector = selectors.DefaultSelector()
    selector.register(fd, events)
    for other in (exit_fd, cancel_fd() if wake_on_cancel else None):
        if other is not None:
            selector.register(other, selectors.EVENT_READ)
    return selector


def _open_pidfd(pid: int) -> int | None:
    try:
        return os.pidfd_open(pid)
    except (AttributeError, OSError):  # not Linux >= 5.3: exit is then seen as EOF only
        return None


def _spawn(launch: Launch) -> tuple[subprocess.Popen[bytes], str]:
    if cancelled():  # a probe not started before Ctrl-C never starts
        raise Cancelled("mcpstate was interrupted")
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
