"""The optional load check (DESIGN §8, `test.load`): pipelined tools/call requests on
the probe's own connection, at most `concurrency` in flight, with latency and the
server tree's resource use."""

from __future__ import annotations

import math
import time
from mcpstate.model import LoadSpec
from mcpstate.probe.jsonrpc import DeadlineExceeded, Message
from mcpstate.probe.report import LoadResult
from mcpstate.probe.session import Session
from mcpstate.probe.usage import TreeUsage, measure_tree

SAMPLE_EVERY = 10  # answers between two RSS samples: psutil costs ~0.3 ms a process


def run_load(session: Session, load: LoadSpec, deadline: float, pid: int | None) -> LoadResult:
    """Send `load.calls` calls; stop early (and say so in `completed`) at the deadline."""
    before = measure_tree(pid) if pid else None
    peak = before.rss_mb if before else None
    started = time.monotonic()
    in_flight: dict[int, float] = {}
    latencies: list[float] = []
    errors = sent = 0
    params = {"name": load.tool, "arguments": dict(load.arguments)}
    try:
        while sent < load.calls or in_flight:
            while sent < load.calls and len(in_flight) < max(1, load.concurrency):
                in_flight[session.send_request("tools/call", params, deadline)] = time.monotonic()
                sent += 1
            message = session.wait_response(in_flight, deadline)
            latencies.append((time.monotonic() - in_flight.pop(message["id"])) * 1000)
            errors += _is_error(message)
            if pid and len(latencies) % SAMPLE_EVERY == 0:
                peak = _higher(peak, measure_tree(pid))
    except DeadlineExceeded:
        pass  # the result says how many calls were answered; the runner fails on it
    return _result(load, latencies, errors, started, before, peak, pid)


def _result(load: LoadSpec, latencies: list[float], errors: int, started: float,
            before: TreeUsage | None, peak: float | None, pid: int | None) -> LoadResult:
    wall = time.monotonic() - started
    after = measure_tree(pid) if pid else None
    ordered = sorted(latencies)
    result = LoadResult(load.tool, load.calls, load.concurrency, len(latencies), errors,
                        _percentile(ordered, 0.50), _percentile(ordered, 0.95), round(wall * 1000, 1))
    if before is None or after is None:
        return result
    cpu = (after.cpu_seconds - before.cpu_seconds) / wall * 100 if wall > 0 else 0.0
    return LoadResult(**{**result.to_json(), "peak_rss_mb": _higher(peak, after), "cpu_percent": round(cpu, 1),
                         "open_files": after.open_files, "threads": after.threads})


def _is_error(message: Message) -> bool:
    result = message.get("result")
    return "error" in message or not isinstance(result, dict) or result.get("isError") is True


def _percentile(ordered: list[float], q: float) -> float | None:
    """Nearest-rank percentile: a latency that was really observed."""
    if not ordered:
        return None
    return round(ordered[max(0, math.ceil(q * len(ordered)) - 1)], 2)


def _higher(peak: float | None, usage: TreeUsage | None) -> float | None:
    if usage is None:
        return peak
    return usage.rss_mb if peak is None else max(peak, usage.rss_mb)
