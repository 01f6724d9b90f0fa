"""journal.jsonl (DESIGN §9) in-process: each line's CRC, a torn last line against a
bad line elsewhere, and which transactions the journal shows open."""

from __future__ import annotations

import json
import zlib
from pathlib import Path
from typing import Any

import pytest

from mcpstate.errors import StateError
from mcpstate.model import OpenTransaction
from mcpstate.state.journal import (decode_line, encode_record, open_journal, open_transactions,
                                    parse_journal, read_journal)
from mcpstate.state.layout import StateDir

PATH = Path("/state/journal.jsonl")  # only named in messages: parse_journal reads no file


def rec(seq: int, event: str, tx: str = "aaaaaaaaaaaa", server: str | None = "app", op: str = "apply",
        **extra: Any) -> dict[str, Any]:
    return {"seq": seq, "ts": "2026-11-28T01:00:00.000Z", "tx": tx, "op": op, "server": server,
            "event": event, "from": None, "to": None, "detail": None, "who": "me@host", **extra}


def lines(*records: dict[str, Any]) -> bytes:
    return b"".join(encode_record(r) for r in records)


# --- one line -----------------------------------------------------------------------

def test_a_record_round_trips_as_one_ascii_line() -> None:
    record = rec(7, "staged", detail={"note": "café ☕ \"quoted\"\nnext", "n": [1, 2.5, None]}, to="1.1.0")
    line = encode_record(record)
    assert line.endswith(b"\n") and line.count(b"\n") == 1 and line.isascii()
    assert decode_line(line.decode().rstrip("\n")) == record


def test_the_crc_is_the_last_key_and_covers_the_line_without_it() -> None:
    line = encode_record(rec(1, "started")).decode().rstrip("\n")
    parsed = json.loads(line)
    assert list(parsed)[-1] == "crc"
    without = line.replace(f',"crc":{parsed["crc"]}', "")
    assert zlib.crc32(without.encode()) == parsed["crc"]
    assert json.loads(without) == rec(1, "started")


GOOD = encode_record(rec(3, "tested")).decode().rstrip("\n")


@pytest.mark.parametrize("damaged", [
    GOOD.replace('"seq":3', '"seq":4'),                       # a changed value
    GOOD.replace('"tested"', '"testex"'),                     # one character
    GOOD[:-3] + ("0" if GOOD[-2] != "0" else "1") + "}",      # a changed CRC
    GOOD[:GOOD.rindex(',"crc":')] + "}",                      # no CRC
    GOOD[:40],                                                # cut short
    GOOD + "}",                                               # a byte more
    "not json at all",
    "",
], ids=["value", "char", "crc", "no-crc", "cut", "extra", "garbage", "empty"])
def test_a_damaged_line_decodes_to_none(damaged: str) -> None:
    assert decode_line(GOOD) is not None
    assert decode_line(damaged) is None


@pytest.mark.parametrize("change", [
    {"seq": "3"}, {"seq": True}, {"tx": 12}, {"op": None}, {"event": 1}, {"server": 5}, {"detail": []},
    {"who": None}, {"ts": 0},
], ids=lambda change: "-".join(f"{k}={v!r}" for k, v in change.items()))
def test_a_line_of_the_wrong_shape_is_damaged_even_with_a_right_crc(change: dict[str, Any]) -> None:
    line = encode_record({**rec(3, "tested"), **change}).decode().rstrip("\n")
    assert decode_line(line) is None


# --- a whole journal ----------------------------------------------------------------

def test_parse_journal_gives_every_record_in_order() -> None:
    records = [rec(1, "started"), rec(2, "staging"), rec(3, "started", tx="bbbbbbbbbbbb", server="py")]
    read = parse_journal(lines(*records) + b"\n", PATH)  # a blank line is no record
    assert read.records == records and read.warnings == []
    assert parse_journal(b"", PATH).records == []


def test_a_torn_last_line_is_ignored_with_a_warning() -> None:
    whole = lines(rec(1, "started"), rec(2, "staging"))
    torn = encode_record(rec(3, "staged"))[:25]
    read = parse_journal(whole + torn, PATH)
    assert read.records == [rec(1, "started"), rec(2, "staging")]
    assert read.warnings == [f"{PATH}:3: ignoring a torn last line (an interrupted write)"]


