"""The data dir (MCPSTATE_HOME) has the state dir's guarantees (DESIGN §3, §10): its own
marker, nothing made or deleted in somebody else's folder, paths read back confined."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from mcpstate.errors import StoreError
from mcpstate.home import MARKER, DataDir
from mcpstate.store.entries import recorded_entry
from mcpstate.store.roots import add_root, list_roots


def test_a_folder_holding_other_files_is_never_taken(tmp_path: Path) -> None:
    folder = tmp_path / "documents"
    folder.mkdir()
    (folder / "thesis.tex").write_text("mine")
    with pytest.raises(StoreError, match="not mcpstate's"):
        DataDir(folder).create()
    assert sorted(os.listdir(folder)) == ["thesis.tex"]


def test_an_older_mcpstates_data_dir_is_adopted_and_marked(tmp_path: Path) -> None:
    folder = tmp_path / "old"
    for name in ("tools", "cache", "locks"):
        (folder / name).mkdir(parents=True)
    DataDir(folder).create()
    assert (folder / MARKER).is_file()


def test_nothing_is_deleted_without_the_marker(tmp_path: Path) -> None:
    (tmp_path / "store").mkdir()
    with pytest.raises(StoreError, match="nothing is deleted"):
        DataDir(tmp_path).require_marker()


@pytest.mark.parametrize("path", ["/etc", "{home}/store/../../x", "{home}/staging/x", "{home}"])
def test_a_store_path_read_back_must_lie_in_a_store(tmp_path: Path, path: str) -> None:
    home = DataDir(tmp_path / "data")
    with pytest.raises(StoreError, match="points outside"):
        recorded_entry(home, tmp_path / "p" / ".mcpstate" / "store", path.format(home=home.root))
    ok = home.store / "npm" / "x@1.0.0"
    assert recorded_entry(home, tmp_path / "p" / ".mcpstate" / "store", str(ok)) == ok


def test_portable_paths_go_through_home_only_inside_it(tmp_path: Path) -> None:
    home = DataDir(tmp_path / "h" / ".local" / "share" / "mcpstate")
    env = {"HOME": str(tmp_path / "h")}
    assert home.portable(home.store / "npm" / "x", env) == "${HOME}/.local/share/mcpstate/store/npm/x"
    assert home.in_home_folder(env)
    elsewhere = DataDir(tmp_path / "srv" / "mcpstate")
    assert elsewhere.portable(elsewhere.store, env) == str(elsewhere.store)
    assert not elsewhere.in_home_folder(env)
    assert not DataDir(tmp_path / "h2").in_home_folder({"HOME": str(tmp_path / "h")})  # a prefix is not inside


def test_roots_link_each_state_dir_once_and_tell_dangling_ones(tmp_path: Path) -> None:
    from mcpstate.state.layout import StateDir

    home = DataDir(tmp_path / "data")
    live = StateDir(tmp_path / "a" / ".mcpstate").create()
    gone = StateDir(tmp_path / "b" / ".mcpstate").create()
    assert add_root(home, live.root) == add_root(home, live.root)
    add_root(home, gone.root)
    os.remove(gone.marker)
    roots = {r.link.name.split("-")[0]: r.state_dir for r in list_roots(home)}
    assert roots == {"a": Path(os.path.realpath(live.root)), "b": None}
