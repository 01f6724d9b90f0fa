"""Confinement (DESIGN §3, §9): mcpstate writes, deletes and recovers only inside a
folder that carries its marker, and every path it reads back from its own files, or
derives from input, must lie inside the folder it belongs to."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from mcpstate.errors import InstallError, StateError
from mcpstate.model import ServerSpec
from mcpstate.state.journal import encode_record
from mcpstate.state.layout import MARKER, StateDir
from mcpstate.home import DataDir
from mcpstate.store.launch import executable
from tests.helpers import run_cli, snapshot

LOCK = "version: 1\nservers:\n  a:\n    source: command\n    command: /bin/true\n"
SERVER = Path(__file__).resolve().parents[2] / "testing" / "servers" / "fixture_server.py"
NPM = "version: 1\nservers:\n  a:\n    source: npm\n    package: pkg\n    version: 1.0.0\n"


def documents(folder: Path) -> Path:
    """Somebody's folder, laid out as mcpstate's state dir would be: the worst case."""
    for rel in ("photos/cat.jpg", "reports/old.json", "staging/x/y", "txn/0123456789ab/manifest.json",
                "store/npm/pkg@1.0.0/lib.js", "backups/.mcp.json.1.json", "notes.txt"):
        (folder / rel).parent.mkdir(parents=True, exist_ok=True)
        (folder / rel).write_text("mine")
    return folder


@pytest.mark.parametrize("how", ["lockfile", "option", "environment"])
def test_gc_and_apply_refuse_a_folder_that_is_not_a_state_dir(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, how: str) -> None:
    project, theirs = tmp_path / "p", documents(tmp_path / "x")
    project.mkdir()
    args: list[str] = []
    if how == "lockfile":
        (project / "mcpstate.lock.yaml").write_text(LOCK + "state_dir: ../x\n")
    else:
        (project / "mcpstate.lock.yaml").write_text(LOCK)
        if how == "option":
            args = ["--state-dir", str(theirs)]
        else:
            monkeypatch.setenv("MCPSTATE_STATE_DIR", str(theirs))
    before = snapshot(theirs)
    for command in (["gc"], ["gc", "--older-than", "0d"], ["apply", "--auto-approve"]):
        result = run_cli(capsys, project, *args, *command)
        assert result.code == 1, (command, result)
        assert "not a state dir of mcpstate" in result.err
    assert snapshot(theirs) == before


@pytest.mark.parametrize("value", [".", "..", "../x"])
def test_validate_names_a_state_dir_that_is_somebody_elses_folder(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], value: str) -> None:
    project = tmp_path / "p"
    project.mkdir()
    documents(tmp_path / "x")
    (project / "mcpstate.lock.yaml").write_text(LOCK + f"state_dir: {value}\n")
    result = run_cli(capsys, project, "validate")
    assert result.code == 1 and ":6:1: state_dir:" in result.err and "not a state dir" in result.err


def test_a_new_or_empty_folder_becomes_a_state_dir_with_its_marker(tmp_path: Path,
                                                                   capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "empty").mkdir()
    (tmp_path / "mcpstate.lock.yaml").write_text(
        f"version: 1\nstate_dir: empty\nservers:\n  a:\n    source: command\n"
        f"    command: {sys.executable}\n    args: [{SERVER}]\n")
    assert run_cli(capsys, tmp_path, "apply", "--auto-approve").code == 0
    assert (tmp_path / "empty" / MARKER).is_file()


def test_a_state_dir_of_an_older_mcpstate_is_adopted(tmp_path: Path) -> None:
    sd = StateDir(tmp_path / ".mcpstate")
    sd.root.mkdir()
    sd.state_file.write_text(json.dumps({"format_version": 1, "lineage": "l", "serial": 1, "servers": {}}))
    assert sd.foreign() is None
    sd.create()
    assert sd.marker.is_file()


def test_a_journal_tx_that_climbs_out_is_corruption(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "mcpstate.lock.yaml").write_text(LOCK)
    sd = StateDir(tmp_path / ".mcpstate").create()
    victim = documents(tmp_path / "victim")
    record = {"seq": 1, "ts": "2026-01-01T00:00:00.000Z", "tx": "../../victim", "op": "apply",
              "server": "a", "event": "swapped", "from": None, "to": None, "detail": None, "who": "x@y"}
    sd.journal.write_bytes(encode_record(record))  # a valid CRC: only the tx is wrong
    before = snapshot(victim)
    result = run_cli(capsys, tmp_path, "apply", "--auto-approve")
    assert result.code == 1 and "corrupt journal line" in result.err
    assert snapshot(victim) == before


@pytest.mark.parametrize("version", ["../../x", "1.0.0/../../..", "1.0.0\n", " 1.0.0"])
def test_test_version_is_checked_like_a_lockfile_pin(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                     version: str) -> None:
    (tmp_path / "mcpstate.lock.yaml").write_text(NPM)
    result = run_cli(capsys, tmp_path, "test", "a", "--version", version)
    assert result.code == 1 and "is not an exact npm version" in result.err
    assert not (tmp_path / ".mcpstate" / "store").exists() and not DataDir.from_environ().store.exists()


def test_a_bin_name_that_climbs_out_of_the_store_is_never_a_path(tmp_path: Path) -> None:
    entry = tmp_path / "store" / "npm" / "pkg@1.0.0"
    package = entry / "node_modules" / "pkg"
    package.mkdir(parents=True)
    (package / "package.json").write_text(json.dumps({"bin": {"../../../../evil": "x.js"}}))
    (entry / "node_modules" / ".bin").mkdir()
    spec = ServerSpec("a", "npm", package="pkg", version="1.0.0")
    with pytest.raises(InstallError, match="declares no executable"):
        executable(spec, entry)
    with pytest.raises(InstallError, match="has no executable"):
        executable(spec._replace(bin="../../../../evil"), entry)


def test_a_linked_bin_is_found(tmp_path: Path) -> None:
    entry = tmp_path / "pkg@1.0.0"
    (entry / "node_modules" / "pkg").mkdir(parents=True)
    (entry / "node_modules" / "pkg" / "package.json").write_text(json.dumps({"bin": {"srv": "x.js"}}))
    (entry / "node_modules" / ".bin").mkdir()
    (entry / "node_modules" / ".bin" / "srv").symlink_to("../pkg/x.js")
    assert executable(ServerSpec("a", "npm", package="pkg", version="1.0.0"), entry) == \
        entry / "node_modules" / ".bin" / "srv"


def test_a_store_path_outside_the_store_is_corruption(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "mcpstate.lock.yaml").write_text(NPM)
    sd = StateDir(tmp_path / ".mcpstate").create()
    state = {"format_version": 1, "mcpstate_version": "0", "lineage": "l", "serial": 1, "targets": {},
             "servers": {"a": {"revision": 1, "source": "npm", "package": "pkg", "version": "1.0.0",
                               "integrity": None, "store_path": str(tmp_path / "elsewhere"),
                               "entries": {}, "config": {}}}}
    sd.state_file.write_text(json.dumps(state))
    for command in (["plan"], ["status"]):
        result = run_cli(capsys, tmp_path, *command)
        assert result.code == 1 and "points outside" in result.err, (command, result)


def test_deleting_needs_the_marker(tmp_path: Path) -> None:
    sd = StateDir(tmp_path)
    with pytest.raises(StateError, match="nothing is deleted or recovered"):
        sd.require_marker()
