"""A first apply on bad input changes nothing: the state dir (marker, lock, journal) is
created only once the inputs have been read and planned (DESIGN §5: nothing half-done)."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from tests.helpers import run_cli

LOCK = ("version: 1\ntargets:\n  - {client: claude-code}\n  - {client: cursor}\nservers:\n"
        "  a:\n    source: command\n    command: /bin/true\n    test: {skip: true}\n")


def every_path(root: Path) -> dict[str, str]:
    """Each file (its sha256) and folder (None) under `root`: a created empty folder counts."""
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest() if p.is_file() else "dir"
            for p in sorted(root.rglob("*"))}


@pytest.mark.parametrize("broken", [".mcp.json", ".cursor/mcp.json"])
def test_a_broken_target_on_the_first_apply_creates_no_state_dir(
        broken: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "mcpstate.lock.yaml").write_text(LOCK)
    (tmp_path / broken).parent.mkdir(exist_ok=True)
    (tmp_path / broken).write_text('{"mcpServers": ')
    before = every_path(tmp_path)
    result = run_cli(capsys, tmp_path, "apply", "--auto-approve")
    assert result.code == 1 and f"{broken}:1:16: invalid JSON" in result.err
    assert every_path(tmp_path) == before  # no .mcpstate/, no marker, no journal


def test_a_stale_saved_plan_on_the_first_apply_creates_no_state_dir(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "mcpstate.lock.yaml").write_text(LOCK)
    assert run_cli(capsys, tmp_path, "plan", "-o", "plan.json").code == 0
    (tmp_path / "mcpstate.lock.yaml").write_text(LOCK.replace("/bin/true", "/bin/echo"))
    before = every_path(tmp_path)
    result = run_cli(capsys, tmp_path, "apply", "plan.json")
    assert result.code == 1 and "stale" in result.err
    assert every_path(tmp_path) == before


def test_good_input_still_creates_the_state_dir_and_applies(tmp_path: Path,
                                                            capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "mcpstate.lock.yaml").write_text(LOCK)
    assert run_cli(capsys, tmp_path, "apply", "--auto-approve").code == 0
    assert (tmp_path / ".mcpstate" / "MCPSTATE_STATE_DIR.TAG").is_file()
    assert '"a"' in (tmp_path / ".mcp.json").read_text()
