"""The user's data dir, `MCPSTATE_HOME` (DESIGN §3): shared by every project and every
state dir of one user. Its layout is spelled out here and nowhere else, as
state/layout.py does for a state dir:

    store/  staging/  roots/  tools/  cache/  store.lock
    locks/<sha256 of a target file's real path>.lock   one per target file

    home = DataDir.from_environ()
    home.target_lock(Path("~/.claude.json").expanduser())
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Mapping
from pathlib import Path


class DataDir:
    """One user's data dir: where each of its files and folders is."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def __repr__(self) -> str:
        return f"DataDir({str(self.root)!r})"

    @classmethod
    def from_environ(cls, environ: Mapping[str, str] | None = None) -> DataDir:
        """MCPSTATE_HOME; else %LOCALAPPDATA%\\mcpstate on Windows, ~/.local/share/mcpstate elsewhere."""
        env = os.environ if environ is None else environ
        given = env.get("MCPSTATE_HOME")
        if given:
            return cls(Path(os.path.abspath(os.path.expanduser(given))))
        if os.name == "nt":
            base = env.get("LOCALAPPDATA") or os.path.join(os.path.expanduser("~"), "AppData", "Local")
            return cls(Path(base) / "mcpstate")
        return cls(Path(os.path.expanduser("~")) / ".local" / "share" / "mcpstate")

    @property
    def locks(self) -> Path:
        return self.root / "locks"

    def target_lock(self, file: Path) -> Path:
        """The lock of one target file, named by its real path: two links to one file, or
        two projects naming it differently, share it."""
        real = os.path.realpath(file)
        return self.locks / f"{hashlib.sha256(os.fsencode(real)).hexdigest()}.lock"
