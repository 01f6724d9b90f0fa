"""A pin moved by hand with its old integrity: validate says so offline, and so does plan."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mcpstate.state.layout import StateDir
from tests.helpers import run_cli

INTEGRITY = "sha512-" + "A" * 86 + "=="


def test_validate_and_plan_name_a_hand_moved_pin(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "mcpstate.lock.yaml").write_text(
        f"version: 1\nservers:\n  m:\n    source: npm\n    package: p\n    version: 2.0.0\n    integrity: {INTEGRITY}\n")
    sd = StateDir(tmp_path / ".mcpstate").create()
    sd.state_file.write_text(json.dumps({
        "format_version": 1, "mcpstate_version": "0", "lineage": "l", "serial": 1, "targets": {},
        "servers": {"m": {"revision": 1, "source": "npm", "package": "p", "version": "1.0.0",
                          "integrity": INTEGRITY, "store_path": None, "entries": {}, "config": {}}}}))
    for command in ("validate", "plan"):
        result = run_cli(capsys, tmp_path, command)
        assert result.code == 1 and "servers.m.integrity" in result.err and "moved by hand" in result.err, result
