"""journal.jsonl: every transition, one JSON object a line with a CRC-32 (DESIGN §9).

A line is fsync'd before the step it announces is taken. A torn last line (a crash
mid-write) is ignored with a warning; a bad line anywhere else is corruption."""

from __future__ import annotations

import json
import os
import zlib
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from mcpstate.errors import StateError
from mcpstate.fsutil import read_optional
from mcpstate.model import JournalMark, OpenTransaction
from mcpstate.secrets.redact import redact_data
from mcpstate.stamps import now_iso
from mcpstate.state.layout import TX_ID, StateDir

TERMINAL = frozenset({"committed", "failed", "rolled_back", "recovered"})
_CRC_KEY = ',"crc":'


class JournalRead:
    """The records read, the byte offset of each one's line, and warnings (a torn last
    line) met on the way."""

    def __init__(self) -> None:
        self.records: list[dict[str, Any]] = []
        self.offsets: list[int] = []
        self.warnings: list[str] = []


def encode_record(record: dict[str, Any]) -> bytes:
    """One line: the record without crc, then its CRC-32 appended as the last key."""
    body = json.dumps(record, separators=(",", ":"), ensure_ascii=True)
    crc = zlib.crc32(body.encode())
    return f"{body[:-1]}{_CRC_KEY}{crc}}}\n".encode()


def decode_line(line: str) -> dict[str, Any] | None:
    """The record, or None when the line is damaged (bad JSON or CRC)."""
    cut = line.rfind(_CRC_KEY)
    if cut < 0 or not line.endswith("}"):
        return None
    body = line[:cut] + "}"
    try:
        crc = int(line[cut + len(_CRC_KEY):-1])
        record = json.loads(body)
    except ValueError:
        return None
    if zlib.crc32(body.encode()) != crc or not _well_formed(record):
        return None
    return record


_FIELD_TYPES: dict[str, tuple[type, ...]] = {
    "seq": (int,), "ts": (str,), "tx": (str,), "op": (str,), "event": (str,),
    "server": (str, type(None)), "detail": (dict, type(None)), "who": (str,)}


def _well_formed(record: object) -> bool:
    """A line that checks out by CRC can still be of the wrong shape (written by hand or
    by another tool): such a line is as corrupt as a torn one. A `tx` is 12 lowercase
    hex digits (DESIGN §9): it names a folder, so any other value is corruption."""
    return isinstance(record, dict) and all(
        isinstance(record.get(key), types) and not isinstance(record.get(key), bool)
        for key, types in _FIELD_TYPES.items()) and TX_ID.fullmatch(record["tx"]) is not None


def read_journal(state_dir: StateDir) -> JournalRead:
    data = read_optional(state_dir.journal, StateError)
    return JournalRead() if data is None else parse_journal(data, state_dir.journal)


def read_journal_since(state_dir: StateDir, mark: JournalMark) -> JournalRead:
    """The journal from `mark` on: what finding open transactions needs, without reading
    the whole history. A mark that no longer points at its line (gc archived the lines
    before it) falls back to reading everything."""
    if mark.seq == 0:
        return read_journal(state_dir)
    try:
        with open(state_dir.journal, "rb") as f:
            f.seek(mark.offset)
            data = f.read()
    except FileNotFoundError:
        return JournalRead()
    except OSError as e:
        raise StateError(f"{state_dir.journal}: cannot read: {e.strerror}") from None
    first = decode_line(data[: data.find(b"\n")].decode("utf-8", "replace")) if b"\n" in data else None
    if first is None or first["seq"] != mark.seq:
        return read_journal(state_dir)
    return parse_journal(data, state_dir.journal, base=mark.offset)


def parse_journal(data: bytes, path: Path, base: int = 0) -> JournalRead:
    """Each line's record and offset; `base` is where `data` starts in the file (its line
    numbers in messages then count from there)."""
    result = JournalRead()
    lines = data.split(b"\n")
    torn_tail = not data.endswith(b"\n")
    offset = base
    for number, raw in enumerate(lines, start=1):
        at, offset = offset, offset + len(raw) + 1
        if not raw:
            continue
        record = decode_line(raw.decode("utf-8", errors="replace"))
        if record is not None:
            result.records.append(record)
            result.offsets.append(at)
        elif torn_tail and number == len(lines):
            result.warnings.append(f"{path}:{number}: ignoring a torn last line (an interrupted write)")
        else:
            raise StateError(f"{path}:{number}: corrupt journal line (bad JSON or checksum); "
                             "refusing to write anything until it is repaired")
    return result


def read_archive(path: Path) -> JournalRead:
    """One archive's records; its lines are journal lines, CRCs and all."""
    import gzip

    try:
        data = gzip.decompress(path.read_bytes())
    except (OSError, EOFError, zlib.error) as e:  # gzip.BadGzipFile is an OSError
        raise StateError(f"{path}: cannot read the journal archive ({e})") from None
    return parse_journal(data, path)