def test_a_whole_last_line_whose_newline_never_landed_counts() -> None:
    read = parse_journal(lines(rec(1, "started"), rec(2, "staging")).rstrip(b"\n"), PATH)
    assert [r["seq"] for r in read.records] == [1, 2] and read.warnings == []


@pytest.mark.parametrize("bad", [b"garbage\n", encode_record(rec(2, "staging"))[:25] + b"\n"],
                         ids=["garbage", "cut-with-newline"])
@pytest.mark.parametrize("where", ["middle", "last-with-newline"])
def test_a_bad_line_elsewhere_is_corruption(bad: bytes, where: str) -> None:
    data = lines(rec(1, "started")) + bad + (lines(rec(3, "staged")) if where == "middle" else b"")
    with pytest.raises(StateError, match=rf"^{PATH}:2: corrupt journal line"):
        parse_journal(data, PATH)


def test_reading_and_appending_repair_a_torn_tail(tmp_path: Path) -> None:
    sd = StateDir(tmp_path)
    sd.journal.write_bytes(lines(rec(1, "started"), rec(2, "staging")) + encode_record(rec(3, "staged"))[:30])
    assert len(read_journal(sd).warnings) == 1
    journal = open_journal(sd, "me@host")
    try:
        journal.append("aaaaaaaaaaaa", "apply", "app", "failed")
    finally:
        journal.close()
    read = read_journal(sd)  # the torn bytes are gone, the new line is whole
    assert read.warnings == [] and [(r["seq"], r["event"]) for r in read.records] == [
        (1, "started"), (2, "staging"), (3, "failed")]
    assert read_journal(StateDir(tmp_path / "absent")).records == []


# --- open transactions --------------------------------------------------------------

A, B = "aaaaaaaaaaaa", "bbbbbbbbbbbb"


def steps(tx: str, server: str, *events: str, op: str = "apply") -> list[dict[str, Any]]:
    return [rec(0, event, tx=tx, server=server, op=op) for event in events]


@pytest.mark.parametrize("records, expected", [
    ([], {}),
    (steps(A, "app", "started", "staging", "tested"), {"app": OpenTransaction(A, "app", "apply", "tested")}),
    (steps(A, "app", "started", "swapping", "committed"), {}),
    (steps(A, "app", "started", "failed"), {}),
    (steps(A, "app", "started", "swapped", "rolling_back", "rolled_back"), {}),
    (steps(A, "app", "started", "swapped") + steps(A, "app", "recovered", op="recover"), {}),
    (steps(A, "app", "started", "swapped", op="rollback"), {"app": OpenTransaction(A, "app", "rollback", "swapped")}),
    # a newer transaction of the same server is the open one; a terminal line of another tx closes nothing
    (steps(A, "app", "started") + steps(B, "app", "started", "staging") + steps(A, "app", "recovered", op="recover"),
     {"app": OpenTransaction(B, "app", "apply", "staging")}),
    (steps(A, "app", "started") + steps(B, "py", "started", "committed") + steps(A, "app", "staging"),
     {"app": OpenTransaction(A, "app", "apply", "staging")}),
    # gc's lines (no server, or op gc) open nothing
    ([rec(0, "started", tx=B, server=None, op="gc"), rec(0, "archived", tx=B, server="app", op="gc")], {}),
], ids=["empty", "open", "committed", "failed", "rolled-back", "recovered", "rollback-open", "newer-tx",
        "other-server", "gc"])
def test_open_transactions(records: list[dict[str, Any]], expected: dict[str, OpenTransaction]) -> None:
    assert open_transactions(records) == expected


# --- the journal mark: finding open transactions reads only the tail ------------------

def test_the_mark_keeps_every_transaction_still_open_in_view(tmp_path: Path) -> None:
    from mcpstate.state.journal import read_journal_since

    sd = StateDir(tmp_path)
    journal = open_journal(sd, "me@host")
    try:
        for i in range(50):  # history that the mark lets readers skip
            journal.append(f"{i:012x}", "apply", "old", "started")
            journal.append(f"{i:012x}", "apply", "old", "committed")
        journal.append(A, "apply", "a", "started")
        journal.append(B, "apply", "b", "started")  # b is staged in parallel with a
        journal.append(A, "apply", "a", "swapped")
        mark = journal.mark(committing=A)  # a's state is written now; b is still open
        journal.append(A, "apply", "a", "committed")
    finally:
        journal.close()
    assert mark.seq == 102  # b's first line, not a's commit, nor the end
    tail = read_journal_since(sd, mark)
    assert tail.records[0]["seq"] == 102 and len(tail.records) == 3
    assert set(open_transactions(tail.records)) == {"b"}
    assert set(open_transactions(read_journal(sd).records)) == {"b"}  # the same answer as a full read


