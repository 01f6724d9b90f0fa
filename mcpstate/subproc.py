"""The one runner for short subprocesses (npm, pnpm, uv, pip, venv). Long-lived server processes
are the probe's business (mcpstate/probe/)."""

from __future__ import annotations

import subprocess
from collections.abc import Mapping, Sequence
from pathlib import Path


def run_checked(
    cmd: Sequence[str],
    *,
    what: str,
    error: type[Exception],
    cwd: Path | None = None,
    env: Mapping[str, str] | None = None,
    timeout: float = 600.0,
) -> subprocess.CompletedProcess[str]:
    """Run `cmd`; on a non-zero exit or a timeout raise `error` naming `what` and the
    last lines of its output, so the user sees why without a traceback."""
    proc = run_captured(cmd, what=what, error=error, cwd=cwd, env=env, timeout=timeout)
    if proc.returncode != 0:
        raise error(failure_message(proc, what))
    return proc


def run_captured(
    cmd: Sequence[str],
    *,
    what: str,
    error: type[Exception],
    cwd: Path | None = None,
    env: Mapping[str, str] | None = None,
    timeout: float = 600.0,
) -> subprocess.CompletedProcess[str]:
    """Run `cmd` and return it whatever its exit code, for callers that translate an
    installer's failures themselves; a timeout or a missing program raises `error`."""
    try:
        return subprocess.run(
            list(cmd), cwd=cwd, env=dict(env) if env is not None else None,
            stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=timeout,
        )
    except subprocess.TimeoutExpired:
        raise error(f"{what} timed out after {timeout:g} s") from None
    except FileNotFoundError:
        raise error(f"{what}: {cmd[0]} not found on PATH") from None


def failure_message(proc: subprocess.CompletedProcess[str], what: str) -> str:
    """`<what>: <program> exited N: <last useful lines>`."""
    tail = _last_lines(proc.stderr or proc.stdout)
    return f"{what}: {Path(proc.args[0]).name} exited {proc.returncode}: {tail}"


# lines that explain nothing: pip's notes on a machine's extra indexes, npm's log pointer
_NOISE = ("WARNING:", "npm error A complete log", "npm ERR! A complete log", "npm error 404 Note",
          "npm error 404  tarball", "npm error 404\n")


def _last_lines(text: str, n: int = 3) -> str:
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    useful = [line for line in lines if not line.startswith(_NOISE) and line not in ("npm error 404",)]
    return " | ".join((useful or lines)[-n:]) or "(no output)"
