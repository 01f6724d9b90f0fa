"""The project's state dir (DESIGN §3): its layout is spelled out here and nowhere else.

    sd = StateDir(project / ".mcpstate")
    sd.journal, sd.state_file, sd.txn_dir(tx), sd.confine(path_read_from_a_file)

Every path that mcpstate reads back from its own files (a journal's `tx`, a state's
`store_path`, a manifest's file name) goes through `confine` or `txn_dir` before it is
read, written or removed: a path outside the folder is corruption, never an instruction.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

from mcpstate.errors import StateError
from mcpstate.fsutil import atomic_write, ensure_private_dir, lexically_inside, really_inside

TX_ID = re.compile(r"[0-9a-f]{12}")
MARKER = "MCPSTATE_STATE_DIR.TAG"
MARKER_TEXT = (b"This folder is a state dir of mcpstate (DESIGN 3).\n"
               b"mcpstate writes and deletes only inside folders that hold this file.\n")


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
    def marker(self) -> Path:
        return self.root / MARKER

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
    def lockfile_check(self) -> Path:
        """The lockfile's checked document, kept so plan can skip the checks (lockfile/checked.py)."""
        return self.root / "lockfile-check.json"

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
        """The folder (0700) and its parents if missing, with the marker that makes it ours.

        An existing folder without the marker is taken only when it is empty or was
        written by an mcpstate older than the marker; any other is refused."""
        if not self.marker.is_file():
            self.refuse_if_foreign()
            ensure_private_dir(self.root)
            atomic_write(self.marker, MARKER_TEXT, mode=0o600)
        return self

    def refuse_if_foreign(self) -> None:
        """A StateError unless the folder is absent, ours (marker), empty, or an older
        mcpstate's: nothing is ever written to or deleted from somebody else's folder."""
        why = self.foreign()
        if why:
            raise StateError(why)

    def foreign(self) -> str | None:
        """Why the folder is not a state dir mcpstate may write in; None when it may."""
        if not self.root.exists() or self.marker.is_file() or self._written_by_older_mcpstate():
            return None
        if not self.root.is_dir():
            return f"{self.root} is not a folder; choose another state_dir"
        with os.scandir(self.root) as entries:
            if next(entries, None) is None:
                return None
        return (f"{self.root} already exists and is not a state dir of mcpstate (it has no {MARKER}); "
                "mcpstate writes and deletes nothing there: choose another state_dir (default .mcpstate)")

    def require_marker(self) -> None:
        """Before anything is deleted or recovered: the folder must carry our marker."""
        if not self.marker.is_file():
            raise StateError(f"{self.root} has no {MARKER}: it is not a state dir of mcpstate, "
                             "and nothing is deleted or recovered there")

    def _written_by_older_mcpstate(self) -> bool:
        try:
            doc = json.loads(self.state_file.read_bytes())
        except (OSError, ValueError):
            return False
        return isinstance(doc, dict) and {"format_version", "lineage", "servers"} <= doc.keys()

    def inside(self, path: Path | str, within: Path | None = None) -> Path:
        """`path` normalised (`..` folded, links not followed): it must lie inside `within`
        (default: the state dir). For paths only read, on plan's hot path: `confine`
        resolves every link, which costs a stat per component."""
        return self._or_corrupt(lexically_inside(self.root, path, within or self.root), path, within)

    def confine(self, path: Path | str, within: Path | None = None) -> Path:
        """`path` (relative to the state dir, or absolute) resolved; it must lie inside
        `within` (default: the state dir), else it is corruption."""
        return self._or_corrupt(really_inside(self.root, path, within or self.root), path, within)

    def _or_corrupt(self, found: Path | None, path: Path | str, within: Path | None) -> Path:
        if found is None:
            raise StateError(f"{self.root}: {str(path)!r} points outside {within or self.root} "
                             "(a corrupt or tampered state file?); nothing was changed")
        return found
