"""The facts gc decides on (DESIGN §10): what lies in the state dir and in the shared
store, and what is live: every root's current and previous revisions, entries an open
transaction staged, entries a target file launches, entries a running process uses.
Reads only.

Both areas have a `store/` and a `staging/` (the state dir's are an older mcpstate's
per-project store): the functions below take either, as an `Area`."""

from __future__ import annotations

import json
import os
import re
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any, Protocol

from mcpstate.errors import McpStateError, StateError, StoreError
from mcpstate.fsutil import read_optional
from mcpstate.gc.select import Found, Inventory, JournalLine, Roots, StoreEntry, iso_time
from mcpstate.home import DataDir
from mcpstate.state.journal import decode_line, open_transactions
from mcpstate.state.layout import StateDir
from mcpstate.model import State
from mcpstate.store.entries import MARKER, entry_dirname

Why = dict[str, list[str]]


class Area(Protocol):
    """A folder gc removes things in: a StateDir or the DataDir (MCPSTATE_HOME)."""

    root: Path

    @property
    def store(self) -> Path: ...

    @property
    def staging(self) -> Path: ...


def inventory(state_dir: StateDir) -> Inventory:
    """Everything gc may remove. Never follows a symlink: a link is an item, not a folder."""
    reports = (f for f in children(state_dir, state_dir.reports) if f.path.endswith(".json"))
    return Inventory(store=tuple(store_entries(state_dir)), staging=tuple(staging_dirs(state_dir)),
                     txn=tuple(children(state_dir, state_dir.txn)), reports=tuple(reports),
                     backups=tuple(children(state_dir, state_dir.backups)),
                     journal=tuple(journal_lines(state_dir)))


def store_inventory(home: DataDir) -> Inventory:
    """What the shared store holds that gc may remove."""
    return Inventory(store=tuple(store_entries(home)), staging=tuple(staging_dirs(home)))


def own_folder(state_dir: Area, path: Path) -> Path | None:
    """`path` when it is a real folder inside the state dir; None when absent.

    A symlink to elsewhere (a store moved to a bigger disk, say) is refused: gc deletes
    only inside the state dir, and would otherwise delete whatever the link points at."""
    if not os.path.lexists(path):
        return None
    if path.is_symlink() or not path.is_dir():
        raise StoreError(f"{path} is not a folder but a link or a file; gc deletes only inside "
                         f"{state_dir.root} and will not follow it. Move it away, then run gc again")
    return path


def children(state_dir: Area, folder_path: Path) -> Iterator[Found]:
    """What `folder_path` holds, each named relative to the state dir (`store/npm/x@1`)."""
    folder = own_folder(state_dir, folder_path)
    if folder is None:
        return
    rel = folder.relative_to(state_dir.root).as_posix()
    with os.scandir(folder) as it:
        for child in it:
            yield Found(f"{rel}/{child.name}", child.stat(follow_symlinks=False).st_mtime)


def staging_dirs(state_dir: Area) -> Iterator[Found]:
    """Each install folder with the newest mtime found in it: an install writes deep
    down (node_modules/...), which leaves the folder's own mtime behind."""
    for found in children(state_dir, state_dir.staging):
        newest = found.mtime
        for folder, dirs, files in os.walk(state_dir.root / found.path):
            newest = max([newest, *(_mtime(os.path.join(folder, name)) for name in dirs + files)])
        yield Found(found.path, newest)


def _mtime(path: str) -> float:
    try:
        return os.lstat(path).st_mtime
    except FileNotFoundError:
        return float("inf")  # removed while we looked: someone is at work in there, keep it


def store_entries(state_dir: Area) -> Iterator[StoreEntry]:
    for source in children(state_dir, state_dir.store):
        path = state_dir.root / source.path
        if path.is_file() and not path.is_symlink():
            continue  # not something mcpstate makes: left alone
        for found in children(state_dir, path):  # refuses a source folder that is a link
            yield _entry(state_dir.root / found.path, found, source.path.split("/")[1])


def _entry(path: Path, found: Found, source: str) -> StoreEntry:
    name = found.path.rsplit("/", 1)[-1]
    package = f"{source}/{name.rpartition('@')[0] or name}"
    if path.is_symlink() or not path.is_dir():  # mcpstate makes folders only: a stray
        return StoreEntry(found.path, package, found.mtime, intact=False)
    marker = path / MARKER
    if not marker.is_file():
        return StoreEntry(found.path, package, found.mtime, intact=False)
    return StoreEntry(found.path, package, _created(marker, found.mtime), intact=True)


