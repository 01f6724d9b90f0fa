"""`make demo`, the quick start's first command, runs to its end with each step's
expected outcome (the broken upgrade is the one step that fails, on purpose)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from testing.pytest_plugin import REPO

pytestmark = pytest.mark.slow

# lock, validate, plan, apply, status, plan -e, lock notes, plan md, the broken apply,
# lock notes, the good apply, history, rollback, history
EXPECTED = [0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0]


def test_the_demo_runs_each_step_as_it_says(tmp_path: Path) -> None:
    env = {**os.environ, "MCPSTATE_DEMO_DIR": str(tmp_path / "demo")}
    proc = subprocess.run([sys.executable, str(REPO / "examples" / "demo" / "run.py")], env=env, cwd=tmp_path,
                          capture_output=True, text=True, timeout=600, stdin=subprocess.DEVNULL)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    exits = [int(code) for code in re.findall(r"^\(exit (\d+)\)$", proc.stdout, flags=re.M)]
    assert exits == EXPECTED, proc.stdout[-6000:]
    assert "Nothing was swapped" in proc.stdout and "Rolled back to 1" in proc.stdout
