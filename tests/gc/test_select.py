"""gc's pure selection (mcpstate/gc/select.py, DESIGN §10) as tables: inventory, roots
and policy in, what goes and what stays out; no files, no clock."""

from __future__ import annotations

import random
import time
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mcpstate.gc.select import (DAY_S, Found, Inventory, JournalLine, Policy, Roots, StoreEntry, archive_name,
                                journal_cut, select, select_store)
from mcpstate.model import Retention

NOW = 1_800_000_000.0


def entry(package: str, version: str, age_days: float, intact: bool = True) -> StoreEntry:
    return StoreEntry(f"store/npm/{package}@{version}", f"npm/{package}", NOW - age_days * DAY_S, intact)


def removed(inv: Inventory, roots: Roots = Roots(), **policy: Any) -> list[str]:
    """What the shared store's part removes."""
    return [i.path for i in select_store(inv, roots, Policy(**policy), NOW).items]


V = [entry("a", f"1.{n}.0", 10 - n) for n in range(6)]  # 1.5.0 is the newest


@pytest.mark.parametrize("keep, root_versions, gone", [
    (2, [], ["1.0.0", "1.1.0", "1.2.0", "1.3.0"]),
    (2, ["1.5.0", "1.4.0"], ["1.0.0", "1.1.0", "1.2.0", "1.3.0"]),  # roots among the newest
    (2, ["1.0.0"], ["1.1.0", "1.2.0", "1.3.0"]),                    # an old root stays beyond the count
    (0, ["1.5.0", "1.1.0"], ["1.0.0", "1.2.0", "1.3.0", "1.4.0"]),  # --keep 0: only the roots
    (9, [], []),
])
def test_keep_counts_the_newest_of_a_package_and_roots_always_stay(keep: int, root_versions: list[str],
                                                                   gone: list[str]) -> None:
    roots = Roots({f"store/npm/a@{v}": ("current revision (1) of app",) for v in root_versions})
    assert removed(Inventory(store=tuple(V)), roots, keep_versions=keep) == [f"store/npm/a@{v}" for v in gone]


def test_age_removes_even_the_newest_but_never_a_root_and_packages_count_apart() -> None:
    inv = Inventory(store=(entry("a", "1.0.0", 40), entry("a", "2.0.0", 31), entry("b", "1.0.0", 1),
                           entry("b", "0.9.0", 2), entry("a", "3.0.0", 50)))
    roots = Roots({"store/npm/a@3.0.0": ("previous revision (2) of app",)})
    assert removed(inv, roots, keep_versions=2, max_age_s=30 * DAY_S) == ["store/npm/a@1.0.0", "store/npm/a@2.0.0"]
    kept = select_store(inv, roots, Policy(), NOW).kept_roots
    assert [(k.path, k.reason) for k in kept] == [("store/npm/a@3.0.0", "previous revision (2) of app")]


def test_an_incomplete_install_goes_and_does_not_count_but_a_root_one_stays() -> None:
    inv = Inventory(store=(entry("a", "9.0.0", 0, intact=False), entry("a", "1.0.0", 3),
                           entry("a", "8.0.0", 0, intact=False)))
    roots = Roots({"store/npm/a@8.0.0": ("used by pid 7 (node)",)})
    items = select_store(inv, roots, Policy(keep_versions=1), NOW).items
    assert [(i.path, i.reason) for i in items] == [("store/npm/a@9.0.0", "incomplete install (no intact marker)")]


def test_the_projects_own_store_keeps_only_roots_and_dangling_roots_go() -> None:
    """An older mcpstate's per-project store: the shared store keeps the versions now."""
    inv = Inventory(store=tuple(V))
    roots = Roots({"store/npm/a@1.2.0": ("current revision (3) of app",)})
    sel = select(inv, roots, Policy(keep_versions=9, max_age_s=1e9), NOW)
    assert [i.path for i in sel.items] == [e.path for e in V if e.path != "store/npm/a@1.2.0"]
    assert all(i.area == "project" and "older mcpstate" in i.reason for i in sel.items)
    shared = select_store(Inventory(), Roots(), Policy(), NOW, dangling=["roots/gone-0123456789ab"])
    assert [(i.area, i.kind, i.path) for i in shared.items] == [("store", "root", "roots/gone-0123456789ab")]


