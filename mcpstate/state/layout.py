"""The project's state dir (DESIGN §3): its layout is spelled out here and nowhere else.

    sd = StateDir(project / ".mcpstate")
    sd.journal, sd.state_file, sd.txn_dir(tx), sd.confine(path_read_from_a_file)

Every path that mcpstate reads back from its own files (a journal's `tx`, a state's
`store_path`, a manifest's file name) goes through `confine` or `txn_dir` before it is
read, written or removed: a path outside the folder is corruption, never an instruction.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from mcpstate.errors import StateError
from mcpstate.fsutil import ensure_private_dir

TX_ID = re.compile(r"[0-9a-f]{12}")


class StateDir:
    """One project's state dir: where each of its files and folders is."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def __repr__(self) -> str:
        return f"StateDir({str(self.root)!r})"

    def __str__(self) -> str:
        return str(self.root)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, StateDir) and other.root == self.root

    def __hash__(self) -> int:
        return hash(self.root)

    @property
    def state_file(self) -> Path:
        return self.root / "state.json"

    @property
    def state_backup(self) -> Path:
        return self.root / "state.json.backup"

    @property
    def journal(self) -> Path:
        return self.root / "journal.jsonl"

    def journal_archive(self, name: str) -> Path:
        """gc's archive `journal-YYYYMMDD.jsonl.gz` (the name as gc chose it)."""
        if not re.fullmatch(r"journal-\d{8}(-\d+)?\.jsonl\.gz", name):
            raise StateError(f"{self.root}: {name!r} is not a journal archive name")
        return self.root / name

    def journal_archives(self) -> list[Path]:
        """gc's archives, oldest first (the date in the name sorts)."""
        return sorted(self.root.glob("journal-*.jsonl.gz"))

    @property
    def lock_file(self) -> Path:
        return self.root / "lock"

    @property
    def lock_info(self) -> Path:
        return self.root / "lock.json"

    @property
    def log(self) -> Path:
        return self.root / "mcpstate.log"

    @property
    def reports(self) -> Path:
        return self.root / "reports"

    @property
    def backups(self) -> Path:
        return self.root / "backups"

    @property
    def txn(self) -> Path:
        return self.root / "txn"

    @property
    def store(self) -> Path:
        return self.root / "store"

    @property
    def staging(self) -> Path:
        return self.root / "staging"

    def txn_dir(self, tx: str) -> Path:
        """The pre-images of transaction `tx`; a tx id that is not 12 hex digits is corruption."""
        if not isinstance(tx, str) or not TX_ID.fullmatch(tx):
            raise StateError(f"{self.root}: transaction id {tx!r} is not 12 lowercase hex digits "
                             "(a corrupt journal or state?)")
        return self.txn / tx

    def exists(self) -> bool:
        return self.root.is_dir()

    def create(self) -> StateDir:
        """The folder (0700) and its parents, if missing."""
        ensure_private_dir(self.root)
        return self

    def confine(self, path: Path | str, within: Path | None = None) -> Path:
        """`path` (relative to the state dir, or absolute) resolved; it must lie inside
        `within` (default: the state dir), else it is corruption."""
        folder = os.path.realpath(within or self.root)
        full = os.path.realpath(self.root / path)
        if os.path.commonpath([folder, full]) != folder:
            raise StateError(f"{self.root}: {str(path)!r} points outside {folder} "
                             "(a corrupt or tampered state file?); nothing was changed")
        return Path(full)

