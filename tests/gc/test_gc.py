"""gc (DESIGN §10): the file-level rules on a synthetic state dir (CLI in-process), and
the whole loop against the fixture world. The pure selection's tables: test_select.py."""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from mcpstate.gc.select import DAY_S, archive_name
from mcpstate.gc.run import OutsideStateDir, checked_path
from mcpstate.home import DataDir
from mcpstate.state.journal import encode_record, read_journal, read_journal_all
from mcpstate.state.layout import StateDir
from tests.helpers import run_cli


# --- files: a synthetic state dir, the CLI in-process --------------------------------

def make_entry(state: Path, dirname: str, created: str | None = "2026-01-01T00:00:00.000Z",
               marker: bool = True) -> Path:
    path = state / "store" / "npm" / dirname
    (path / "lib").mkdir(parents=True)
    (path / "lib" / "index.js").write_text("x" * 100)
    if marker:
        (path / ".mcpstate-intact").write_text(json.dumps({"created": created} if created else {}))
    return path


def shared_home() -> Path:
    """The test's MCPSTATE_HOME (the isolation fixture set it), made as mcpstate makes it."""
    return DataDir.from_environ().create().root


def tree_hash(folder: Path) -> str:
    """Every path below `folder`, with file bytes and link targets: links never followed."""
    digest = hashlib.sha256()
    for root, dirs, files in sorted(os.walk(folder)):
        for name in sorted(dirs + files):
            path = Path(root) / name
            data = os.readlink(path).encode() if path.is_symlink() else path.read_bytes() if path.is_file() else b"/"
            digest.update(f"{path.relative_to(folder)}\0".encode() + hashlib.sha256(data).digest())
    return digest.hexdigest()


def gc_json(capsys: pytest.CaptureFixture[str], project: Path, *args: str) -> dict[str, Any]:
    result = run_cli(capsys, project, "gc", "--format", "json", *args)
    assert result.code == 0, result.err
    doc = json.loads(result.out)
    validate_schema(doc)
    return doc  # type: ignore[no-any-return]


def validate_schema(doc: dict[str, Any]) -> None:
    import jsonschema

    schema = json.loads((Path(__file__).parents[2] / "mcpstate/schemas/gc.schema.json").read_text())
    jsonschema.Draft202012Validator(schema).validate(doc)


