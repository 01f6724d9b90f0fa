"""The StateDir object: its layout, its creation with modes, its confinement."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from mcpstate.errors import StateError
from mcpstate.state.layout import StateDir


def test_create_makes_a_private_folder(tmp_path: Path) -> None:
    sd = StateDir(tmp_path / "a" / ".mcpstate").create()
    assert sd.exists() and stat.S_IMODE(os.stat(sd.root).st_mode) == 0o700


def test_every_file_lies_inside_the_folder(tmp_path: Path) -> None:
    sd = StateDir(tmp_path)
    for path in (sd.state_file, sd.state_backup, sd.journal, sd.lock_file, sd.lock_info, sd.log,
                 sd.reports, sd.backups, sd.txn, sd.store, sd.staging, sd.txn_dir("0123456789ab")):
        assert path.parent in (tmp_path, sd.txn)


@pytest.mark.parametrize("rel", ["../outside", "/etc/passwd", "reports/../../x"])
def test_confine_refuses_what_leaves_the_folder(tmp_path: Path, rel: str) -> None:
    sd = StateDir(tmp_path / "s").create()
    with pytest.raises(StateError, match="points outside"):
        sd.confine(rel)


def test_confine_follows_links_before_judging(tmp_path: Path) -> None:
    sd = StateDir(tmp_path / "s").create()
    (sd.root / "reports").symlink_to(tmp_path)  # a link inside that leads outside
    with pytest.raises(StateError):
        sd.confine("reports/x.json")
    assert sd.confine("journal.jsonl") == sd.journal.resolve()


@pytest.mark.parametrize("name", ["journal-20261128.jsonl.gz", "journal-20261128-2.jsonl.gz"])
def test_archive_names(tmp_path: Path, name: str) -> None:
    assert StateDir(tmp_path).journal_archive(name) == tmp_path / name


@pytest.mark.parametrize("name", ["../journal-20261128.jsonl.gz", "state.json", "journal-2026.jsonl.gz\n"])
def test_other_archive_names_are_refused(tmp_path: Path, name: str) -> None:
    with pytest.raises(StateError):
        StateDir(tmp_path).journal_archive(name)
