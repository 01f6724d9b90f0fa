"""gc's decisions (DESIGN §10), pure: what was found + the roots + the retention policy
-> the items to remove. No I/O and no clock, so `--dry-run` and the real run cannot
disagree and every rule is table-tested without files; `gcrun` gathers the facts and
carries the selection out."""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from typing import Any

from mcpstate.model import Retention

DAY_S = 86400.0
# gc holds the state lock, so no apply can be staging now: a staging folder is a dead
# apply's leftover. A recently touched one is kept all the same: a lock on a shared
# disk may not exclude another host, and a command that stages without the lock
# (`mcpstate test`) could be writing into it. A minute costs nothing; a cron gc retries.
STAGING_GRACE_S = 60.0
KINDS = ("store", "staging", "root", "txn", "report", "backup", "journal")
# where an item lies: the project's state dir, or the shared store in MCPSTATE_HOME
AREAS = ("store", "project")
_BACKUP_NAME = re.compile(r"^(?P<target>.+)\.(?P<serial>\d+)\.json$")


@dataclass(frozen=True)
class Found:
    """A file or folder under the state dir that gc may remove; `path` is relative to it."""

    path: str
    mtime: float


@dataclass(frozen=True)
class StoreEntry:
    path: str        # store/<source>/<name>@<version>
    package: str     # <source>/<name>: keep_versions counts within it
    created: float   # the marker's `created`, else the folder's mtime
    intact: bool     # has the marker; a folder without one is a crashed install's leftover


@dataclass(frozen=True)
class JournalLine:
    record: Mapping[str, Any] | None  # None: a blank line, or the torn last line
    size: int


@dataclass(frozen=True)
class Inventory:
    store: tuple[StoreEntry, ...] = ()
    staging: tuple[Found, ...] = ()
    txn: tuple[Found, ...] = ()
    reports: tuple[Found, ...] = ()
    backups: tuple[Found, ...] = ()
    journal: tuple[JournalLine, ...] = ()


@dataclass(frozen=True)
class Roots:
    """What is live: store entries with the reasons each is live, and the open transactions."""

    store: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    open_txs: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Policy:
    keep_versions: int = 3
    max_age_s: float = 30 * DAY_S
    reports_age_s: float = 30 * DAY_S
    journal_age_s: float = 365 * DAY_S
    backups: int = 10

    @classmethod
    def of(cls, retention: Retention, keep: int | None = None, older_than_s: float | None = None) -> Policy:
        """The lockfile's retention, with `--keep` and `--older-than` winning."""
        return cls(retention.keep_versions if keep is None else keep,
                   retention.max_age_days * DAY_S if older_than_s is None else older_than_s,
                   retention.reports_days * DAY_S, retention.journal_days * DAY_S, retention.backups)


@dataclass(frozen=True)
class Item:
    kind: str
    path: str        # relative to its area's folder: the state dir, or MCPSTATE_HOME
    reason: str
    bytes: int = 0
    area: str = "project"

    def to_json(self) -> dict[str, Any]:
        return {"kind": self.kind, "area": self.area, "path": self.path, "bytes": self.bytes,
                "reason": self.reason}


@dataclass(frozen=True)
class Kept:
    kind: str
    path: str
    reason: str
    area: str = "project"

    def to_json(self) -> dict[str, Any]:
        return {"kind": self.kind, "area": self.area, "path": self.path, "reason": self.reason}


@dataclass(frozen=True)
class Selection:
    items: tuple[Item, ...] = ()
    kept_roots: tuple[Kept, ...] = ()
    journal_lines: int = 0     # how many leading lines of journal.jsonl move to the archive
    journal_archive: str = ""  # journal-YYYYMMDD.jsonl.gz

    @property
    def freed_bytes(self) -> int:
        return sum(item.bytes for item in self.items)


def select_store(inv: Inventory, roots: Roots, policy: Policy, now: float,
                 dangling: Iterable[str] = ()) -> Selection:
    """The shared store's part (area `store`): entries beyond retention and not live,
    staging leftovers, and links in roots/ to state dirs that are gone."""
    items: list[Item] = []
    kept: list[Kept] = []
    for part in (store_items(inv.store, roots, policy, now), staging_items(inv.staging, now)):
        items += part[0]
        kept += part[1]
    items += [Item("root", path, "links to a state dir that is gone") for path in dangling]
    return Selection(tuple(sorted((replace(i, area="store") for i in items), key=_order)),
                     tuple(sorted((replace(k, area="store") for k in kept), key=_order)))


def merged(*selections: Selection) -> Selection:
    """One selection of several areas' (the journal cut comes from the project's)."""
    project = next((s for s in selections if s.journal_archive), Selection())
    return Selection(tuple(sorted((i for s in selections for i in s.items), key=_order)),
                     tuple(sorted((k for s in selections for k in s.kept_roots), key=_order)),
                     project.journal_lines, project.journal_archive)


def select(inv: Inventory, roots: Roots, policy: Policy, now: float) -> Selection:
    """The project's part: everything to remove, and every root that kept something.
    Its store is an older mcpstate's per-project store, which the shared store replaces:
    any entry of it that is not live goes (policy.keep_versions 0)."""
    items: list[Item] = []
    kept: list[Kept] = []
    for part in (legacy_store_items(inv.store, roots), staging_items(inv.staging, now),
                 txn_items(inv.txn, roots.open_txs)):
        items += part[0]
        kept += part[1]
    items += aged_items(inv.reports, "report", policy.reports_age_s, now)
    items += backup_items(inv.backups, policy.backups)
    archive = archive_name(now)
    moved = journal_cut([line.record for line in inv.journal], now - policy.journal_age_s, roots.open_txs)
    if moved:
        size = sum(line.size for line in inv.journal[:moved])
        items.append(Item("journal", "journal.jsonl", f"{moved} lines older than "
                          f"{_days(policy.journal_age_s)} moved to {archive}", size))
    return Selection(tuple(sorted(items, key=_order)), tuple(sorted(kept, key=_order)), moved, archive)