def test_links_inside_entries_are_removed_never_followed(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    outside = tmp_path / "outside"
    (outside / "dir").mkdir(parents=True)
    sentinels = [outside / "sentinel.txt", outside / "dir" / "kept.txt"]
    for s in sentinels:
        s.write_text("must survive")
    StateDir(tmp_path / "p" / ".mcpstate").create()
    home = shared_home()
    old = make_entry(home, "x@1.0.0", "2025-01-01T00:00:00.000Z")
    (old / "file-link").symlink_to(sentinels[0])
    (old / "lib" / "dir-link").symlink_to(outside / "dir")
    (home / "store" / "npm" / "x@0.1.0").symlink_to(outside)  # an "entry" that is a link
    make_entry(home, "x@2.0.0", marker=False)
    doc = gc_json(capsys, tmp_path / "p", "--keep", "0")
    assert [(i["area"], i["path"], i["bytes"] > 0) for i in doc["items"]] == [
        ("store", "store/npm/x@0.1.0", True), ("store", "store/npm/x@1.0.0", True),
        ("store", "store/npm/x@2.0.0", True)]
    assert not os.listdir(home / "store" / "npm")
    assert all(s.read_text() == "must survive" for s in sentinels) and (outside / "dir").is_dir()


def test_a_store_folder_linked_elsewhere_is_refused_and_checked_path_refuses_escapes(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    elsewhere = tmp_path / "elsewhere"
    make_entry(elsewhere, "x@1.0.0")
    state = StateDir(tmp_path / "p" / ".mcpstate").create().root
    home = shared_home()
    for area in (state, home):  # the project's own store (an older mcpstate's), then the shared one
        (area / "store").mkdir(parents=True)
        (area / "store" / "npm").symlink_to(elsewhere / "store" / "npm")
        result = run_cli(capsys, tmp_path / "p", "gc", "--keep", "0")
        assert result.code == 1 and "will not follow it" in result.err
        assert (elsewhere / "store" / "npm" / "x@1.0.0" / "lib" / "index.js").exists()
        for rel in ("store/npm/x@1.0.0", "store/../../elsewhere/store", "store", "/etc/passwd"):
            with pytest.raises(OutsideStateDir, match="refusing to delete"):
                checked_path(StateDir(state) if area == state else DataDir(home), rel)
        (area / "store" / "npm").unlink()
    assert checked_path(StateDir(state), "reports/r.json") == state / "reports" / "r.json"


def test_no_state_dir_no_lockfile_and_a_broken_lockfile(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    result = run_cli(capsys, tmp_path, "gc")
    assert (result.code, result.out) == (0, "Nothing to collect.\n") and not (tmp_path / ".mcpstate").exists()
    StateDir(tmp_path / ".mcpstate").create()
    home = shared_home()
    for n in range(5):  # no lockfile: the default keep_versions, 3
        make_entry(home, f"x@1.{n}.0", f"2026-11-0{n + 1}T00:00:00.000Z")
    text = run_cli(capsys, tmp_path, "gc", "--dry-run", "--older-than", "10000d")
    assert "Would remove 2 items:" in text.out and "$MCPSTATE_HOME/store/npm/x@1.0.0" in text.out
    assert "Would free 278 B." in text.out  # 100 + a 39-byte marker each
    (tmp_path / "mcpstate.lock.yaml").write_text("version: 1\nretention: {keep_versions: 2, typo: 1}\nservers: {}\n")
    assert run_cli(capsys, tmp_path, "gc").code == 1 and len(os.listdir(home / "store" / "npm")) == 5


def test_created_falls_back_to_the_folder_mtime(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    StateDir(tmp_path / ".mcpstate").create()
    home = shared_home()
    make_entry(home, "x@2.0.0", created=None)
    make_entry(home, "x@1.0.0", created="2020-01-01T00:00:00.000Z")
    then = time.time() - 400 * DAY_S
    os.utime(home / "store/npm/x@2.0.0", (then, then))
    for args, gone in ((["--keep", "1", "--older-than", "10000d"], ["1.0.0"]),
                       (["--keep", "5", "--older-than", "500d"], ["1.0.0"]),
                       (["--keep", "5", "--older-than", "300d"], ["1.0.0", "2.0.0"])):
        doc = gc_json(capsys, tmp_path, "--dry-run", *args)
        assert [i["path"] for i in doc["items"]] == [f"store/npm/x@{v}" for v in gone]


def test_staging_reports_backups_and_txn_on_disk(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    state, old = StateDir(tmp_path / ".mcpstate").create().root, time.time() - 40 * DAY_S
    for rel in ("staging/dead/node_modules/a.js", "staging/busy/node_modules/deep/b.js", "reports/a-1.json",
                "reports/b-1.json", "txn/closedtx/manifest.json", *(f"backups/.mcp.json.{n}.json" for n in range(12))):
        (state / rel).parent.mkdir(parents=True, exist_ok=True)
        (state / rel).write_text("{}")
    for rel in ("staging/dead", "staging/dead/node_modules", "staging/dead/node_modules/a.js", "staging/busy",
                "staging/busy/node_modules", "reports/a-1.json"):
        os.utime(state / rel, (old, old))  # busy/node_modules/deep is fresh: an install writing deep down
    text = run_cli(capsys, tmp_path, "gc", "--dry-run", "-v").out
    assert "Would remove 5 items:" in text and "Kept 1 live item:" in text
    assert "staging/busy  modified in the last minute: maybe a live install" in text
    doc = gc_json(capsys, tmp_path)
    assert [i["path"] for i in doc["items"]] == ["staging/dead", "txn/closedtx", "reports/a-1.json",
                                                 "backups/.mcp.json.0.json", "backups/.mcp.json.1.json"]
    assert [k["path"] for k in doc["kept_roots"]] == ["staging/busy"]
    assert sorted(os.listdir(state / "staging")) == ["busy"] and len(os.listdir(state / "backups")) == 10


def iso_ago(days: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime(time.time() - days * DAY_S))


def journal_with(state: Path, ages_days: list[float]) -> list[bytes]:
    state.mkdir(parents=True, exist_ok=True)
    lines = [encode_record({"seq": n + 1, "ts": iso_ago(age), "tx": f"{n:012x}", "op": "apply", "server": "app",
                            "event": "failed", "from": None, "to": "1.0.0", "detail": {"reason": f"r{n}"},
                            "who": "me"}) for n, age in enumerate(ages_days)]
    (state / "journal.jsonl").write_bytes(b"".join(lines))
    return lines


def test_an_archive_interrupted_before_the_rewrite_never_loses_or_repeats_a_line(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    state = StateDir(tmp_path / ".mcpstate").create().root
    lines = journal_with(state, [500, 450, 400, 1])
    # what a crash between writing the archive and replacing journal.jsonl leaves
    (state / "journal-20260101.jsonl.gz").write_bytes(gzip.compress(b"".join(lines[:2])))
    assert [r["seq"] for r in read_journal_all(StateDir(state)).records] == [1, 2, 3, 4]
    history = run_cli(capsys, tmp_path, "history", "app", "--format", "json")
    assert [r["description"] for r in json.loads(history.out)["revisions"]] == [f"Failed r{n}" for n in range(4)]
    doc = gc_json(capsys, tmp_path)
    archive = doc["items"][0]["reason"].rsplit(" ", 1)[-1]
    assert gzip.decompress((state / archive).read_bytes()) == lines[2]  # the two already archived: not again
    assert [r["seq"] for r in read_journal_all(StateDir(state)).records][:4] == [1, 2, 3, 4]
    assert read_journal(StateDir(state)).records[0]["seq"] == 4  # and then gc's own started/committed lines
    assert [r["event"] for r in read_journal(StateDir(state)).records[1:]] == ["started", "committed"]


def test_a_failed_removal_stops_gc_and_is_journaled(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    state = StateDir(tmp_path / ".mcpstate").create().root
    home = shared_home()
    make_entry(home, "x@1.0.0", "2026-01-01T00:00:00.000Z")
    make_entry(home, "x@2.0.0", "2026-01-02T00:00:00.000Z")

    def refuse(path: Any, *args: Any, **kwargs: Any) -> None:
        raise PermissionError(13, "Permission denied", str(path))

    monkeypatch.setattr("mcpstate.gc.run.shutil.rmtree", refuse)
    result = run_cli(capsys, tmp_path, "gc", "--keep", "0")
    assert result.code == 1 and "store/npm/x@1.0.0: cannot remove it (Permission denied)" in result.err
    events = [(r["event"], r["detail"].get("path")) for r in read_journal(StateDir(state)).records]
    assert events == [("started", None), ("failed", "store/npm/x@1.0.0")]
    assert len(os.listdir(home / "store" / "npm")) == 2


def test_process_detection_reads_exe_args_and_cwd_and_skips_what_it_cannot(tmp_path: Path) -> None:
    from mcpstate.gc.scan import _paths_used, process_roots, store_prefixes

    home = shared_home()
    first, second = make_entry(home, "x@1.0.0"), make_entry(home, "x@2.0.0")
    prefixes = store_prefixes(DataDir(home))
    (tmp_path / "link").symlink_to(second)
    info = {"exe": None, "cwd": None, "cmdline": ["node", f"--x={first}/lib/index.js", str(tmp_path / "link")]}
    assert _paths_used(info, prefixes) == {"store/npm/x@1.0.0", "store/npm/x@2.0.0"}
    assert _paths_used({"exe": None, "cwd": None, "cmdline": None}, prefixes) == set()  # AccessDenied
    sleeper = subprocess.Popen(["sleep", "60"], cwd=first / "lib")
    try:
        found = process_roots(prefixes, {"store/npm/x@1.0.0", "store/npm/x@2.0.0"})
    finally:
        sleeper.kill()
        sleeper.wait()
    assert found == {"store/npm/x@1.0.0": [f"used by pid {sleeper.pid} (sleep)"]}


# --- the whole loop against the fixture world ---------------------------------------

SIX = ["healthy", "add_tool", "remove_tool", "change_schema", "legacy_only", "chatty"]


def apply_in_turn(project: Any, behaviours: list[str]) -> Path:
    from tests.applyhelp import lockfile

    for behaviour in behaviours:
        project.write_lockfile(lockfile(npm=behaviour, on_breaking="warn"))
        project.run("apply", "--auto-approve", check=True)
    return project.path / ".mcpstate"  # type: ignore[no-any-return]


def entry_rel(behaviour: str) -> str:
    from mcpstate.store.entries import entry_dirname
    from testing.catalogue import NPM_SERVER, NPM_VERSIONS

    return f"store/npm/{entry_dirname(NPM_SERVER, NPM_VERSIONS[behaviour])}"


def gc_run(project: Any, *args: str) -> dict[str, Any]:
    doc = json.loads(project.run("gc", "--format", "json", *args, check=True).stdout)
    validate_schema(doc)
    return doc  # type: ignore[no-any-return]


def revisions(project: Any) -> list[tuple[int, str, str]]:
    rows = json.loads(project.run("history", "app", "--format", "json", check=True).stdout)["revisions"]
    return [(r["revision"], r["version"], r["status"]) for r in rows]


@pytest.mark.slow
def test_keep_2_after_six_versions_and_dry_run_lists_exactly_the_same(project: Any) -> None:
    state = apply_in_turn(project, SIX)
    before = tree_hash(state)
    dry = gc_run(project, "--keep", "2", "--dry-run")
    assert tree_hash(state) == before  # removed nothing, wrote nothing
    real = gc_run(project, "--keep", "2")
    assert dry == {**real, "dry_run": True}
    assert [(i["kind"], i["path"]) for i in real["items"]] == [("store", entry_rel(b)) for b in SIX[:4]]
    assert all(i["bytes"] > 10_000 for i in real["items"])
    assert real["freed_bytes"] == sum(i["bytes"] for i in real["items"])
    assert [(k["path"], k["reason"]) for k in real["kept_roots"]] == [  # by path: 2.1.0, then 2.2.0
        (entry_rel("legacy_only"), "previous revision (5) of app"),
        (entry_rel("chatty"), "current revision (6) of app; launched by .mcp.json")]
    assert sorted(f"store/npm/{name}" for name in os.listdir(project.store / "npm")) == [
        entry_rel("legacy_only"), entry_rel("chatty")]
    gc_lines = [r for r in read_journal(StateDir(state)).records if r["op"] == "gc"]
    assert [r["event"] for r in gc_lines] == ["started", "committed"]
    assert [i["path"] for i in gc_lines[0]["detail"]["items"]] == [entry_rel(b) for b in SIX[:4]]
    assert len(revisions(project)) == 6
    project.run("plan", "--detailed-exitcode", check=0)  # what is live was not touched
    assert gc_run(project, "--keep", "2")["items"] == []


@pytest.mark.slow
def test_a_server_process_running_from_an_old_entry_keeps_it_until_it_exits(project: Any) -> None:
    from testing.catalogue import NPM_SERVER_BIN
    from testing.stdio import StdioPeer

    apply_in_turn(project, ["healthy", "add_tool", "change_schema"])
    old = project.store.parent / entry_rel("healthy")
    # a client that has not restarted since the upgrade still runs the old entry's bin
    with StdioPeer([str(old / "node_modules" / ".bin" / NPM_SERVER_BIN)], env=project.env) as peer:
        answer = peer.request({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
            "protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "t", "version": "1"}}})
        assert "result" in answer
        live = gc_run(project, "--keep", "0")
        assert live["items"] == [] and old.is_dir()
        reasons = {k["path"]: k["reason"] for k in live["kept_roots"]}
        assert reasons[entry_rel("healthy")] == f"used by pid {peer.proc.pid} (node)"
    done = gc_run(project, "--keep", "0")
    assert [i["path"] for i in done["items"]] == [entry_rel("healthy")] and not old.exists()


@pytest.mark.slow
def test_rollback_works_after_gc_and_reinstalls_a_revision_gc_collected(project: Any) -> None:
    from tests.applyhelp import probe_entry, read_json

    apply_in_turn(project, ["healthy", "add_tool", "change_schema"])
    assert [i["path"] for i in gc_run(project, "--keep", "1")["items"]] == [entry_rel("healthy")]
    project.run("rollback", "app", check=True)  # to revision 2: the previous, a root, still there
    assert gc_run(project, "--keep", "1")["items"] == []  # now 2 is current and 3 previous
    project.run("rollback", "app", "1", check=True)  # its entry is gone: installed again
    assert (project.store.parent / entry_rel("healthy") / ".mcpstate-intact").is_file()
    entry = read_json(project.path / ".mcp.json")["mcpServers"]["app"]
    assert "@1.0.0/" in entry["command"] and probe_entry(entry).passed
    assert [r[1:] for r in revisions(project)][-1] == ("1.0.0", "deployed")


@pytest.mark.slow
def test_old_journal_lines_move_to_an_archive_and_history_still_shows_them(project: Any) -> None:
    from mcpstate.state.journal import read_archive

    state = apply_in_turn(project, ["healthy", "add_tool", "change_schema"])
    records = read_journal(StateDir(state)).records
    first = [r for r in records if r["tx"] == records[0]["tx"]]
    aged = iso_ago(400)
    # a year-old first apply: its lines re-written with an old ts, their CRCs recomputed
    (state / "journal.jsonl").write_bytes(b"".join(encode_record({**r, "ts": aged} if r in first else r)
                                                   for r in records))
    shown = project.run("history", "app", check=True).stdout
    assert len(revisions(project)) == 3
    doc = gc_run(project)
    assert [(i["kind"], i["reason"]) for i in doc["items"]] == [
        ("journal", f"{len(first)} lines older than 365 days moved to {archive_name(time.time())}")]
    archived = read_archive(state / archive_name(time.time())).records  # parsed: every CRC verified
    assert archived == [{**r, "ts": aged} for r in first]
    kept = read_journal(StateDir(state)).records
    assert kept[0] == records[len(first)] and [r["event"] for r in kept[-2:]] == ["started", "committed"]
    assert project.run("history", "app", check=True).stdout == shown
    assert gc_run(project)["items"] == []  # nothing left to move, and no line archived twice


@pytest.mark.slow
def test_an_interrupted_apply_stays_recoverable_through_gc(project: Any) -> None:
    from tests.applyhelp import assert_invariant, lockfile

    state = apply_in_turn(project, ["healthy"])
    project.write_lockfile(lockfile(npm="add_tool", on_breaking="warn"))
    crash = subprocess.run([sys.executable, "-m", "mcpstate", "-C", str(project.path), "apply", "--auto-approve"],
                           env={**project.env, "MCPSTATE_TEST_CRASH_AT": "swapped"}, capture_output=True,
                           stdin=subprocess.DEVNULL)
    assert crash.returncode == -9, crash.stderr
    (tx,) = os.listdir(state / "txn")
    doc = gc_run(project, "--keep", "0")
    assert doc["items"] == []
    assert {k["path"]: k["reason"] for k in doc["kept_roots"]} == {
        entry_rel("healthy"): "current revision (1) of app",
        entry_rel("add_tool"): f"staged by open transaction {tx}; launched by .mcp.json",
        f"txn/{tx}": f"pre-images of open transaction {tx} (the next apply recovers it)"}
    project.run("apply", "--auto-approve", check=True)
    assert_invariant(project.path)
    project.run("plan", "--detailed-exitcode", check=0)