def _created(marker: Path, fallback: float) -> float:
    """The marker's `created`; the folder's mtime for a marker without a readable one
    (the entry is still intact: store.is_intact asks only that the marker exists)."""
    try:
        doc = json.loads(marker.read_text())
    except (OSError, ValueError):
        return fallback
    created = iso_time(doc.get("created")) if isinstance(doc, dict) else float("inf")
    return created if created != float("inf") else fallback


def journal_lines(state_dir: StateDir) -> Iterator[JournalLine]:
    """journal.jsonl line by line, as the archiver will split it (read_journal has
    already refused a corrupt journal)."""
    data = read_optional(state_dir.journal, StateError)
    if data is None:
        return
    for line in split_lines(data):
        yield JournalLine(decode_line(line.decode("utf-8", "replace").rstrip("\n")), len(line))


def split_lines(data: bytes) -> list[bytes]:
    """Lines with their newline, split on newline only, as the journal writes them."""
    lines = [line + b"\n" for line in data.split(b"\n")]
    lines[-1] = lines[-1][:-1]  # what follows the last newline: a torn line, or nothing
    return lines if lines[-1] else lines[:-1]


def find_roots(state_dir: StateDir, project_dir: Path, state: State, records: list[dict[str, Any]],
               entries: Iterable[StoreEntry], shared_store: Path | None = None) -> Roots:
    """Every live entry of the project's own store with why, and the open transactions.
    Revisions installed in the shared store (`shared_store`) keep nothing here: their
    older copies in the project's store are what the move left behind."""
    open_txs = frozenset(t.tx for t in open_transactions(records).values())
    prefixes = store_prefixes(state_dir)
    why: Why = defaultdict(list)
    _state_roots(why, state, prefixes, moved_to=shared_store)
    _staged_roots(why, records, open_txs, prefixes)
    _target_roots(why, project_dir, state, prefixes)
    known = {e.path for e in entries}
    for rel, reasons in process_roots(prefixes, known).items():
        why[rel] += reasons
    return Roots({rel: tuple(reasons) for rel, reasons in why.items() if rel in known}, open_txs)


def store_prefixes(state_dir: Area) -> tuple[str, ...]:
    """The store folder as written and resolved: a path may reach it either way; and, for
    the shared store, as portable entries write it (`${HOME}/...`, `${userHome}/...`)."""
    store = os.path.abspath(state_dir.store)
    forms = [store, os.path.realpath(store)]
    portable = getattr(state_dir, "portable", None)
    if portable is not None and portable(store).startswith("${HOME}/"):
        rest = portable(store).removeprefix("${HOME}")
        forms += [f"${{{home}}}{rest}" for home in ("HOME", "userHome", "env:HOME")]
    return tuple(dict.fromkeys(forms))


def entry_of(path: str, prefixes: tuple[str, ...], cwd: str | None = None) -> str | None:
    """The store entry (`store/<source>/<dir>`) holding `path`, as written or resolved."""
    if not os.path.isabs(path):
        if cwd is None:
            return None
        path = os.path.join(cwd, path)
    for candidate in (os.path.normpath(path), os.path.realpath(path)):
        for prefix in prefixes:
            parts = candidate[len(prefix) + 1:].split(os.sep) if candidate.startswith(prefix + os.sep) else []
            if len(parts) >= 2 and parts[0] and parts[1]:
                return f"store/{parts[0]}/{parts[1]}"
    return None


def _state_roots(why: Why, state: State, prefixes: tuple[str, ...], where: str = "",
                 moved_to: Path | None = None) -> None:
    for name, server in state.servers.items():
        current = {"source": server.source, "package": server.package, "version": server.version,
                   "store_path": server.store_path, "revision": server.revision, "closure": server.closure}
        records: list[tuple[Mapping[str, Any], str]] = [
            (current, f"current revision ({server.revision}) of {name}{where}")]
        if server.previous:
            records.append((server.previous, f"previous revision ({server.previous.get('revision')}) of {name}{where}"))
        for record, reason in records:
            if not _in(record.get("store_path"), moved_to):
                _add_record(why, record, reason, prefixes)


def _in(path: object, folder: Path | None) -> bool:
    from mcpstate.fsutil import lexically_inside

    return folder is not None and isinstance(path, str) and lexically_inside(folder, path, folder) is not None


def _add_record(why: Why, record: Mapping[str, Any], reason: str, prefixes: tuple[str, ...]) -> None:
    """By store_path, and by source+package+version too: a state dir moved since the
    apply still protects its entries, though the recorded absolute paths are stale."""
    rels = {entry_of(str(record["store_path"]), prefixes) if record.get("store_path") else None}
    if record.get("package") and record.get("version") and record.get("source") in ("npm", "pypi"):
        rels.add(f"store/{record['source']}/{entry_dirname(record['package'], record['version'], record.get('closure'))}")
    for rel in sorted(r for r in rels if r):
        why[rel].append(reason)