def test_with_nothing_else_open_the_mark_is_the_next_line(tmp_path: Path) -> None:
    from mcpstate.state.journal import read_journal_since

    sd = StateDir(tmp_path)
    journal = open_journal(sd, "me@host")
    journal.append(A, "apply", "a", "started")
    mark = journal.mark(committing=A)
    journal.append(A, "apply", "a", "committed")
    journal.close()
    first_line = sd.journal.read_bytes().split(b"\n")[0] + b"\n"
    assert (mark.offset, mark.seq) == (len(first_line), 2)
    assert [r["seq"] for r in read_journal_since(sd, mark).records] == [2]


def test_a_mark_that_no_longer_points_at_its_line_reads_everything(tmp_path: Path) -> None:
    from mcpstate.model import JournalMark
    from mcpstate.state.journal import read_journal_since

    sd = StateDir(tmp_path)
    sd.journal.write_bytes(lines(rec(1, "started"), rec(2, "staging", tx=B, server="b")))
    stale = JournalMark(offset=5, seq=2)  # gc archived the lines before it: offsets moved
    assert [r["seq"] for r in read_journal_since(sd, stale).records] == [1, 2]
    assert [r["seq"] for r in read_journal_since(sd, JournalMark()).records] == [1, 2]


HISTORY = 32 << 20  # bytes before the mark: far more than plan reads of everything else


def bytes_read() -> int | None:
    """What this process has read so far (Linux `rchar`: every read(), cached or not)."""
    try:
        with open("/proc/self/io") as f:
            return next(int(line.split()[1]) for line in f if line.startswith("rchar:"))
    except (OSError, StopIteration):
        return None


def test_plan_reads_only_the_journal_after_the_mark(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """DESIGN §9: plan finds open transactions in what follows the state's mark alone.
    Before the mark lie 32 MiB that are no journal at all (a sparse run of NUL bytes):
    a plan that read the whole journal would find a corrupt line there and refuse, and
    would read those 32 MiB; this one reads the tail, and still sees the transaction
    left open there."""
    from mcpstate.model import JournalMark
    from mcpstate.state.journal import read_journal_since
    from tests.helpers import run_cli

    (tmp_path / "mcpstate.lock.yaml").write_text("version: 1\nservers:\n  app:\n    source: command\n"
                                                 "    command: /bin/true\n")
    sd = StateDir(tmp_path / ".mcpstate")
    sd.create()
    with open(sd.journal, "wb") as f:
        f.truncate(HISTORY)  # a hole: no disk used, read back as NUL bytes
        f.seek(HISTORY)
        f.write(b"\n" + lines(rec(41, "committed", tx=B), rec(42, "started"), rec(43, "staging")))
    mark = JournalMark(offset=HISTORY + 1, seq=41)
    state = {"format_version": 2, "lineage": "l-1", "serial": 3, "targets": {".mcp.json": "claude-code"},
             "journal": {"offset": mark.offset, "seq": mark.seq}, "servers": {}}
    sd.state_file.write_text(json.dumps(state))
    with pytest.raises(StateError, match="corrupt journal line"):
        read_journal(sd)  # the whole journal is unreadable: only the tail can be read
    assert [r["seq"] for r in read_journal_since(sd, mark).records] == [41, 42, 43]

    before = bytes_read()
    result = run_cli(capsys, tmp_path, "plan")
    after = bytes_read()
    assert result.code == 0, result.err
    assert "app" in result.out and "recover" in result.out, result.out  # the open transaction, from the tail
    if before is not None and after is not None:
        assert after - before < HISTORY // 4, f"plan read {after - before:,} bytes"


def test_open_journal_remembers_where_open_transactions_began(tmp_path: Path) -> None:
    sd = StateDir(tmp_path)
    first = lines(rec(1, "committed", tx=B))
    sd.journal.write_bytes(first + lines(rec(2, "started"), rec(3, "staging")))
    journal = open_journal(sd, "me@host")
    journal.close()
    assert journal.mark(committing=B).offset == len(first) and journal.mark(committing=B).seq == 2
