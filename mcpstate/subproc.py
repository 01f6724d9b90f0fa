"""The one runner for short subprocesses (npm, pip, venv). Long-lived server processes
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
    try:
        proc = subprocess.run(
            list(cmd), cwd=cwd, env=dict(env) if env is not None else None,
            stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=timeout,
        )
    except subprocess.TimeoutExpired:
        raise error(f"{what} timed out after {timeout:g} s") from None
    except FileNotFoundError:
        raise error(f"{what}: {cmd[0]} not found on PATH") from None
    if proc.returncode != 0:
        tail = _last_lines(proc.stderr or proc.stdout)
        raise error(f"{what}: {Path(cmd[0]).name} exited {proc.returncode}: {tail}")
    return proc


# lines that explain nothing: pip's notes on a machine's extra indexes, npm's log pointer
_NOISE = ("WARNING:", "npm error A complete log", "npm ERR! A complete log", "npm error 404 Note",
          "npm error 404  tarball", "npm error 404\n")


def _last_lines(text: str, n: int = 3) -> str:
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    useful = [line for line in lines if not line.startswith(_NOISE) and line not in ("npm error 404",)]
    return " | ".join((useful or lines)[-n:]) or "(no output)"