def test_staging_txn_reports_and_backups() -> None:
    inv = Inventory(
        staging=(Found("staging/old", NOW - 61), Found("staging/busy", NOW - 5)),
        txn=(Found("txn/aaa", NOW - DAY_S), Found("txn/bbb", NOW - DAY_S)),
        reports=(Found("reports/x-1.json", NOW - 31 * DAY_S), Found("reports/y-1.json", NOW - 29 * DAY_S)),
        backups=tuple(Found(f"backups/{t}.{n}.json", NOW)
                      for t in (".mcp.json", ".cursor+mcp.json") for n in (9, 10, 2))
        + (Found("backups/notes.txt", 0),))
    sel = select(inv, Roots(open_txs=frozenset({"bbb"})), Policy(backups=2), NOW)
    assert [i.path for i in sel.items] == ["staging/old", "txn/aaa", "reports/x-1.json",
                                           "backups/.cursor+mcp.json.2.json", "backups/.mcp.json.2.json"]
    assert [(k.kind, k.path) for k in sel.kept_roots] == [("staging", "staging/busy"), ("txn", "txn/bbb")]


def rec(ts_days_ago: float, tx: str = "t") -> dict[str, Any]:
    ts = time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime(NOW - ts_days_ago * DAY_S))
    return {"seq": 1, "ts": ts, "tx": tx}


@pytest.mark.parametrize("ages, open_txs, cut", [
    ([400, 399, 10, 400], set(), 2),        # a prefix only: the old line after a young one stays
    ([400, 400, 400], set(), 2),            # never the last line: seq continues from it
    ([400, 400, 400, 1], {"open"}, 1),      # stops at an open transaction's line
    ([400, None, 400, 1], set(), 3),        # a blank line moves with its neighbours
    ([1, 400], set(), 0),
])
def test_journal_cut(ages: list[float | None], open_txs: set[str], cut: int) -> None:
    records = [None if a is None else rec(a, "open" if i == 1 else f"t{i}") for i, a in enumerate(ages)]
    assert journal_cut(records, NOW - 365 * DAY_S, frozenset(open_txs)) == cut
    assert journal_cut([{"seq": 1}, rec(400)], NOW, frozenset()) == 0  # no readable ts: kept


def test_journal_item_and_policy_overrides() -> None:
    lines = tuple(JournalLine(rec(a), 100 + i) for i, a in enumerate([500, 400, 1]))
    sel = select(Inventory(journal=lines), Roots(), Policy(), NOW)
    assert sel.journal_lines == 2 and sel.journal_archive == archive_name(NOW) == "journal-20270115.jsonl.gz"
    assert [i.to_json() for i in sel.items] == [{
        "kind": "journal", "area": "project", "path": "journal.jsonl", "bytes": 201,
        "reason": "2 lines older than 365 days moved to journal-20270115.jsonl.gz"}]
    assert Policy.of(Retention(), 5, 60.0) == Policy(5, 60.0, 30 * DAY_S, 365 * DAY_S, 10)
    assert Policy.of(Retention(keep_versions=7, max_age_days=2)) == Policy(7, 2 * DAY_S)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.sampled_from("abc"), st.integers(0, 30), st.floats(0, 60), st.booleans()),
                unique_by=lambda t: (t[0], t[1])),
       st.sets(st.integers(0, 30)), st.integers(0, 5), st.randoms())
def test_roots_never_go_and_the_newest_young_stay_in_any_order(found: list[Any], root_ids: set[int], keep: int,
                                                               rnd: random.Random) -> None:
    entries = [entry(p, f"{v}.0.0", age, ok) for p, v, age, ok in found]
    roots = Roots({e.path: ("root",) for e in entries if int(e.path.rsplit("@")[-1].split(".")[0]) in root_ids})
    policy = Policy(keep_versions=keep, max_age_s=30 * DAY_S)
    gone = set(removed(Inventory(store=tuple(entries)), roots, keep_versions=keep, max_age_s=30 * DAY_S))
    assert not gone & set(roots.store)
    for package in "abc":
        intact = sorted((e for e in entries if e.package == f"npm/{package}" and e.intact),
                        key=lambda e: (e.created, e.path), reverse=True)
        assert not {e.path for e in intact[:keep] if NOW - e.created <= policy.max_age_s} & gone
    rnd.shuffle(entries)
    assert select_store(Inventory(store=tuple(entries)), roots, policy, NOW) == select_store(
        Inventory(store=tuple(sorted(entries, key=lambda e: e.path))), roots, policy, NOW)