def record_key(record: dict[str, Any]) -> tuple[object, object]:
    """What identifies a journal line across the archives and journal.jsonl."""
    return record.get("tx"), record.get("seq")


def read_journal_all(state_dir: StateDir) -> JournalRead:
    """Every record: the archives (oldest first), then journal.jsonl.

    A gc interrupted between writing an archive and rewriting journal.jsonl leaves
    those lines in both; each (tx, seq) is taken once, at its first (oldest) place."""
    result, seen = JournalRead(), set()
    for read in [*(read_archive(p) for p in state_dir.journal_archives()), read_journal(state_dir)]:
        result.warnings += read.warnings
        for record in read.records:
            if record_key(record) not in seen:
                seen.add(record_key(record))
                result.records.append(record)
    return result


class Journal:
    """Appends records; each is on disk before `append` returns."""

    def __init__(self, state_dir: StateDir, who: str, start_seq: int,
                 open_starts: dict[str, JournalMark] | None = None) -> None:
        self.path = state_dir.journal
        self.who = who
        self.seq = start_seq
        self._fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        self.offset = os.fstat(self._fd).st_size
        self.open_starts = dict(open_starts or {})  # tx -> where its first line is
        import threading  # only writers need it, not plan

        self._lock = threading.Lock()  # stage and test run on threads

    def append(self, tx: str, op: str, server: str | None, event: str, *, from_: object = None,
               to: object = None, detail: object = None) -> dict[str, Any]:
        with self._lock:
            self.seq += 1
            record = {"seq": self.seq, "ts": now_iso(), "tx": tx, "op": op, "server": server,
                      "event": event, "from": from_, "to": to, "detail": redact_data(detail),
                      "who": self.who}
            line = encode_record(record)
            if event in TERMINAL:
                self.open_starts.pop(tx, None)
            else:
                self.open_starts.setdefault(tx, JournalMark(self.offset, self.seq))
            os.write(self._fd, line)
            os.fsync(self._fd)
            self.offset += len(line)
        _maybe_crash_for_tests(event)
        return record

    def mark(self, committing: str) -> JournalMark:
        """Where a reader must start to see every transaction still open once `committing`
        is in the state: the first line of the oldest other open one, else the next line."""
        with self._lock:
            others = [m for tx, m in self.open_starts.items() if tx != committing]
            return min(others) if others else JournalMark(self.offset, self.seq + 1)

    def close(self) -> None:
        os.close(self._fd)


def open_journal(state_dir: StateDir, who: str) -> Journal:
    """Open for appending after checking what is there; repairs a torn last line."""
    read = read_journal(state_dir)
    _repair_tail(state_dir.journal, torn=bool(read.warnings))
    last = read.records[-1]["seq"] if read.records else 0
    return Journal(state_dir, who, int(last), _open_starts(read))


def _open_starts(read: JournalRead) -> dict[str, JournalMark]:
    """Where each transaction that never reached a terminal event began."""
    starts: dict[str, JournalMark] = {}
    for record, offset in zip(read.records, read.offsets):
        if record["event"] in TERMINAL:
            starts.pop(record["tx"], None)
        else:
            starts.setdefault(record["tx"], JournalMark(offset, record["seq"]))
    return starts


def _repair_tail(path: Path, torn: bool) -> None:
    """Drop a torn last line, or end a whole last line whose newline never landed,
    so the next record starts on a line of its own."""
    data = read_optional(path, StateError)
    if not data or data.endswith(b"\n"):
        return
    with open(path, "r+b") as f:
        if torn:
            f.truncate(data.rfind(b"\n") + 1)
        else:
            f.seek(0, os.SEEK_END)
            f.write(b"\n")
        os.fsync(f.fileno())


def open_transactions(records: Iterable[dict[str, Any]]) -> dict[str, OpenTransaction]:
    """Per server, the transaction that started and never reached a terminal event."""
    open_: dict[str, OpenTransaction] = {}
    for r in records:
        server, tx = r.get("server"), r.get("tx")
        if server is None:
            continue
        if r.get("event") in TERMINAL:  # `recovered` (op recover) closes an apply's tx too
            if server in open_ and open_[server].tx == tx:
                del open_[server]
        elif r.get("op") in ("apply", "rollback"):
            open_[server] = OpenTransaction(str(tx), server, str(r["op"]), str(r["event"]))
    return open_


def _maybe_crash_for_tests(event: str) -> None:
    # Test seam: MCPSTATE_TEST_CRASH_AT=<event> kills this process right after that
    # line is durable, to prove recovery from a crash at every step.
    target = os.environ.get("MCPSTATE_TEST_CRASH_AT")
    if target and target == event:
        os.kill(os.getpid(), 9)