def legacy_store_items(entries: Iterable[StoreEntry], roots: Roots) -> tuple[list[Item], list[Kept]]:
    """An older mcpstate's per-project store: whatever no root needs goes (the shared store
    keeps the versions now); a root stays until the plan has moved it."""
    items, kept = [], []
    for entry in entries:
        if entry.path in roots.store:
            kept.append(Kept("store", entry.path, "; ".join(roots.store[entry.path])))
        else:
            items.append(Item("store", entry.path, "left in the project's own store by an older "
                                                   "mcpstate; the shared store replaces it"))
    return items, kept


def store_items(entries: Iterable[StoreEntry], roots: Roots, policy: Policy,
                now: float) -> tuple[list[Item], list[Kept]]:
    """Per package, the `keep_versions` newest intact entries stay unless older than
    `max_age_s`. The count runs over all intact entries, roots included (as Helm's
    --history-max counts the deployed release): `keep_versions: 3` means three versions
    on disk, plus any older root, which stays whatever its rank."""
    items, kept = [], []
    by_package: dict[str, list[StoreEntry]] = defaultdict(list)
    for entry in entries:
        if entry.path in roots.store:
            kept.append(Kept("store", entry.path, "; ".join(roots.store[entry.path])))
        elif not entry.intact:
            items.append(Item("store", entry.path, "incomplete install (no intact marker)"))
        if entry.intact:
            by_package[entry.package].append(entry)
    for package, group in by_package.items():
        group.sort(key=lambda e: (e.created, e.path), reverse=True)
        for rank, entry in enumerate(group):
            reason = _store_reason(rank, entry, package, policy, now)
            if reason and entry.path not in roots.store:
                items.append(Item("store", entry.path, reason))
    return items, kept


def _store_reason(rank: int, entry: StoreEntry, package: str, policy: Policy, now: float) -> str | None:
    if rank >= policy.keep_versions:
        return f"beyond the {policy.keep_versions} newest of {package}"
    if now - entry.created > policy.max_age_s:
        return f"older than {_days(policy.max_age_s)}"
    return None


def staging_items(found: Iterable[Found], now: float) -> tuple[list[Item], list[Kept]]:
    items, kept = [], []
    for f in found:
        if now - f.mtime < STAGING_GRACE_S:
            kept.append(Kept("staging", f.path, "modified in the last minute: maybe a live install"))
        else:
            items.append(Item("staging", f.path, "leftover of an install that did not finish"))
    return items, kept


def txn_items(found: Iterable[Found], open_txs: frozenset[str]) -> tuple[list[Item], list[Kept]]:
    """An open transaction's pre-images are what its recovery restores the targets from."""
    items, kept = [], []
    for f in found:
        tx = f.path.rsplit("/", 1)[-1]
        if tx in open_txs:
            kept.append(Kept("txn", f.path, f"pre-images of open transaction {tx} (the next apply recovers it)"))
        else:
            items.append(Item("txn", f.path, "pre-images of a closed transaction"))
    return items, kept


def aged_items(found: Iterable[Found], kind: str, max_age_s: float, now: float) -> list[Item]:
    return [Item(kind, f.path, f"older than {_days(max_age_s)}") for f in found if now - f.mtime > max_age_s]


def backup_items(found: Iterable[Found], keep: int) -> list[Item]:
    """Per target, the `keep` highest serials stay; names not ours are left alone."""
    by_target: dict[str, list[tuple[int, str]]] = defaultdict(list)
    for f in found:
        match = _BACKUP_NAME.fullmatch(f.path.rsplit("/", 1)[-1])
        if match:
            by_target[match["target"]].append((int(match["serial"]), f.path))
    items = []
    for target, group in by_target.items():
        for _, path in sorted(group, reverse=True)[keep:]:
            items.append(Item("backup", path, f"beyond the {keep} newest backups of {target}"))
    return items


def journal_cut(records: Sequence[Mapping[str, Any] | None], cutoff: float, keep_txs: frozenset[str]) -> int:
    """How many leading lines of journal.jsonl move to the archive: a prefix, so the
    archives then journal.jsonl stay in order. It stops at the first line young enough
    to stay or of an open transaction (recovery reads those from journal.jsonl), and
    never takes the last line: the next writer continues its seq from it."""
    count = 0
    for record in records[:-1]:
        if record is not None and (record_time(record) >= cutoff or record.get("tx") in keep_txs):
            break
        count += 1
    return count


def record_time(record: Mapping[str, Any]) -> float:
    """A record's `ts` in seconds; +inf when missing or unreadable, so it is kept."""
    return iso_time(record.get("ts"))


def iso_time(value: Any) -> float:
    """An ISO 8601 time (`2026-11-22T02:37:35.941Z`) in seconds; +inf when not one."""
    try:
        return datetime.fromisoformat(str(value)).timestamp()
    except ValueError:
        return float("inf")


def archive_name(now: float) -> str:
    """The gc run's UTC date, as the journal's `ts` are UTC."""
    return f"journal-{datetime.fromtimestamp(now, timezone.utc):%Y%m%d}.jsonl.gz"


def _days(seconds: float) -> str:
    days = seconds / DAY_S
    return f"{days:g} day{'' if days == 1 else 's'}"


def _order(entry: Item | Kept) -> tuple[int, int, str]:
    return AREAS.index(entry.area), KINDS.index(entry.kind), entry.path
