"""Running gc (DESIGN §10): gather the facts, select (mcpstate.gc.select, pure), and carry the
selection out. Both halves run under the state lock, and, for the shared store's part,
the store lock held exclusively: both held by the caller.

Two areas: the project's state dir (reports, backups, journal, pre-images, and an older
mcpstate's per-project store) and the shared store in MCPSTATE_HOME. Each item is
removed only inside its area's folder, and only where the folder carries its marker."""

from __future__ import annotations

import gzip
import os
import shutil
import stat
import uuid
from dataclasses import replace
from pathlib import Path, PurePosixPath
from typing import Any

from mcpstate.errors import StoreError
from mcpstate.fsutil import atomic_write
from mcpstate.gc.scan import Area, find_roots, find_store_roots, inventory, split_lines, store_inventory
from mcpstate.gc.select import Item, Policy, Selection, merged, select, select_store
from mcpstate.home import DataDir
from mcpstate.state.journal import decode_line, open_journal, read_archive, read_journal, record_key
from mcpstate.state.layout import StateDir
from mcpstate.stamps import who
from mcpstate.state.file import load_state


class OutsideStateDir(StoreError):
    """A path to delete is not inside its area's folder: refused, whatever the reason."""


def collect(state_dir: StateDir, project_dir: Path, policy: Policy, now: float,
            home: DataDir | None = None) -> Selection:
    """What gc removes now, each item with its size. Changes nothing. With `home`, the
    shared store's part too (the caller holds the store lock, exclusive)."""
    state_dir.require_marker()
    records = read_journal(state_dir).records  # a corrupt journal stops gc before it decides
    state = load_state(state_dir)
    found = inventory(state_dir)
    roots = find_roots(state_dir, project_dir, state, records, found.store, home.store if home else None)
    parts = [select(found, roots, policy, now)]
    if home is not None and home.store.is_dir():
        home.require_marker()
        shared = store_inventory(home)
        store_roots, dangling = find_store_roots(home, state_dir, project_dir, state, shared.store)
        parts.append(select_store(shared, store_roots, policy, now, dangling))
    selection = merged(*parts)
    areas = _areas(state_dir, home)
    return replace(selection, items=tuple(_sized(areas[i.area], i) for i in selection.items))


def _areas(state_dir: StateDir, home: DataDir | None) -> dict[str, Area]:
    return {"project": state_dir, **({"store": home} if home is not None else {})}


def _sized(area: Area, item: Item) -> Item:
    return item if item.kind == "journal" else replace(item, bytes=size_of(area.root / item.path))


def size_of(path: Path) -> int:
    """Bytes of the files and links under `path`; a link is never followed."""
    st = os.lstat(path)
    if not stat.S_ISDIR(st.st_mode):
        return st.st_size
    total = 0
    for folder, dirs, files in os.walk(path):  # os.walk lists a linked folder, never enters it
        for name in dirs + files:
            st = os.lstat(os.path.join(folder, name))
            total += 0 if stat.S_ISDIR(st.st_mode) else st.st_size
    return total


def execute(state_dir: StateDir, selection: Selection, home: DataDir | None = None) -> None:
    """Remove what `selection` lists, journaled as one transaction of op `gc`.

    One `started` line listing every item, fsync'd before the first removal, then one
    `committed` (or `failed`) line: not one line per item, because 1,000 fsyncs would
    blow the 1 s budget and the list is the whole story; removal is idempotent, so after
    a crash the next gc finishes whatever the `started` line lists and is still there."""
    if not selection.items:
        return
    tx = uuid.uuid4().hex[:12]
    listing = [{"kind": i.kind, "area": i.area, "path": i.path, "bytes": i.bytes} for i in selection.items]
    _note(state_dir, tx, "started", {"items": listing, "freed_bytes": selection.freed_bytes})
    files = [i for i in selection.items if i.kind != "journal"]
    failure = _remove_all(_areas(state_dir, home), files) or _archive_if_listed(state_dir, selection)
    if failure is not None:
        item, e = failure
        reason = str(e) if isinstance(e, StoreError) else f"{getattr(e, 'strerror', None) or e}"
        _note(state_dir, tx, "failed", {"path": item.path, "reason": reason})
        if isinstance(e, StoreError):
            raise e
        raise StoreError(f"{item.path}: cannot remove it ({reason}); other items may be gone "
                         "already, run gc again once this is fixed") from None
    _note(state_dir, tx, "committed", {"removed": len(selection.items), "freed_bytes": selection.freed_bytes})


