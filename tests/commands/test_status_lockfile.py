"""status fails loudly on a lockfile it cannot read: exit 1 in every format, and the
Prometheus file says mcpstate_lockfile_valid 0 instead of being empty (issue 13)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.helpers import run_cli

BROKEN = {"missing": None, "broken": "version: 1\nservers: [\n", "invalid": "version: 1\nservers: {A: {}}\n"}


@pytest.mark.parametrize("case", list(BROKEN))
def test_status_with_an_unreadable_lockfile_fails_in_every_format(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], case: str) -> None:
    if BROKEN[case] is not None:
        (tmp_path / "mcpstate.lock.yaml").write_text(BROKEN[case])
    text = run_cli(capsys, tmp_path, "status")
    assert text.code == 1 and "mcpstate.lock.yaml" in text.err and "No managed servers" not in text.out
    doc = run_cli(capsys, tmp_path, "status", "--format", "json")
    assert doc.code == 1 and json.loads(doc.out)["lockfile"]["valid"] is False
    prom = run_cli(capsys, tmp_path, "status", "--format", "prometheus", "--output", "metrics.prom")
    assert prom.code == 1 and "mcpstate.lock.yaml" in prom.err
    assert "mcpstate_lockfile_valid 0" in (tmp_path / "metrics.prom").read_text().splitlines()


def test_status_with_a_good_lockfile_says_it_is_valid(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "mcpstate.lock.yaml").write_text("version: 1\nservers: {}\n")
    prom = run_cli(capsys, tmp_path, "status", "--format", "prometheus")
    assert prom.code == 0 and "mcpstate_lockfile_valid 1" in prom.out.splitlines()
    doc = json.loads(run_cli(capsys, tmp_path, "status", "--format", "json").out)
    assert doc["lockfile"] == {"valid": True, "error": None}
