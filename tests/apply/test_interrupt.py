"""Ctrl-C in the middle of an apply: exit 130, and the output says what had already
been committed (those revisions stay live; the next apply recovers the rest)."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from mcpstate.errors import StateError
from mcpstate.state.journal import read_journal
from mcpstate.state.layout import StateDir

SERVER = Path(__file__).resolve().parents[2] / "testing" / "servers" / "fixture_server.py"
pytestmark = pytest.mark.slow  # a real apply in a subprocess, interrupted


def lockfile() -> str:
    server = f"    source: command\n    command: {sys.executable}\n    args: [{SERVER}]\n"
    return (f"version: 1\nservers:\n  fast:\n{server}  slow:\n{server}"
            "    env: {MCP_FIXTURE_BEHAVIOUR: 'slow_start,slow_ms=3000'}\n")


def committed(state_dir: StateDir) -> set[str]:
    try:
        return {r["server"] for r in read_journal(state_dir).records if r["event"] == "committed"}
    except StateError:  # read while a line is being written: look again
        return set()


def test_ctrl_c_says_what_was_already_committed(tmp_path: Path) -> None:
    (tmp_path / "mcpstate.lock.yaml").write_text(lockfile())
    proc = subprocess.Popen([sys.executable, "-m", "mcpstate", "apply", "--auto-approve"], cwd=tmp_path,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    state_dir = StateDir(tmp_path / ".mcpstate")
    deadline = time.monotonic() + 60
    while "fast" not in committed(state_dir):
        assert proc.poll() is None and time.monotonic() < deadline, proc.communicate()
        time.sleep(0.02)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, (out, err)
    assert "Committed before the interrupt: fast (revision 1)" in err
    assert err.rstrip().endswith("interrupted")
    assert list(json.loads((tmp_path / ".mcp.json").read_text())["mcpServers"]) == ["fast"]
