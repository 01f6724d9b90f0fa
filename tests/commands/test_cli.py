"""The command line: exit codes, the one error handler, global options."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers import run_cli, snapshot

LOCK = "version: 1\nservers:\n  a:\n    source: command\n    command: /bin/true\n"


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "mcpstate.lock.yaml").write_text(LOCK)
    return tmp_path


def test_version_is_fast_path_and_exits_0() -> None:
    proc = subprocess.run([sys.executable, "-m", "mcpstate", "--version"], capture_output=True, text=True)
    assert proc.returncode == 0 and proc.stdout.startswith("mcpstate 0.")


def test_usage_error_exits_1_not_2(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    result = run_cli(capsys, project, "plan", "--format", "yaml")
    assert result.code == 1
    assert "invalid choice: 'yaml'" in result.err and result.err.count("\n") == 1


def test_unknown_command_exits_1(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run_cli(capsys, project, "frobnicate").code == 1


def test_bug_exits_3_with_one_line_and_a_log(project: Path, capsys: pytest.CaptureFixture[str],
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        raise ZeroDivisionError("planner bug")

    monkeypatch.setattr("mcpstate.plan.prepare.make_plan", broken)
    result = run_cli(capsys, project, "plan")
    assert result.code == 3
    assert result.err.count("\n") == 1 and "mcpstate.log" in result.err
    log = (project / ".mcpstate" / "mcpstate.log").read_text()
    assert "ZeroDivisionError: planner bug" in log and "Traceback" in log
    assert "Traceback" not in result.err


def test_ctrl_c_exits_130(project: Path, capsys: pytest.CaptureFixture[str],
                          monkeypatch: pytest.MonkeyPatch) -> None:
    def interrupted(*args: object, **kwargs: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr("mcpstate.plan.prepare.make_plan", interrupted)
    assert run_cli(capsys, project, "plan").code == 130


def test_global_options_work_after_the_command(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    other = project / "sub"
    other.mkdir()
    (other / "custom.yaml").write_text(LOCK)
    result = run_cli(capsys, project, "plan", "-f", "sub/custom.yaml", "--format", "json")
    assert result.code == 0
    assert json.loads(result.out)["lockfile"]["path"] == "sub/custom.yaml"


def test_detailed_exitcode(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run_cli(capsys, project, "plan", "--detailed-exitcode").code == 2
    (project / "mcpstate.lock.yaml").write_text("version: 1\nservers: {}\n")
    assert run_cli(capsys, project, "plan", "--detailed-exitcode").code == 0


def test_plan_changes_nothing(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (project / ".mcp.json").write_text('{"mcpServers": {"x": {"command": "y"}}}')
    before = snapshot(project)
    assert run_cli(capsys, project, "plan").code == 0
    assert snapshot(project) == before
    assert not (project / ".mcpstate").exists()


def test_saved_plan_round_trip(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    text = run_cli(capsys, project, "plan").out
    assert run_cli(capsys, project, "plan", "-o", str(project / "plan.json")).code == 0
    shown = run_cli(capsys, project, "show", str(project / "plan.json"))
    assert shown.code == 0 and shown.out == text


def test_show_refuses_a_file_that_is_no_plan(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (project / "x.json").write_text('{"hello": 1}')
    result = run_cli(capsys, project, "show", str(project / "x.json"))
    assert result.code == 1 and "not a saved plan" in result.err


def test_target_option_must_name_a_server(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    result = run_cli(capsys, project, "plan", "--target", "nope")
    assert result.code == 1 and "nope" in result.err


def test_init_writes_a_valid_starter_and_refuses_to_overwrite(tmp_path: Path,
                                                              capsys: pytest.CaptureFixture[str]) -> None:
    assert run_cli(capsys, tmp_path, "init").code == 0
    assert run_cli(capsys, tmp_path, "validate").code == 0
    again = run_cli(capsys, tmp_path, "init")
    assert again.code == 1 and "exists already" in again.err


def test_a_bug_never_logs_into_a_folder_that_is_not_a_state_dir(project: Path, tmp_path: Path,
                                                                 capsys: pytest.CaptureFixture[str],
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    import tempfile

    def broken(*args: object, **kwargs: object) -> None:
        raise ZeroDivisionError("planner bug")

    theirs = tmp_path / "documents"
    theirs.mkdir()
    (theirs / "notes.txt").write_text("mine")
    monkeypatch.setattr("mcpstate.plan.prepare.make_plan", broken)
    result = run_cli(capsys, project, "--state-dir", str(theirs), "plan")
    assert result.code == 3 and sorted(p.name for p in theirs.iterdir()) == ["notes.txt"]
    log = Path(result.err.split("details in ")[1].strip())
    assert log.parent == Path(tempfile.gettempdir()) and log.name.startswith("mcpstate-") and log.name != "mcpstate.log"
    assert "ZeroDivisionError: planner bug" in log.read_text()
    log.unlink()
