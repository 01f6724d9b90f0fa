"""The lockfile's checked document kept in the state dir (lockfile/checked.py): apply keeps
it, plan on an unchanged lockfile skips the YAML parse, the schema and the rules, writes
nothing, and never trusts an entry for other bytes, other code, or checks that read
other files."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from mcpstate.errors import LockfileError
from mcpstate.fsutil import sha256_bytes
from mcpstate.lockfile.checked import keep, recall, remember
from mcpstate.lockfile.closure import digest, write_files
from mcpstate.lockfile.load import load_lockfile
from mcpstate.state.layout import StateDir
from tests.helpers import run_cli, snapshot
from tests.lockfile.test_closure import NPM_FILES, PNPM_LOCK, write_project

SERVER = Path(__file__).resolve().parents[2] / "testing" / "servers" / "fixture_server.py"
LOCK = ("version: 1\nservers:\n  app:\n    source: command\n    command: /bin/true\n"
        "    args: [--stdio, \"x: y\"]\n    env: {LOG_LEVEL: info}\n")


def marked_state_dir(project: Path) -> StateDir:
    return StateDir(project / ".mcpstate").create()


def kept(project: Path) -> StateDir:
    """The state dir as an apply of the lockfile as it is now leaves it."""
    sd = marked_state_dir(project)
    lockfile = project / "mcpstate.lock.yaml"
    keep(lockfile, sd, sha256_bytes(lockfile.read_bytes()))
    return sd


def test_a_load_takes_the_document_apply_kept(tmp_path: Path) -> None:
    path = tmp_path / "mcpstate.lock.yaml"
    path.write_text(LOCK)
    sd = marked_state_dir(tmp_path)
    first = load_lockfile(path, checked_in=sd)
    assert not sd.lockfile_check.exists()  # loading keeps nothing
    kept(tmp_path)
    assert recall(sd, sha256_bytes(path.read_bytes())) is not None
    assert load_lockfile(path, checked_in=sd) == first  # the same Lockfile either way


def test_apply_keeps_it_and_plan_writes_nothing(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "mcpstate.lock.yaml").write_text(f"version: 1\nservers:\n  a:\n    source: command\n"
                                                 f"    command: {sys.executable}\n    args: [{SERVER}]\n")
    marked_state_dir(tmp_path)
    before = snapshot(tmp_path)
    assert run_cli(capsys, tmp_path, "plan").code == 0
    assert snapshot(tmp_path) == before
    assert run_cli(capsys, tmp_path, "apply", "--auto-approve").code == 0
    sd = StateDir(tmp_path / ".mcpstate")
    assert recall(sd, sha256_bytes((tmp_path / "mcpstate.lock.yaml").read_bytes())) is not None
    before = snapshot(tmp_path)
    result = run_cli(capsys, tmp_path, "plan")
    assert result.code == 0 and "No changes" in result.out, result
    assert snapshot(tmp_path) == before


def plan_loads(project: Path) -> set[str]:
    code = ("import sys\nfrom mcpstate.cli import main\nmain(['-C', sys.argv[1], 'plan'])\n"
            "print(' '.join(sorted(sys.modules)))\n")
    proc = subprocess.run([sys.executable, "-c", code, str(project)], capture_output=True, text=True, check=True)
    return set(proc.stdout.split("\n")[-2].split())


def test_plan_on_a_kept_lockfile_imports_no_yaml_and_no_rules(tmp_path: Path) -> None:
    (tmp_path / "mcpstate.lock.yaml").write_text(LOCK)
    marked_state_dir(tmp_path)
    assert {"yaml", "mcpstate.lockfile.rules"} <= plan_loads(tmp_path)  # nothing kept: the full check
    kept(tmp_path)
    assert not {"yaml", "mcpstate.lockfile.rules", "mcpstate.lockfile.schemacheck"} & plan_loads(tmp_path)


def test_an_edited_lockfile_is_checked_again(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "mcpstate.lock.yaml").write_text(LOCK)
    kept(tmp_path)
    assert run_cli(capsys, tmp_path, "plan").code == 0
    (tmp_path / "mcpstate.lock.yaml").write_text(LOCK.replace("command: /bin/true", "command: 7"))
    result = run_cli(capsys, tmp_path, "plan")
    assert result.code == 1 and "mcpstate.lock.yaml:5:" in result.err and "servers.app.command" in result.err


def test_an_entry_of_other_code_or_another_python_is_not_taken(tmp_path: Path) -> None:
    (tmp_path / "mcpstate.lock.yaml").write_text(LOCK)
    sd, sha = kept(tmp_path), sha256_bytes(LOCK.encode())
    entry = json.loads(sd.lockfile_check.read_bytes())
    assert recall(sd, sha) == entry["document"] and recall(sd, "other bytes") is None
    code = [path for path, _, _ in entry["code"]]
    assert any(p.endswith("rules.py") for p in code) and any(p.endswith("lockfile.schema.json") for p in code)
    edits: list[dict[str, object]] = [
        {"code": [[p, size, mtime + 1] for p, size, mtime in entry["code"]]},  # a module edited since
        {"code": [*entry["code"], ["/nonexistent/module.py", 1, 1]]},
        {"code": [c for c in entry["code"] if not c[0].endswith("checked.py")]},  # another copy of mcpstate
        {"code": [c for c in entry["code"] if not c[0].endswith("yaml/__init__.py")]},  # another PyYAML
        {"python": "2.7"}, {"format": 0}, {"document": []}]
    for edit in edits:
        sd.lockfile_check.write_text(json.dumps({**entry, **edit}))
        assert recall(sd, sha) is None, edit
    for garbage in (b"", b"{", b"[]", b"\xff"):
        sd.lockfile_check.write_bytes(garbage)
        assert recall(sd, sha) is None


def test_nothing_is_kept_outside_a_state_dir_of_mcpstate(tmp_path: Path) -> None:
    (tmp_path / "mcpstate.lock.yaml").write_text(LOCK)
    sd = StateDir(tmp_path / ".mcpstate")
    keep(tmp_path / "mcpstate.lock.yaml", sd, sha256_bytes(LOCK.encode()))
    assert not sd.root.exists()  # no state dir made
    sd.root.mkdir()
    (sd.root / "theirs.txt").write_text("not mcpstate's folder")
    keep(tmp_path / "mcpstate.lock.yaml", sd, sha256_bytes(LOCK.encode()))
    assert [p.name for p in sd.root.iterdir()] == ["theirs.txt"]
    sd = marked_state_dir(tmp_path / "other")
    remember(sd, "sha", {"version": 1, "servers": {}, "state_dir": "elsewhere"})
    keep(tmp_path / "mcpstate.lock.yaml", sd, "the bytes apply read, since edited")
    assert not sd.lockfile_check.exists()


def test_the_lock_folder_is_checked_on_every_load(tmp_path: Path) -> None:
    lockfile = write_project(tmp_path, digest(NPM_FILES))
    write_files(lockfile, "srv", NPM_FILES)
    sd = kept(tmp_path)
    assert sd.lockfile_check.exists()
    (tmp_path / "mcpstate.lock.d" / "srv" / "pnpm-lock.yaml").write_bytes(PNPM_LOCK + b"# x\n")
    with pytest.raises(LockfileError) as recalled:
        load_lockfile(lockfile, checked_in=sd)
    with pytest.raises(LockfileError) as full:
        load_lockfile(lockfile)
    assert str(recalled.value) == str(full.value) and "changed by hand" in str(recalled.value)