def _staged_roots(why: Why, records: Iterable[dict[str, Any]], open_txs: frozenset[str],
                  prefixes: tuple[str, ...], where: str = "") -> None:
    """An interrupted apply may have swapped its staged entry in: until the next apply
    recovers it, a target may launch that entry."""
    for r in records:
        if r.get("tx") in open_txs and r.get("event") == "staged":
            rel = entry_of(str((r.get("detail") or {}).get("store_path", "")), prefixes)
            if rel:
                why[rel].append(f"staged by open transaction {r['tx']}{where}")


def _target_roots(why: Why, project_dir: Path, state: State, prefixes: tuple[str, ...]) -> None:
    """A target file that launches an entry (a hand edit, an entry restored from a
    backup) makes it live for the next client start, whatever the state says."""
    # any of the prefixes, then the entry: the group keeps the alternation to the prefixes
    pattern = re.compile("(?:" + "|".join(re.escape(p) for p in prefixes) + r")/([^/\"\\\s]+)/([^/\"\\\s]+)")
    for target in state.targets:
        file = Path(target).expanduser()
        file = file if file.is_absolute() else project_dir / file
        try:
            text = file.read_text(encoding="utf-8", errors="replace")
        except FileNotFoundError:
            continue
        except OSError as e:
            raise StoreError(f"{file}: cannot read it to see which store entries it launches "
                             f"({e.strerror}); gc removed nothing") from None
        for match in pattern.finditer(text):
            why[f"store/{match[1]}/{match[2]}"].append(f"launched by {target}")


def find_store_roots(home: DataDir, state_dir: StateDir, project_dir: Path, state: State,
                     entries: Iterable[StoreEntry]) -> tuple[Roots, list[str]]:
    """What is live in the shared store, for every project in roots/ (this one always);
    and the links in roots/ whose state dir is gone. A root whose state cannot be read
    stops gc: what it needs cannot be known, so nothing may be removed."""
    from mcpstate.state.file import load_state
    from mcpstate.store.roots import list_roots

    prefixes = store_prefixes(home)
    why: Why = defaultdict(list)
    dangling = []
    others = []
    for root in list_roots(home):
        if root.state_dir is None:
            dangling.append(root.link.relative_to(home.root).as_posix())
        elif os.path.realpath(root.state_dir) != os.path.realpath(state_dir.root):
            others.append(StateDir(root.state_dir))
    _live_in(why, state_dir, state, prefixes, "")
    for other in others:
        try:
            other_state = load_state(other)
            _live_in(why, other, other_state, prefixes, f" in {other.root}")
        except McpStateError as e:
            raise StoreError(f"the shared store's root {other.root} cannot be read ({e}); gc removed "
                             "nothing from the shared store. Repair that state dir, or remove its link "
                             f"from {home.roots} if the project is gone") from None
    _target_roots(why, project_dir, state, prefixes)
    known = {e.path for e in entries}
    for rel, reasons in process_roots(prefixes, known).items():
        why[rel] += reasons
    return Roots({rel: tuple(reasons) for rel, reasons in why.items() if rel in known}), dangling


def _live_in(why: Why, state_dir: StateDir, state: State, prefixes: tuple[str, ...], where: str) -> None:
    """One project's live entries: its revisions, and what its open transactions staged
    (read from the journal's tail, past the state's mark)."""
    from mcpstate.state.journal import read_journal_since

    records = read_journal_since(state_dir, state.journal).records
    open_txs = frozenset(t.tx for t in open_transactions(records).values())
    _state_roots(why, state, prefixes, where)
    _staged_roots(why, records, open_txs, prefixes, where)


def process_roots(prefixes: tuple[str, ...], known: set[str]) -> Why:
    """Entries a running process uses: its executable, a command-line argument or its
    working directory inside the entry (a client that has not restarted since an
    upgrade still runs the old entry)."""
    import psutil

    found: Why = defaultdict(list)
    # ad_value=None: what a process does not let us read (AccessDenied) is skipped, not
    # fatal; one that exits meanwhile is dropped by process_iter itself.
    for proc in psutil.process_iter(["pid", "name", "exe", "cmdline", "cwd"], ad_value=None):
        for rel in sorted(_paths_used(proc.info, prefixes) & known):
            found[rel].append(f"used by pid {proc.info['pid']} ({proc.info['name']})")
    return found


def _paths_used(info: Mapping[str, Any], prefixes: tuple[str, ...]) -> set[str]:
    cwd = info.get("cwd")
    candidates = [info.get("exe"), cwd]
    for arg in info.get("cmdline") or ():
        candidates += [arg, arg.partition("=")[2]]  # --config=/path counts too
    rels = {entry_of(c, prefixes, cwd) for c in candidates if c and os.sep in c}
    return {r for r in rels if r}
