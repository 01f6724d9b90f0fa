"""probe(): one health test from spawn (or first POST) to shutdown, as a Report.
Expected failures become report lines; only bugs and Ctrl-C (or SIGTERM) propagate,
and the server is stopped in `finally` either way. On the main thread both run in a
scope where a signal cancels every probe at once (mcpstate.probe.interrupt)."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Mapping, Sequence

from mcpstate.errors import ProbeError
from mcpstate.model import SmokeCall, TestSpec
from mcpstate.probe.interrupt import cancel_on_signal
from mcpstate.probe.jsonrpc import (AuthorizationRequired, DeadlineExceeded, ProbeFailure, ProtocolViolation,
                                    RpcError, ServerGone)
from mcpstate.probe.launch import Launch, redact, secret_values
from mcpstate.probe.load import run_load
from mcpstate.probe.report import LoadResult, Report, SmokeResult
from mcpstate.probe.session import Handshake, Session, Transport
from mcpstate.probe.surface import Surface, SurfaceError, surface_bytes, surface_digest, surface_of
from mcpstate.probe.surfacediff import Baseline, SurfaceDiff, against, breaking_lines
from mcpstate.probe.tools import ToolInfo, tool_infos
from mcpstate.probe.usage import measure_tree
from mcpstate.secrets.redact import redact as redact_resolved

DETAIL_CHARS = 120


def probe(launch: Launch, spec: TestSpec, previous: Baseline | None = None) -> Report:
    """Health-test one server: handshake, tools/list, smoke calls, thresholds, optional
    load; its tool surface diffed against `previous` (the current revision's). Never
    raises for a misbehaving server: the Report says what failed."""
    with cancel_on_signal():
        run = _Run(spec, time.monotonic())
        try:
            transport = _open(launch, spec)
        except ProbeFailure as exc:
            run.failures.append(str(exc))
            return run.report(launch, previous, None)
        try:  # the transport is closed even if it never started: then that is a no-op
            run.drive(transport)
        finally:
            transport.close()
        return run.report(launch, previous, transport)


def probe_many(launches: Mapping[str, tuple[Launch, TestSpec]], parallelism: int) -> dict[str, Report]:
    """Probe many servers at once (threads: the work is waiting on pipes and sockets)."""
    if not launches:
        return {}
    with cancel_on_signal():
        pool = ThreadPoolExecutor(max(1, min(parallelism, len(launches))), thread_name_prefix="mcpstate-probe")
        try:
            futures = {name: pool.submit(probe, launch, spec) for name, (launch, spec) in launches.items()}
            return {name: future.result() for name, future in futures.items()}
        finally:
            # On Ctrl-C: probes not started never start; running ones are cancelled and
            # stop their servers, which this waits for (a second Ctrl-C cannot cut it short).
            pool.shutdown(wait=True, cancel_futures=True)


def _open(launch: Launch, spec: TestSpec) -> Transport:
    if launch.url:
        from mcpstate.probe.http import HttpTransport

        workers = spec.load.concurrency if spec.load else 1
        return HttpTransport(launch, spec.timeout_s, workers)
    if launch.command:
        from mcpstate.probe.stdio import StdioTransport

        return StdioTransport(launch)
    raise ProbeError("nothing to probe: the launch has neither a command nor a url")


@dataclass
class _Run:
    spec: TestSpec
    started: float
    phase: str = "the handshake"
    failures: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    handshake: Handshake | None = None
    tools: tuple[ToolInfo, ...] | None = None
    surface: Surface | None = None
    smoke: list[SmokeResult] = field(default_factory=list)
    rss_mb: float | None = None
    load: LoadResult | None = None
    auth_required: bool = False

    @property
    def deadline(self) -> float:
        return self.started + self.spec.timeout_s

    def drive(self, transport: Transport) -> None:
        session = Session(transport)
        try:
            self._drive(session, transport)
        except AuthorizationRequired as exc:  # DESIGN §8: passes, with the warning
            self.auth_required = True
            self.warnings.append(str(exc))
        except ProbeFailure as exc:
            self.failures.append(_describe(exc, self.phase, self.spec.timeout_s))
        finally:
            self.warnings += session.notes

    def _drive(self, session: Session, transport: Transport) -> None:
            transport.start()
            self.handshake = session.handshake(self.deadline)
            self.phase = "tools/list"
            listing = session.list_tools(self.deadline)
            self.tools = tool_infos(listing)
            self.surface = _surface(listing)
            for call in self.spec.smoke:
                self.phase = f"the smoke call {call.tool}"
                self.smoke.append(self._smoke(session, call))
            self.rss_mb = _rss(transport)
            if self.spec.load is not None:
                self.phase = "the load check"
                self.load = run_load(session, self.spec.load, self.deadline, getattr(transport, "pid", None))

    def _smoke(self, session: Session, call: SmokeCall) -> SmokeResult:
        sent = time.monotonic()
        try:
            result = session.call_tool(call.tool, call.arguments, self.deadline)
        except RpcError as exc:  # the server is alive and said no: a failed call, go on
            return SmokeResult(call.tool, False, _ms_since(sent), str(exc))
        passed, detail = _judge(result, call.expect_contains)
        return SmokeResult(call.tool, passed, _ms_since(sent), detail)

    def report(self, launch: Launch, previous: Baseline | None, transport: Transport | None) -> Report:
        diff = against(previous, self.surface, self.spec.required_tools) if self.surface is not None else SurfaceDiff()
        breaking = self._check_tools(breaking_lines(diff))
        self._check_thresholds(transport)
        secrets = secret_values(launch)
        hs = self.handshake
        return Report(
            passed=not self.failures, failures=_clean(self.failures, secrets), warnings=_clean(self.warnings, secrets),
            transport="http" if launch.url else "stdio", generation=hs.generation if hs else None,
            protocol_version=hs.protocol_version if hs else None, server_info=hs.server_info if hs else {},
            startup_ms=self._startup_ms(transport), rss_mb=self.rss_mb, tools=self.tools or (),
            tool_diff=diff,
            breaking=breaking, smoke=tuple(_clean_smoke(s, secrets) for s in self.smoke), load=self.load,
            stderr_tail=_clean(transport.stderr_tail() if transport else [], secrets),
            duration_ms=_ms_since(self.started), auth_required=self.auth_required,
            surface=self.surface,
            surface_digest=surface_digest(surface_bytes(self.surface)) if self.surface is not None else None,
        )

    def _check_tools(self, problems: list[str]) -> bool:
        """Breaking changes (DESIGN §8) fail under on_breaking: fail and are warnings
        under warn; a change to review (a title, a description) is neither."""
        (self.failures if self.spec.on_breaking == "fail" else self.warnings).extend(problems)
        return bool(problems)

    def _check_thresholds(self, transport: Transport | None) -> None:
        spec, startup = self.spec, self._startup_ms(transport)
        self.failures += [f"smoke call {s.tool} failed: {s.detail}" for s in self.smoke if not s.passed]
        if startup is not None and startup > spec.max_startup_ms:
            self.failures.append(f"startup took {startup:.0f} ms, over max_startup_ms {spec.max_startup_ms:g}")
        if self.rss_mb is not None and self.rss_mb > spec.max_rss_mb:
            self.failures.append(f"process tree uses {self.rss_mb:g} MB RSS, over max_rss_mb {spec.max_rss_mb:g}")
        if self.load is not None and spec.load is not None:
            self.failures += _load_failures(self.load, spec.load.max_p95_ms, spec.load.max_errors)

    def _startup_ms(self, transport: Transport | None) -> float | None:
        if self.handshake is None or transport is None:
            return None
        return round((self.handshake.answered_at - transport.started) * 1000, 1)


def _surface(listing: Sequence[Mapping[str, Any]]) -> Surface:
    """The listing as tools.json holds it; a listing no reviewer could pin (a tool twice)
    fails the test like any other protocol violation."""
    try:
        return surface_of(listing)
    except SurfaceError as exc:
        raise ProtocolViolation(f"tools/list: {exc}") from None


def _judge(result: Mapping[str, Any], expect: str | None) -> tuple[bool, str]:
    text = "\n".join(item.get("text", "") for item in result.get("content") or ()
                     if isinstance(item, dict) and item.get("type") == "text")
    if result.get("resultType") == "input_required":
        return False, "the tool asked for user input (input_required), which a health test cannot give"
    if result.get("isError") is True:
        return False, f"the tool returned an error: {_short(text)}"
    if expect is not None and expect not in text:
        return False, f"expected {expect!r} in the result text, got {_short(text)}"
    return True, ""


def _load_failures(load: LoadResult, max_p95: float | None, max_errors: int | None) -> list[str]:
    failures = []
    if load.completed < load.calls:
        failures.append(f"load check: only {load.completed} of {load.calls} calls answered before the timeout")
    if max_p95 is not None and load.p95_ms is not None and load.p95_ms > max_p95:
        failures.append(f"load check: p95 latency {load.p95_ms:g} ms, over max_p95_ms {max_p95:g}")
    if max_errors is not None and load.errors > max_errors:
        failures.append(f"load check: {load.errors} errors, over max_errors {max_errors}")
    return failures


def _describe(exc: ProbeFailure, phase: str, timeout_s: float) -> str:
    """One line a user can act on, naming what the probe was doing."""
    if isinstance(exc, ServerGone):
        when = {"the handshake": "before answering the handshake",
                "tools/list": "right after the handshake (during tools/list)"}.get(phase, f"during {phase}")
        last = f"; last stderr line: {exc.last_stderr}" if exc.last_stderr else ""
        return f"server {exc} {when}{last}"
    if isinstance(exc, DeadlineExceeded):
        return f"no answer to {phase} within timeout_s {timeout_s:g} s (server hangs?)"
    return str(exc)


def _rss(transport: Transport) -> float | None:
    pid = getattr(transport, "pid", None)
    usage = measure_tree(pid) if pid else None
    return usage.rss_mb if usage else None


def _clean(lines: Sequence[str], secrets: Sequence[str]) -> tuple[str, ...]:
    return tuple(_redacted(line, secrets) for line in lines)


def _clean_smoke(result: SmokeResult, secrets: Sequence[str]) -> SmokeResult:
    return SmokeResult(result.tool, result.passed, result.latency_ms, _redacted(result.detail, secrets))


def _redacted(text: str, secrets: Sequence[str]) -> str:
    """What the server or the network said, cleaned where it enters: values resolved
    from references become `${VAR}` (before anyone cuts the line short), then values
    under secret-looking keys of a launch given literally become `***`."""
    return redact(redact_resolved(text), secrets)


def _short(text: str) -> str:
    flat = " ".join(text.split())
    return repr(flat if len(flat) <= DETAIL_CHARS else flat[:DETAIL_CHARS] + "...")


def _ms_since(start: float) -> float:
    return round((time.monotonic() - start) * 1000, 1)