REMOVERS = 4  # unlink waits on the file system, not the CPU: a few threads cut the wall ~25%


def _remove_all(areas: dict[str, Area], items: list[Item]) -> tuple[Item, Exception] | None:
    """Remove `items` on a few threads; the first failure, if any (the rest still run)."""
    from concurrent.futures import ThreadPoolExecutor

    def one(item: Item) -> tuple[Item, Exception] | None:
        try:
            remove(areas[item.area], item.path)
        except (OSError, StoreError) as e:
            return item, e
        return None

    with ThreadPoolExecutor(REMOVERS, thread_name_prefix="mcpstate-gc") as pool:
        return next((f for f in pool.map(one, items) if f is not None), None)


def _archive_if_listed(state_dir: StateDir, selection: Selection) -> tuple[Item, Exception] | None:
    for item in selection.items:
        if item.kind == "journal":
            try:
                archive_journal(state_dir, selection.journal_lines, selection.journal_archive)
            except (OSError, StoreError) as e:
                return item, e
    return None


def _note(state_dir: StateDir, tx: str, event: str, detail: dict[str, Any]) -> None:
    # Opened for each line: archiving replaces journal.jsonl, and a descriptor opened
    # before that would append to the old file.
    journal = open_journal(state_dir, who())
    try:
        journal.append(tx, "gc", None, event, detail=detail)
    finally:
        journal.close()


def remove(state_dir: Area, rel: str) -> None:
    """Delete `<area>/<rel>`: a link or file is unlinked, a folder removed by
    shutil.rmtree, which unlinks the links inside rather than follow them."""
    path = checked_path(state_dir, rel)
    try:
        if path.is_symlink() or not path.is_dir():
            path.unlink()
        else:
            shutil.rmtree(path)
    except FileNotFoundError:
        return  # gone already (a crash after removing it, before `committed`): the goal state


def checked_path(state_dir: Area, rel: str) -> Path:
    """`<area>/<rel>`, refused unless it lies inside the area's folder once its folder is
    resolved (the item itself is never followed). The selection only ever names such
    paths, so a refusal means a bug or a folder changed under gc: stop, loudly."""
    parts = PurePosixPath(rel).parts
    path = state_dir.root / rel
    root = os.path.realpath(state_dir.root)
    where = os.path.join(os.path.realpath(path.parent), path.name)
    if len(parts) < 2 or ".." in parts or parts[0] == "/" or os.path.commonpath([root, where]) != root:
        raise OutsideStateDir(f"refusing to delete {path}: it resolves to {where}, outside {root}; "
                              "gc stopped here and deletes nothing outside the folder it cleans")
    return path


def archive_journal(state_dir: StateDir, count: int, name: str) -> None:
    """Move the first `count` lines of journal.jsonl into the archive `name`.

    The archive is written (atomically, fsync'd) before journal.jsonl is replaced without
    those lines: a crash in between leaves them in both places, never in neither.
    read_journal_all then takes each (tx, seq) once, and the next gc moves them again
    without writing a line any archive already holds, so archives never repeat a line."""
    journal, archive = state_dir.journal, state_dir.journal_archive(name)
    lines = split_lines(journal.read_bytes())
    archived = {record_key(r) for path in state_dir.journal_archives() for r in read_archive(path).records}
    fresh = []
    for line in lines[:count]:
        record = decode_line(line.decode("utf-8", "replace").rstrip("\n"))
        if record is not None and record_key(record) not in archived:
            fresh.append(line)
    old = gzip.decompress(archive.read_bytes()) if archive.exists() else b""
    atomic_write(archive, gzip.compress(old + b"".join(fresh), mtime=0), mode=0o600)
    atomic_write(journal, b"".join(lines[count:]), mode=0o600)
