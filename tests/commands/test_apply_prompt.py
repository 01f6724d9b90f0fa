"""apply's prompt (Terraform's): an answer piped on stdin counts; no answer at all refuses."""

from __future__ import annotations

import io
import json
import sys
from pathlib import Path

import pytest

from tests.helpers import run_cli

SERVER = Path(__file__).resolve().parents[2] / "testing" / "servers" / "fixture_server.py"
LOCK = f"version: 1\nservers:\n  a:\n    source: command\n    command: {sys.executable}\n    args: [{SERVER}]\n"


@pytest.mark.parametrize("answer, code, applied", [("yes\n", 0, True), ("no\n", 1, False), ("", 1, False)])
def test_a_piped_answer_counts(tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
                               answer: str, code: int, applied: bool) -> None:
    (tmp_path / "mcpstate.lock.yaml").write_text(LOCK)
    monkeypatch.setattr(sys, "stdin", io.StringIO(answer))
    result = run_cli(capsys, tmp_path, "apply")
    assert result.code == code, result
    assert "Enter a value:" in result.out
    assert (tmp_path / ".mcp.json").exists() == applied
    if applied:
        assert "a" in json.loads((tmp_path / ".mcp.json").read_text())["mcpServers"]
    elif not answer:
        assert "no answer came on stdin" in result.err
    else:
        assert "cancelled" in (result.out + result.err).lower()
