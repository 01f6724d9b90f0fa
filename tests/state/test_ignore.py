"""init and import keep the state dir out of git (DESIGN §3): one line in .gitignore."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mcpstate.state.ignore import ignore_state_dir
from mcpstate.state.layout import StateDir
from tests.helpers import run_cli


def test_init_adds_the_state_dir_once_and_keeps_every_other_line(tmp_path: Path,
                                                                  capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / ".gitignore").write_text("node_modules/\n# keep me\n*.log")  # no final newline
    result = run_cli(capsys, tmp_path, "init")
    assert result.code == 0 and "Added /.mcpstate/ to .gitignore" in result.out + result.err
    assert (tmp_path / ".gitignore").read_text() == (
        "node_modules/\n# keep me\n*.log\n# mcpstate's state dir: this machine's, never committed\n/.mcpstate/\n")
    before = (tmp_path / ".gitignore").read_bytes()
    assert run_cli(capsys, tmp_path, "init", "--force").code == 0
    assert (tmp_path / ".gitignore").read_bytes() == before  # once


def test_import_adds_a_custom_state_dir_and_not_one_outside_the_project(tmp_path: Path,
                                                                        capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / ".mcp.json").write_text(json.dumps({"mcpServers": {"x": {"command": "/bin/true"}}}))
    (tmp_path / "mcpstate.lock.yaml").write_text("version: 1\nstate_dir: var/state\nservers: {}\n")
    assert run_cli(capsys, tmp_path, "import", "--client", "claude-code").code == 0
    assert (tmp_path / ".gitignore").read_text().splitlines()[-1] == "/var/state/"
    outside = tmp_path.parent / f"{tmp_path.name}-state"
    assert ignore_state_dir(tmp_path / "sub", StateDir(outside)) is None
    assert ignore_state_dir(tmp_path, StateDir(tmp_path)) is None
    assert ignore_state_dir(tmp_path, StateDir(tmp_path / "var" / "state")) is None  # there already
