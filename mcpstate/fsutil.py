"""The one atomic writer. A reader sees the old file or the new one, never a mix."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable
from pathlib import Path

from mcpstate.errors import WriteError


def fsync_dir(path: Path) -> None:
    """Make a rename or creation inside `path` durable."""
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def atomic_write(path: Path, data: bytes, mode: int | None = None,
                 before_rename: Callable[[], None] | None = None) -> None:
    """Write `data` to `path` through a temp file in the same folder, fsync, rename.

    Without `mode`, an existing file keeps its permission bits; a new one gets 0644.
    Any OSError is a WriteError naming the file and the cause; the file is untouched.
    `before_rename` runs just before the rename; what it raises leaves the file untouched.
    """
    try:
        _atomic_write(Path(path), data, mode, before_rename)
    except OSError as e:
        raise write_error(path, e) from None


def write_error(path: Path | str, e: OSError) -> WriteError:
    """`path: cannot write: No space left on device (ENOSPC)`."""
    import errno

    code = errno.errorcode.get(e.errno or 0)
    return WriteError(f"{path}: cannot write: {e.strerror or e}{f' ({code})' if code else ''}")


def _atomic_write(path: Path, data: bytes, mode: int | None,
                  before_rename: Callable[[], None] | None = None) -> None:
    import tempfile  # not on the read-only paths (plan, status)

    if mode is None:
        try:
            mode = os.stat(path).st_mode & 0o7777
        except FileNotFoundError:
            mode = 0o644
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fchmod(f.fileno(), mode)
            os.fsync(f.fileno())
        if before_rename is not None:
            before_rename()
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise
    fsync_dir(path.parent)


def ensure_private_dir(path: Path) -> Path:
    """Create a state folder (mode 0700) and its parents if needed."""
    path = Path(path)
    try:
        path.mkdir(parents=True, exist_ok=True, mode=0o700)
    except OSError as e:
        raise write_error(path, e) from None
    return path


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()



def read_optional(path: Path, error: Callable[[str], Exception], name: str | None = None) -> bytes | None:
    """The file's bytes, or None when there is no such file. Any other failure to read
    (EACCES, EISDIR, EIO) raises `error(message)`, the message naming the file and the cause."""
    try:
        return Path(path).read_bytes()
    except FileNotFoundError:
        return None
    except OSError as e:
        raise error(f"{name or path}: cannot read: {e.strerror or e}") from None


def flock_within(fd: int, seconds: float, poll_s: float = 0.01, shared: bool = False) -> bool:
    """Take a flock on `fd` (exclusive, or shared with other shared holders), waiting up
    to `seconds`; False when it stayed held. (flock, not fcntl locks: the kernel drops it
    when its process dies.)"""
    import fcntl
    import time

    deadline = time.monotonic() + seconds
    mode = fcntl.LOCK_SH if shared else fcntl.LOCK_EX
    while True:
        try:
            fcntl.flock(fd, mode | fcntl.LOCK_NB)
            return True
        except BlockingIOError:
            if time.monotonic() >= deadline:
                return False
            time.sleep(poll_s)


def is_below(full: str, folder: str) -> bool:
    """os.path.commonpath([folder, full]) == folder, for normalised paths: a prefix test
    where it gives the same answer (POSIX, both absolute, no `//` root), since plan asks
    once per store entry; commonpath elsewhere (Windows compares without case)."""
    if os.name == "posix" and full[:1] == folder[:1] == "/" and "//" not in (full[:2], folder[:2]):
        return full == folder or full.startswith(folder.rstrip("/") + "/")
    return os.path.commonpath([folder, full]) == folder


def lexically_inside(root: Path, path: Path | str, within: Path) -> Path | None:
    """`path` (relative to `root`, or absolute) with `..` folded, links not followed, when
    it lies inside `within`; None when it does not. For paths only read (a stat each)."""
    folder = os.path.normpath(os.path.abspath(within))
    full = os.path.normpath(os.path.join(root, path))
    return Path(full) if is_below(full, folder) else None


def really_inside(root: Path, path: Path | str, within: Path) -> Path | None:
    """`path` resolved, every link followed, when it lies inside `within`; else None."""
    folder = os.path.realpath(within)
    full = os.path.realpath(os.path.join(root, path))
    return Path(full) if os.path.commonpath([folder, full]) == folder else None
