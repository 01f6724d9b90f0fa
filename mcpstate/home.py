"""The user's data dir, `MCPSTATE_HOME` (DESIGN §3): shared by every project and every
state dir of one user. Its layout is spelled out here and nowhere else, as
state/layout.py does for a state dir:

    MCPSTATE_HOME.TAG                       the marker: mcpstate deletes only where it is
    store/<source>/<name>@<version>[-<closure 12 hex>]/   immutable store entries
    staging/<random>/                       installs in progress, renamed into store/
    roots/<state dir name>-<12 hex>         a link to each project state dir using the store
    tools/  cache/{pnpm,pnpm-metadata,uv}/  the pinned installers and their caches
    store.lock                              shared by applies, exclusive for store gc
    locks/<sha256 of a target file's real path>.lock   one per target file

    home = DataDir.from_environ()
    home.target_lock(Path("~/.claude.json").expanduser())

Every path read back from a file (a state's `store_path`, a root link) goes through
`confine` or `inside` before it is used: outside the data dir it is corruption."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Mapping
from pathlib import Path

from mcpstate.errors import StoreError

MARKER = "MCPSTATE_HOME.TAG"
MARKER_TEXT = (b"This folder is the data dir of mcpstate (DESIGN 3): its shared store.\n"
               b"mcpstate writes and deletes only inside folders that hold this file.\n")
# what an mcpstate older than the marker left in its data dir: such a folder is adopted
_OURS = {"store", "staging", "roots", "tools", "cache", "locks", "store.lock"}


class DataDir:
    """One user's data dir: where each of its files and folders is."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def __repr__(self) -> str:
        return f"DataDir({str(self.root)!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, DataDir) and other.root == self.root

    def __hash__(self) -> int:
        return hash(self.root)

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
        home = env.get("HOME") or os.path.expanduser("~")
        return cls(Path(home) / ".local" / "share" / "mcpstate")

    @property
    def marker(self) -> Path:
        return self.root / MARKER

    @property
    def store(self) -> Path:
        return self.root / "store"

    @property
    def staging(self) -> Path:
        return self.root / "staging"

    @property
    def roots(self) -> Path:
        return self.root / "roots"

    @property
    def store_lock(self) -> Path:
        return self.root / "store.lock"

    @property
    def tools(self) -> Path:
        return self.root / "tools"

    @property
    def pnpm_store(self) -> Path:
        """pnpm's content store: the files installs hard-link to."""
        return self.root / "cache" / "pnpm"

    @property
    def pnpm_metadata(self) -> Path:
        """pnpm's registry metadata cache ($XDG_CACHE_HOME for pnpm)."""
        return self.root / "cache" / "pnpm-metadata"

    @property
    def uv_cache(self) -> Path:
        return self.root / "cache" / "uv"

    @property
    def locks(self) -> Path:
        return self.root / "locks"

    def target_lock(self, file: Path) -> Path:
        """The lock of one target file, named by its real path: two links to one file, or
        two projects naming it differently, share it."""
        real = os.path.realpath(file)
        return self.locks / f"{hashlib.sha256(os.fsencode(real)).hexdigest()}.lock"

    def root_link(self, state_dir: Path) -> Path:
        """The link in roots/ that keeps a project's store entries alive: named by the
        state dir's real path, so each state dir has one, wherever it is reached from."""
        real = os.path.realpath(state_dir)
        digest = hashlib.sha256(os.fsencode(real)).hexdigest()[:12]
        name = os.path.basename(os.path.dirname(real)) or "root"
        return self.roots / f"{name}-{digest}"

    def create(self) -> DataDir:
        """The folder (0700) with its marker; an existing folder without the marker is
        taken only when empty or holding what an older mcpstate put there."""
        from mcpstate.fsutil import atomic_write, ensure_private_dir

        if not self.marker.is_file():
            why = self.foreign()
            if why:
                raise StoreError(why)
            ensure_private_dir(self.root)
            atomic_write(self.marker, MARKER_TEXT, mode=0o600)
        return self

    def foreign(self) -> str | None:
        """Why mcpstate may not use the folder as its data dir; None when it may."""
        if not self.root.exists() or self.marker.is_file():
            return None
        if not self.root.is_dir():
            return f"MCPSTATE_HOME {self.root} is not a folder; point MCPSTATE_HOME at another"
        with os.scandir(self.root) as entries:
            strangers = sorted(e.name for e in entries if e.name not in _OURS)
        if not strangers:
            return None
        return (f"MCPSTATE_HOME {self.root} already holds files that are not mcpstate's "
                f"({', '.join(strangers[:3])}) and no {MARKER}; mcpstate writes and deletes nothing "
                "there: point MCPSTATE_HOME at an empty or new folder")

    def require_marker(self) -> None:
        """Before anything in the shared store is deleted: the folder must carry the marker."""
        if not self.marker.is_file():
            raise StoreError(f"{self.root} has no {MARKER}: it is not mcpstate's data dir, "
                             "and nothing is deleted there")

    def inside(self, path: Path | str, within: Path | None = None) -> Path:
        """`path` normalised (links not followed): it must lie inside `within` (default:
        the data dir). For paths only read, on plan's hot path."""
        from mcpstate.fsutil import lexically_inside

        return self._or_corrupt(lexically_inside(self.root, path, within or self.root), path, within)

    def confine(self, path: Path | str, within: Path | None = None) -> Path:
        """`path` resolved, every link followed; it must lie inside `within` (default: the
        data dir), else it is corruption."""
        from mcpstate.fsutil import really_inside

        return self._or_corrupt(really_inside(self.root, path, within or self.root), path, within)

    def _or_corrupt(self, found: Path | None, path: Path | str, within: Path | None) -> Path:
        if found is None:
            raise StoreError(f"{str(path)!r} points outside {within or self.root} (a corrupt or "
                             "tampered state file?); nothing was changed")
        return found

    def portable(self, path: Path | str, environ: Mapping[str, str] | None = None) -> str:
        """`path` as a project file writes it (DESIGN §14): through `${HOME}` when the data
        dir lies in the home folder, so every machine writes the same bytes; else as is.
        Each client then spells `${HOME}` its own way (targets/)."""
        env = os.environ if environ is None else environ
        home = env.get("HOME")
        text = os.path.normpath(os.path.abspath(path))
        if not home or not os.path.isabs(home):
            return text
        from mcpstate.fsutil import is_below

        home = os.path.normpath(home)
        if text == home or not is_below(text, home):
            return text
        return "${HOME}/" + Path(os.path.relpath(text, home)).as_posix()

    def in_home_folder(self, environ: Mapping[str, str] | None = None) -> bool:
        """Whether entries can be written through `${HOME}`: else they are machine-specific."""
        return self.portable(self.store, environ).startswith("${HOME}/")
