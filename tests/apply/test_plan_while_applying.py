"""`plan` during a running apply (DESIGN §6): the apply's open transaction is in
progress, not one to recover; once its process is gone, it is."""

from __future__ import annotations

import os
import signal
import subprocess
import sys

import pytest

from tests.applyhelp import journal_events, lockfile
from tests.stress.stresshelp import wait_until

pytestmark = pytest.mark.slow

WATCHED = "    test: {watch_s: 120, watch_interval_s: 0.2}\n"  # holds the apply after its swap


def test_plan_says_an_apply_is_running_not_recover(project) -> None:  # type: ignore[no-untyped-def]
    project.write_lockfile(lockfile(npm="healthy", extra=WATCHED))
    apply = subprocess.Popen([sys.executable, "-m", "mcpstate", "-C", str(project.path), "apply", "--auto-approve"],
                             env=project.env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        wait_until(lambda: "swapped" in journal_events(project.path / ".mcpstate", "app"), timeout=120,
                   what="the apply swapping app in")
        during = project.run("plan", "--detailed-exitcode")
        assert f"an apply is running (pid {apply.pid}, since " in during.stdout, during
        assert "recover" not in during.stdout + during.stderr, during
    finally:
        os.killpg(apply.pid, signal.SIGKILL)
        apply.wait()
    after = project.run("plan")
    assert "recover" in after.stdout and "is running" not in after.stdout, after
