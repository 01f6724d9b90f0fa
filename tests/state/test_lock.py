"""The state lock's holder (DESIGN §5, §7): `force-unlock` breaks a lock whose holder is
gone and refuses one whose process still runs on this host, unless --force."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from mcpstate.state.layout import StateDir
from mcpstate.state.lock import read_holder, running_holder, state_lock
from tests.helpers import run_cli


def dead_pid() -> int:
    proc = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    return int(proc.stdout)


def test_force_unlock_refuses_a_live_holder_unless_forced(tmp_path: Path,
                                                          capsys: pytest.CaptureFixture[str]) -> None:
    state_dir = StateDir(tmp_path / ".mcpstate")
    with state_lock(state_dir, "apply") as info:
        refused = run_cli(capsys, tmp_path, "force-unlock", info["ID"])
        assert refused.code == 1
        assert f"pid {os.getpid()} on this host" in refused.err and "is running" in refused.err
        assert f"mcpstate force-unlock {info['ID']} --force" in refused.err
        assert read_holder(state_dir) == info and state_dir.lock_file.exists()
        forced = run_cli(capsys, tmp_path, "force-unlock", info["ID"], "--force")
        assert forced.code == 0 and f"Lock {info['ID']} broken" in forced.out
        assert read_holder(state_dir) is None and not state_dir.lock_file.exists()


@pytest.mark.parametrize("holder", [
    {"pid": "dead", "host": "here"},          # a crash left lock.json behind
    {"pid": "mine", "host": "elsewhere"},     # a dead host on a shared disk
], ids=["dead-process", "other-host"])
def test_force_unlock_breaks_a_lock_whose_holder_is_gone(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                         holder: dict[str, str]) -> None:
    state_dir = StateDir(tmp_path / ".mcpstate").create()
    state_dir.lock_file.touch()
    info = {"ID": "0f0f", "operation": "apply", "who": "u@h", "created": "2026-01-01T00:00:00.000Z",
            "pid": dead_pid() if holder["pid"] == "dead" else os.getpid(),
            "host": socket.gethostname() if holder["host"] == "here" else "another-host.example"}
    state_dir.lock_info.write_text(json.dumps(info))
    result = run_cli(capsys, tmp_path, "force-unlock", "0f0f")
    assert result.code == 0, result.err
    assert read_holder(state_dir) is None


def test_running_holder_is_the_live_one_only(tmp_path: Path) -> None:
    state_dir = StateDir(tmp_path / ".mcpstate")
    assert running_holder(state_dir) is None
    with state_lock(state_dir, "apply") as info:
        assert running_holder(state_dir) == info
    state_dir.lock_info.write_text(json.dumps({**info, "pid": dead_pid()}))  # as a SIGKILL leaves it
    assert running_holder(state_dir) is None
