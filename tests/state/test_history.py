"""history and rollback by name: several names at once; an unknown name said plainly."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mcpstate.stamps import who
from mcpstate.state.journal import open_journal
from mcpstate.state.layout import StateDir
from tests.helpers import run_cli

LOCK = "version: 1\nservers:\n  a:\n    source: command\n    command: /bin/true\n"


def committed(tmp_path: Path, *servers: str) -> None:
    sd = StateDir(tmp_path / ".mcpstate").create()
    journal = open_journal(sd, who())
    for i, server in enumerate(servers):
        journal.append(f"{i:012x}", "apply", server, "committed",
                       detail={"revision": 1, "description": "Install complete", "record": {"version": "1.0.0"}})
    journal.close()


def test_history_takes_several_names(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "mcpstate.lock.yaml").write_text(LOCK)
    committed(tmp_path, "a", "b", "c")
    result = run_cli(capsys, tmp_path, "history", "a", "c", "--format", "json")
    assert result.code == 0
    assert [r["server"] for r in json.loads(result.out)["revisions"]] == ["a", "c"]
    text = run_cli(capsys, tmp_path, "history", "a", "c").out
    assert text.startswith("SERVER") and "\nb " not in text


def test_rollback_of_a_server_never_applied_says_so(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "mcpstate.lock.yaml").write_text(LOCK)
    committed(tmp_path, "a")
    result = run_cli(capsys, tmp_path, "rollback", "nosuch")
    assert result.code == 1 and "no server named 'nosuch' has ever been applied here" in result.err


def test_history_with_a_broken_lockfile_fails_as_every_command_does(tmp_path: Path,
                                                                    capsys: pytest.CaptureFixture[str]) -> None:
    # The default state dir has a history, but the broken lockfile may name another one:
    # showing the default's would be a guess (it exited 0 with the default's rows).
    committed(tmp_path, "a")
    (tmp_path / "mcpstate.lock.yaml").write_text(LOCK + "    bogus: 1\n")
    for args in (("history", "--format", "json"), ("history",)):
        result = run_cli(capsys, tmp_path, *args)
        assert result.code == 1, args
        assert "mcpstate.lock.yaml:6" in result.err and "bogus" in result.err
    document = json.loads(run_cli(capsys, tmp_path, "history", "--format", "json").out)
    assert "revisions" not in document and document["error"]
    # Without a lockfile, or with the state dir given, history still works.
    (tmp_path / "mcpstate.lock.yaml").unlink()
    assert run_cli(capsys, tmp_path, "history", "--format", "json").code == 0
    (tmp_path / "mcpstate.lock.yaml").write_text(LOCK + "    bogus: 1\n")
    given = run_cli(capsys, tmp_path, "--state-dir", ".mcpstate", "history", "--format", "json")
    assert given.code == 0 and json.loads(given.out)["revisions"][0]["server"] == "a"
