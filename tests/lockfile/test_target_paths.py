"""Target paths (DESIGN §4, §14): a project-scoped target's `path:` stays inside the
project; a `../` or absolute one is a validation error naming file, line and key. A
user-scoped client's file may be anywhere."""

from __future__ import annotations

from pathlib import Path

import pytest

from mcpstate.errors import LockfileError
from mcpstate.lockfile.load import load_lockfile
from tests.helpers import run_cli

SERVERS = "servers:\n  s:\n    source: command\n    command: /bin/true\n"


def lockfile_with(tmp_path: Path, *targets: str) -> Path:
    lines = "".join(f"  - {t}\n" for t in targets)
    path = tmp_path / "mcpstate.lock.yaml"
    path.write_text(f"version: 1\ntargets:\n{lines}{SERVERS}")
    return path


@pytest.mark.parametrize("path, why", [
    ("../x.json", "leads outside the project"),
    ("/tmp/x.json", "is an absolute path"),
    ("~/.mcp.json", "is in the home folder"),
    ("sub/../../x.json", "leads outside the project"),
    ("..\\\\x.json", "leads outside the project"),
])
def test_a_project_scoped_path_outside_the_project_is_an_error(tmp_path: Path, path: str, why: str,
                                                               capsys: pytest.CaptureFixture[str]) -> None:
    lockfile_with(tmp_path, "{client: claude-code}", f'{{client: cursor, path: "{path}"}}')
    result = run_cli(capsys, tmp_path, "validate")
    assert result.code == 1
    assert "mcpstate.lock.yaml:4:" in result.err and "targets[1].path:" in result.err, result.err
    assert why in result.err and "stays inside it" in result.err


@pytest.mark.parametrize("target", [
    "{client: vscode, path: configs/mcp.json}",
    "{client: claude-code, path: sub/../.mcp.json}",
    "{client: claude-desktop, path: /tmp/claude_desktop_config.json}",  # the user's own file
])
def test_paths_that_stay_inside_or_belong_to_the_user_are_fine(tmp_path: Path, target: str) -> None:
    lockfile = load_lockfile(lockfile_with(tmp_path, target))
    assert len(lockfile.targets) == 1


def test_every_escaping_target_is_reported(tmp_path: Path) -> None:
    with pytest.raises(LockfileError) as caught:
        load_lockfile(lockfile_with(tmp_path, "{client: claude-code, path: ../a.json}",
                                    "{client: vscode, path: /etc/b.json}"))
    assert [p.split(": ")[1] for p in caught.value.problems] == ["targets[0].path", "targets[1].path"]
