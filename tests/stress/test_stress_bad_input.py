"""Bad input never half-does anything (DESIGN §5): a corpus of broken lockfiles, target
files, state files, journals, saved plans and registry answers. Each gives exit 1 (or
its documented exit) with a message naming what and where (file and line or key, or
the URL), never exit 3, and leaves every file of the project byte for byte as it was
(the whole tree is hashed; `.mcpstate/mcpstate.log` appearing means exit 3, a bug).

One applied project serves every case: a case breaks one or two files, runs its
commands in-process (the CLI's own `main`), and the pristine files are put back."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from mcpstate.state.journal import encode_record
from testing.catalogue import NPM_SERVER, NPM_TINY, PYPI_SERVER
from testing.tools import isolated_env
from tests.stress.stresshelp import (LOG, cli, command, diff_snapshots, lockfile_text, tree_snapshot,
                                     wait_until)

DIR = object()  # a mutation that puts a folder where the file was
Mutation = bytes | None | object | Callable[[bytes], bytes]

LOCKFILE, TARGET, STATE, JOURNAL, PLAN = (
    "mcpstate.lock.yaml", ".mcp.json", ".mcpstate/state.json", ".mcpstate/journal.jsonl", "plan.json")
GOOD_LOCK = lockfile_text({"app": {"package": NPM_SERVER, "version": "1.0.0", "args": ["--flag"]}},
                          targets={".mcp.json": "claude-code"})
APPLY = ("apply", "--auto-approve")

# Where each kind of message must point.
AT_LOCK = r"mcpstate\.lock\.yaml(:\d+:\d+: |: not UTF-8 text \(byte \d+\))"
AT_TARGET = r"\.mcp\.json(:\d+:\d+)?: "
AT_STATE = r"\.mcpstate/state\.json: "
AT_JOURNAL = r"\.mcpstate/journal\.jsonl:\d+: "
AT_PLAN = r"plan\.json(:\d+:\d+)?: "
AT_URL = r"http://127\.0\.0\.1:\d+/\S+"


@dataclass(frozen=True)
class Case:
    id: str
    files: dict[str, Mutation]
    commands: tuple[tuple[tuple[str, ...], int], ...]
    where: tuple[str, ...] = ()  # regexes every failing command's stderr must match
    warns: str = ""  # a regex the stderr of a tolerated (exit 0) input must match
    faults: tuple[tuple[str, str, tuple[Any, ...]], ...] = ()  # (npm|pypi, path, sticky actions)
    bug: str | None = None  # a known bug: the case is a strict xfail with this reason


def each(commands: tuple[tuple[str, ...], ...], code: int = 1) -> tuple[tuple[tuple[str, ...], int], ...]:
    return tuple((c, code) for c in commands)


# -- broken lockfiles (beyond tests/lockfile/test_load.py) -----------------------------------

def nest(depth: int, open_: str = "[", close: str = "]") -> str:
    return open_ * depth + close * depth


def laughs(levels: int) -> str:
    """The billion-laughs shape: each level ten aliases of the one before."""
    lines = ["a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]" for i in range(1, levels)]
    return "\n".join(lines) + "\n"


def laughs_flow(levels: int) -> str:
    """The same, as one flow list whose items anchor each level."""
    items = ["&a0 [" + ", ".join(["lol"] * 10) + "]"]
    items += [f"&a{i} [{', '.join([f'*a{i - 1}'] * 10)}]" for i in range(1, levels)]
    return "[" + ", ".join(items) + "]"


def indent(text: str, by: int) -> str:
    return "".join(" " * by + line + "\n" for line in text.splitlines())


RECURSION = None  # was a known bug, fixed; its cases stay as regression tests
NAME_KEYS = None  # was a known bug, fixed; its cases stay as regression tests
BOMB = None  # was a known bug, fixed; its cases stay as regression tests

LOCK_COMMANDS = each((("validate",), ("plan",), APPLY))
V = "version: 1\nservers:\n"
LOCKFILE_CASES: list[tuple[str, str | bytes, str | None]] = [
    ("deep-list-100", V.replace("servers:\n", "servers: ") + nest(100) + "\n", None),
    ("deep-list-2000", V.replace("servers:\n", "servers: ") + nest(2000) + "\n", RECURSION),
    ("deep-map-2000", V.replace("servers:\n", "servers: ") + nest(2000, "{a: ", "}") + "\n", RECURSION),
    ("deep-args-100", V + "  m:\n    source: command\n    command: c\n    args: " + nest(100) + "\n", None),
    ("huge-version-1MB", V + "  m:\n    source: npm\n    package: p\n    version: '1." + "9" * 1_000_000 + "'\n",
     None),
    ("huge-unknown-value-5MB", "version: 1\nservers: {}\nnote: '" + "x" * 5_000_000 + "'\n", None),
    ("huge-key-1MB", "a" * 1_000_000 + ": 1\n", None),
    ("10000-broken-servers", V + "".join(f"  s{i}:\n    source: ftp\n" for i in range(10_000)), None),
    ("binary-garbage", bytes(range(256)) * 4, None),
    ("control-char", "version: 1\x07\nservers: {}\n", None),
    ("nul-byte", "version: 1\nservers: {}\x00\n", None),
    ("utf8-bom-then-broken", "\ufeffversion: 1\nservers: [\n", None),
    ("utf16-with-bom", GOOD_LOCK.encode("utf-16"), None),
    ("utf16le-without-bom", GOOD_LOCK.encode("utf-16-le"), None),
    ("latin1", GOOD_LOCK.replace("--flag", "--d\u00e9j\u00e0").encode("latin-1"), None),
    ("latin1-in-comment", b"# caf\xe9\n" + GOOD_LOCK.encode(), None),
    ("cesu-surrogate", b"version: 1\nservers: {}\nx: \xed\xa0\x80\n", None),
    ("tab-indentation", "version: 1\nservers:\n\tm:\n\t\tsource: command\n", None),
    ("crlf-bad-source", "version: 1\r\nservers:\r\n  m:\r\n    source: ftp\r\n", None),
    ("billion-laughs-top-level", laughs(9) + "version: 1\nservers: {}\n", None),
    ("billion-laughs-in-args", V + "  m:\n    source: command\n    command: c\n    args: " + laughs_flow(9) + "\n",
     None),
    ("billion-laughs-in-smoke-arguments", V + "  m:\n    source: command\n    command: c\n    test:\n"
     "      smoke:\n        - tool: t\n          arguments:\n" + indent(laughs(9), 12), BOMB),
    ("recursive-alias", "version: 1\nservers: &s\n  m: *s\n", None),
    ("undefined-alias", "version: 1\nservers: *nope\n", None),
    ("merge-key-scalar", V + "  m:\n    <<: [1, 2]\n", None),
    ("empty-file", "", None),
    ("only-comments", "# nothing\n# here\n", None),
    ("only-blank-lines", "\n  \n\n", None),
    ("bare-document-marker", "---\n...\n", None),
    ("two-documents", "version: 1\nservers: {}\n---\nversion: 1\n", None),
    ("yaml-2-directive", "%YAML 2.0\n---\nversion: 1\nservers: {}\n", None),
    ("python-tag", "version: 1\nservers: !!python/object/apply:os.system ['true']\n", None),
    ("binary-tag", "version: 1\nservers: !!binary aGVsbG8=\n", None),
    ("set-tag", "version: 1\nservers: !!set {a, b}\n", None),
    ("version-huge-int", "version: 99999999999999999999999999999\nservers: {}\n", None),
    ("version-inf", "version: .inf\nservers: {}\n", None),
    ("version-nan", "version: .nan\nservers: {}\n", None),
    ("unterminated-flow", "{version: 1, servers: {\n", None),
    ("server-name-int", V + "  1: {source: command, command: c}\n", NAME_KEYS),
    ("server-name-null", V + "  ~: {source: command, command: c}\n", NAME_KEYS),
    ("server-name-date", V + "  2026-01-01: {source: command, command: c}\n", NAME_KEYS),
]


# Issue 13's classes: numbers finite and bounded, integers where integers are meant, every
# pattern matched whole, YAML values JSON cannot hold, a state dir that is somebody's folder.
G = GOOD_LOCK
SERVER_LINE = "    version: 1.0.0\n"
ISSUE13_LOCKFILE_CASES: list[tuple[str, str]] = [
    *[(f"test-{key}-{value.strip('.-')}", G.replace("on_breaking: warn}", f"on_breaking: warn, {key}: {value}}}"))
      for key in ("timeout_s", "max_startup_ms", "max_rss_mb", "watch_s")
      for value in (".inf", "-.inf", ".nan", "1e999")],
    *[(f"test-{key}-5000-digits", G.replace("timeout_s: 10", f"{key}: {'9' * 5000}"))
      for key in ("timeout_s", "max_startup_ms")],
    ("keep-versions-2.0", G.replace("servers:\n", "retention: {keep_versions: 2.0}\nservers:\n")),
    ("backups-1e3", G.replace("servers:\n", "retention: {backups: 1e3}\nservers:\n")),
    ("journal-days-inf", G.replace("servers:\n", "retention: {journal_days: .inf}\nservers:\n")),
    ("keep-versions-huge", G.replace("servers:\n", f"retention: {{keep_versions: {'1' * 400}}}\nservers:\n")),
    ("version-1.0", G.replace("version: 1\n", "version: 1.0\n", 1)),
    ("server-name-trailing-newline", G.replace("  app:\n", '  "app\\n":\n')),
    ("server-name-trailing-space", G.replace("  app:\n", '  "app ":\n')),
    ("package-trailing-newline", G.replace('"@mcpstate-fixture/server"', '"@mcpstate-fixture/server\\n"')),
    ("version-trailing-newline", G.replace(SERVER_LINE, '    version: "1.0.0\\n"\n')),
    ("version-leading-space", G.replace(SERVER_LINE, '    version: " 1.0.0"\n')),
    ("version-a-path", G.replace(SERVER_LINE, "    version: ../../x\n")),
    ("version-with-slash", G.replace(SERVER_LINE, "    version: 1.0.0/../x\n")),
    ("integrity-trailing-newline", G.replace(SERVER_LINE, SERVER_LINE + '    integrity: "sha512-AAAA\\n"\n')),
    ("integrity-wrong-prefix", G.replace(SERVER_LINE, SERVER_LINE + "    integrity: md5-AAAA\n")),
    ("on-breaking-trailing-newline", G.replace("on_breaking: warn", 'on_breaking: "warn\\n"')),
    ("registry-url-no-scheme", G.replace("servers:\n", "registries: {npm: 'registry.local/'}\nservers:\n")),
    *[(f"smoke-arguments-{name}", G.replace("    env: {}\n", "    env: {}\n    test:\n      smoke:\n"
                                            f"        - {{tool: echo, arguments: {{x: {value}}}}}\n"))
      for name, value in (("date", "2026-01-01"), ("datetime", "2026-01-01T10:00:00Z"),
                          ("binary", "!!binary aGVsbG8="), ("set", "!!set {a, b}"), ("omap", "!!omap [{a: 1}]"),
                          ("pairs", "!!pairs [{a: 1}]"), ("nested-date", "[[2026-01-01]]"),
                          ("int-key", "{1: a}"), ("inf", ".inf"), ("nan", ".nan"))],
    *[(f"{where}-{name}", G.replace(line, line.replace(old, value)))
      for where, line, old in (("args", '    args: ["--flag"]\n', '"--flag"'),
                               ("env", "    env: {}\n", "{}"))
      for name, value in (("date", "[2026-01-01]" if where == "args" else "{D: 2026-01-01}"),
                          ("binary", "[!!binary aGk=]" if where == "args" else "{B: !!binary aGk=}"),
                          ("set", "!!set {a}"))],
    *[(f"state-dir-{name}", G.replace("servers:\n", f"state_dir: {value}\nservers:\n"))
      for name, value in (("dot", "."), ("parent", ".."), ("tmp", "/tmp"), ("root", "/"))],
]


def lockfile_cases() -> Iterator[Case]:
    for name, text in ISSUE13_LOCKFILE_CASES:
        yield Case(f"lockfile-{name}", {LOCKFILE: text.encode()}, LOCK_COMMANDS, (AT_LOCK,))
    for name, text, bug in LOCKFILE_CASES:
        raw = text if isinstance(text, bytes) else text.encode("utf-8")
        commands = LOCK_COMMANDS
        yield Case(f"lockfile-{name}", {LOCKFILE: raw}, commands, (AT_LOCK,), bug=bug)


# -- broken targets ----------------------------------------------------------------------

TARGET_COMMANDS = each((("plan",), APPLY))


def half(raw: bytes) -> bytes:
    return raw[: len(raw) // 2]


def huge_target(last: str) -> bytes:
    entries = ",".join(f'"u{i}": {{"command": "x", "args": ["{i}"]}}' for i in range(200_000))
    return ('{"mcpServers": {' + entries + last).encode()


TARGET_CASES = [
    ("truncated", half, r"\.mcp\.json:\d+:\d+: invalid JSON", None),
    ("empty", b"", r"\.mcp\.json:1:1: invalid JSON", None),
    ("top-level-array", b"[1, 2]", r"expected a JSON object", None),
    ("top-level-string", b'"mcpServers"', r"expected a JSON object", None),
    ("servers-is-a-list", b'{"mcpServers": []}', r"mcpServers: expected an object", None),
    ("servers-is-a-string", b'{"mcpServers": "app"}', r"mcpServers: expected an object", None),
    ("entry-is-a-string", b'{"mcpServers": {"app": "npx app"}}', r"mcpServers\.app: expected an object", None),
    ("unmanaged-entry-is-null", b'{"mcpServers": {"theirs": null}}', r"mcpServers\.theirs: expected an object",
     None),
    ("entry-is-a-number", b'{"mcpServers": {"app": 7}}', r"mcpServers\.app: expected an object", None),
    ("huge-truncated-8MB", lambda raw: huge_target(""), r"\.mcp\.json:1:\d+: invalid JSON", None),
    ("huge-with-a-bad-entry-8MB", lambda raw: huge_target(', "bad": [1]}}'), r"mcpServers\.bad: expected", None),
    ("utf8-bom", lambda raw: b"\xef\xbb\xbf" + raw, r"\.mcp\.json:1:1: invalid JSON", None),
    ("latin1", b'{"mcpServers": {}, "theme": "caf\xe9"}', r"\.mcp\.json: not UTF-8 text \(byte \d+\)", None),
    ("comments-in-strict-json", b'{\n  // mine\n  "mcpServers": {}\n}\n', r"\.mcp\.json:2:\d+: invalid JSON", None),
    ("trailing-comma", b'{"mcpServers": {},}', r"\.mcp\.json:1:\d+: invalid JSON", None),
    ("a-folder", DIR, r"\.mcp\.json: cannot read", None),
    ("nested-100000", b'{"theme": ' + nest(100_000).encode() + b"}", r"\.mcp\.json", RECURSION),
    ("lone-high-surrogate", b'{"mcpServers": {"z": {"command": "\\ud800"}}}', r"half of a surrogate pair", None),
    ("lone-low-surrogate", b'{"mcpServers": {"z": {"args": ["\\udc00"]}}}', r"half of a surrogate pair", None),
    ("surrogate-in-a-key", b'{"mcpServers": {"\\ud800": {"command": "x"}}}', r"half of a surrogate pair", None),
    ("surrogate-in-another-key", b'{"theme": "\\udfff", "mcpServers": {}}', r"half of a surrogate pair", None),
    ("reversed-surrogate-pair", b'{"t": "\\udc00\\ud800", "mcpServers": {}}', r"half of a surrogate pair", None),
]


def target_cases() -> Iterator[Case]:
    for name, mutation, what, bug in TARGET_CASES:
        yield Case(f"target-{name}", {TARGET: mutation}, TARGET_COMMANDS, (AT_TARGET, what), bug=bug)
    cursor_lock = GOOD_LOCK.replace("targets:\n", "targets:\n  - {client: cursor, path: .cursor/mcp.json}\n")
    yield Case("target-second-target-truncated", {LOCKFILE: cursor_lock.encode(), ".cursor/mcp.json": b'{"mcpSer'},
               TARGET_COMMANDS, (r"\.cursor/mcp\.json:1:\d+: invalid JSON",))


# -- broken state files --------------------------------------------------------------------

STATE_COMMANDS = each((("plan",), APPLY, ("history",)))
STATE_BAD_TYPES = None  # was a known bug, fixed; its cases stay as regression tests


def edit_state(change: Callable[[dict[str, Any]], Any]) -> Callable[[bytes], bytes]:
    def mutate(raw: bytes) -> bytes:
        doc = json.loads(raw)
        change(doc)
        return json.dumps(doc, indent=2).encode()
    return mutate


def app(doc: dict[str, Any]) -> dict[str, Any]:
    return doc["servers"]["app"]  # type: ignore[no-any-return]


STATE_CASES = [
    ("truncated", half, r"line \d+ column \d+: not valid JSON", None),
    ("empty", b"", r"line 1 column 1: not valid JSON", None),
    ("binary", bytes(range(256)), r"not valid JSON", None),
    ("an-array", b"[]", r"expected a JSON object", None),
    ("newer-format-version", edit_state(lambda d: d.update(format_version=3)), r"newer mcpstate", None),
    ("journal-mark-negative", edit_state(lambda d: d.update(journal={"offset": -1, "seq": 1})), r"journal", None),
    ("journal-mark-a-string", edit_state(lambda d: d.update(journal="0")), r"journal", None),
    ("format-version-a-string", edit_state(lambda d: d.update(format_version="1")), r"format_version", None),
    ("format-version-missing", edit_state(lambda d: d.pop("format_version")), r"format_version", None),
    ("servers-a-list", edit_state(lambda d: d.update(servers=[])), r"malformed state", None),
    ("server-a-string", edit_state(lambda d: d["servers"].update(app="npx app")), r"malformed state", None),
    ("entries-a-list", edit_state(lambda d: app(d).update(entries=[])), r"servers\.app\.entries", None),
    ("serial-a-string", edit_state(lambda d: d.update(serial="7")), r"serial", None),
    ("serial-negative", edit_state(lambda d: d.update(serial=-1)), r"serial", None),
    ("revision-not-a-number", edit_state(lambda d: app(d).update(revision="x")), r"malformed state", None),
    ("lineage-missing", edit_state(lambda d: d.pop("lineage")), r"missing key 'lineage'", None),
    ("tools-a-number", edit_state(lambda d: app(d).update(tools=5)), r"malformed state", None),
    ("config-a-list", edit_state(lambda d: app(d).update(config=[1])), r"malformed state", None),
    ("targets-unknown-client", edit_state(lambda d: d.update(targets={"other.json": "emacs"})), r"targets",
     STATE_BAD_TYPES),
    ("store-path-a-number", edit_state(lambda d: app(d).update(store_path=5)), r"store_path", STATE_BAD_TYPES),
]


def state_cases() -> Iterator[Case]:
    for name, mutation, what, bug in STATE_CASES:
        yield Case(f"state-{name}", {STATE: mutation}, STATE_COMMANDS, (AT_STATE, what), bug=bug)
    yield Case("state-a-folder", {STATE: DIR}, STATE_COMMANDS, (AT_STATE + "cannot read",))
    for name, path in (("outside", "/etc"), ("climbing", ".mcpstate/store/../../.."), ("home", "~")):
        yield Case(f"state-store-path-{name}", {STATE: edit_state(lambda d, p=path: app(d).update(store_path=p))},
                   each((("plan",), APPLY, ("status",))), (r"points outside",))


# -- journals ----------------------------------------------------------------------------

def lines_of(raw: bytes) -> list[bytes]:
    return raw.split(b"\n")[:-1]


def replace_line(number: int, new: Callable[[bytes], bytes]) -> Callable[[bytes], bytes]:
    def mutate(raw: bytes) -> bytes:
        lines = lines_of(raw)
        lines[number - 1] = new(lines[number - 1])
        return b"\n".join(lines) + b"\n"
    return mutate


def append_record(record: dict[str, Any]) -> Callable[[bytes], bytes]:
    """A line with a right CRC but a wrong shape: what a buggy writer, not a crash, leaves."""
    def mutate(raw: bytes) -> bytes:
        seq = len(lines_of(raw)) + 1
        return raw + encode_record({"seq": seq, "ts": "2026-01-01T00:00:00.000Z", "tx": "t0", "op": "apply",
                                    "server": "app", "from": None, "to": None, "who": "x", **record})
    return mutate


HISTORY_TORN = None  # was a known bug, fixed; its cases stay as regression tests
JOURNAL_SHAPE = None  # was a known bug, fixed; its cases stay as regression tests
JOURNAL_UNREADABLE = None  # was a known bug, fixed; its cases stay as regression tests
TORN_WARNING = r"\.mcpstate/journal\.jsonl:\d+: ignoring a torn last line"
JOURNAL_CORRUPT = each((("plan",), ("history",), APPLY))
JOURNAL_CASES = [
    Case("journal-torn-last-line", {JOURNAL: lambda raw: raw + b'{"seq": 99, "ts": "2026'},
         each((("plan",),), 0), warns=TORN_WARNING),
    Case("journal-torn-last-line-binary", {JOURNAL: lambda raw: raw + b'{"seq": 99, "\xff\xfe'},
         each((("plan",),), 0), warns=TORN_WARNING),
    Case("journal-last-line-without-newline", {JOURNAL: lambda raw: raw[:-1]}, each((("plan",), ("history",)), 0)),
    Case("journal-torn-last-line-history", {JOURNAL: lambda raw: raw + b'{"seq": 99, "ts": "2026'},
         each((("history",),), 0), warns=TORN_WARNING, bug=HISTORY_TORN),
    Case("journal-bad-crc-in-the-middle", {JOURNAL: replace_line(2, lambda l: l.replace(b'"crc":', b'"crc":1'))},
         JOURNAL_CORRUPT, (AT_JOURNAL + "corrupt journal line",)),
    Case("journal-garbage-in-the-middle", {JOURNAL: replace_line(3, lambda l: b"\xff\xfe\x00garbage")},
         JOURNAL_CORRUPT, (AT_JOURNAL + "corrupt journal line",)),
    Case("journal-line-cut-in-the-middle", {JOURNAL: replace_line(2, lambda l: l[: len(l) // 2])},
         JOURNAL_CORRUPT, (AT_JOURNAL + "corrupt journal line",)),
    Case("journal-line-without-crc", {JOURNAL: replace_line(1, lambda l: l[: l.rindex(b',"crc"')] + b"}")},
         JOURNAL_CORRUPT, (AT_JOURNAL + "corrupt journal line",)),
    Case("journal-a-folder", {JOURNAL: DIR}, JOURNAL_CORRUPT, (r"\.mcpstate/journal\.jsonl: cannot read",),
         bug=JOURNAL_UNREADABLE),
    Case("journal-crc-valid-seq-not-a-number", {JOURNAL: append_record({"seq": "x", "event": "started"})},
         JOURNAL_CORRUPT, (AT_JOURNAL,), bug=JOURNAL_SHAPE),
    *[Case(f"journal-tx-{name}", {JOURNAL: append_record({"tx": tx, "event": "started"})},
           JOURNAL_CORRUPT, (AT_JOURNAL + "corrupt journal line",))
      for name, tx in (("climbing", "../../x"), ("upper-hex", "0123456789AB"), ("absolute", "/tmp/x"),
                       ("trailing-newline", "0123456789ab\n"), ("short", "abc"))],
    Case("journal-crc-valid-detail-a-string",
         {JOURNAL: append_record({"event": "committed", "detail": "Install complete"})},
         JOURNAL_CORRUPT, (AT_JOURNAL,), bug=JOURNAL_SHAPE),
]


# -- saved plans ---------------------------------------------------------------------------

PLAN_COMMANDS = each((("apply", "@plan"), ("show", "@plan")))
PLAN_TYPES = None  # was a known bug, fixed; its cases stay as regression tests


def edit_plan(change: Callable[[dict[str, Any]], Any]) -> Callable[[bytes], bytes]:
    return edit_state(change)


def plan_cases() -> Iterator[Case]:
    broken = [
        ("not-json", b"hello", r"plan\.json:1:1: not a saved plan", None),
        ("empty", b"", r"plan\.json:1:1: not a saved plan", None),
        ("binary", bytes(range(256)), r"plan\.json: cannot read", None),
        ("an-array", b"[]", r"plan\.json: not a saved plan \(missing", None),
        ("format-version-2", edit_plan(lambda d: d.update(format_version="2")), r"plan format '2'", None),
        ("format-version-an-int", edit_plan(lambda d: d.update(format_version=1)), r"plan format 1", None),
        ("changes-missing", edit_plan(lambda d: d.pop("changes")), r"missing changes", None),
        ("state-missing", edit_plan(lambda d: d.pop("state")), r"missing state", None),
        ("state-a-string", edit_plan(lambda d: d.update(state="x")), r"state", PLAN_TYPES),
        ("lockfile-a-string", edit_plan(lambda d: d.update(lockfile="x")), r"lockfile", PLAN_TYPES),
        ("targets-a-string", edit_plan(lambda d: d.update(targets="x")), r"targets", PLAN_TYPES),
        ("targets-not-objects", edit_plan(lambda d: d.update(targets=[1])), r"targets", PLAN_TYPES),
        ("options-a-list", edit_plan(lambda d: d.update(options=[1])), r"options", PLAN_TYPES),
        ("changes-a-string", edit_plan(lambda d: d.update(changes="x")), r"changes", PLAN_TYPES),
        ("nested-100000", nest(100_000).encode(), r"plan\.json", RECURSION),
    ]
    for name, mutation, what, bug in broken:
        yield Case(f"plan-{name}", {PLAN: mutation}, PLAN_COMMANDS, (AT_PLAN, what), bug=bug)
    yield Case("plan-missing-file", {PLAN: None}, PLAN_COMMANDS, (r"plan\.json: no such plan file",))
    stale = r"Saved plan is stale: "
    yield Case("plan-stale-lockfile-edited", {LOCKFILE: lambda raw: raw + b"# reviewed again\n"},
               ((("apply", "@plan"), 1), (("show", "@plan"), 0)), (stale + r"mcpstate\.lock\.yaml was edited",))
    # a managed entry edited (an edit of others' keys or entries leaves the plan good, §6)
    yield Case("plan-stale-target-edited", {TARGET: lambda raw: raw.replace(b'"--flag"', b'"--by-hand"')},
               ((("apply", "@plan"), 1),), (stale + r"\.mcp\.json was edited",))
    yield Case("plan-stale-other-lineage", {STATE: edit_state(lambda d: d.update(lineage="another-project"))},
               ((("apply", "@plan"), 1),), (stale + r"it was made for another state \(its lineage differs\)",))
    yield Case("plan-stale-serial-ahead", {STATE: edit_state(lambda d: d.update(serial=d["serial"] + 1))},
               ((("apply", "@plan"), 1),), (stale + r"the state changed \(serial \d+ -> \d+\)",))
    edited = r"Saved plan does not match the inputs: the file was edited"
    for name, change in (("lineage", lambda d: d["state"].update(lineage="another-project")),
                         ("serial", lambda d: d["state"].update(serial=0)),
                         ("options", lambda d: d["options"].update(refresh_only=True)),
                         ("targets", lambda d: d.update(targets=[])),
                         ("digest-dropped", lambda d: d.pop("digest"))):
        yield Case(f"plan-edited-{name}", {PLAN: edit_plan(change)}, ((("apply", "@plan"), 1),),
                   (edited if name != "digest-dropped" else r"not a saved plan \(missing digest\)",))


# -- registry answers ---------------------------------------------------------------------

REGISTRY_LOCK = (f"version: 1\nservers:\n  app:\n    source: npm\n    package: \"{NPM_SERVER}\"\n"
                 "    version: 1.0.0\n    update: {constraint: ^1.0.0}\n"
                 f"  py:\n    source: pypi\n    package: {PYPI_SERVER}\n    version: 1.0.0\n")
NPM_PATH, PYPI_PATH = "/" + NPM_SERVER, f"/simple/{PYPI_SERVER}/"


def registry_cases() -> Iterator[Case]:
    faults = [
        ("npm", NPM_PATH, (500,), "outdated", r"answered 500"),
        ("npm", NPM_PATH, (503,), "update", r"answered 503"),
        ("npm", NPM_PATH, (429,), "outdated", r"answered 429"),
        ("npm", NPM_PATH, (404,), "lock", r"answered 404"),
        ("npm", NPM_PATH, ("malformed",), "update", r"answered malformed JSON"),
        ("npm", NPM_PATH, ("malformed",), "lock", r"answered malformed JSON"),
        ("npm", NPM_PATH, ("reset",), "lock", r"cannot reach"),
        ("pypi", PYPI_PATH, (500,), "outdated", r"answered 500"),
        ("pypi", PYPI_PATH, (404,), "update", r"answered 404"),
        ("pypi", PYPI_PATH, ("malformed",), "lock", r"answered malformed JSON"),
    ]
    for source, path, actions, verb, what in faults:
        yield Case(f"registry-{source}-{actions[0]}-{verb}", {LOCKFILE: REGISTRY_LOCK.encode()}, (((verb,), 1),),
                   (AT_URL, what), faults=((source, path, actions),))
    # Documented: a 5xx is retried; one failure then an answer is a success.
    yield Case("registry-npm-500-then-ok-outdated", {LOCKFILE: REGISTRY_LOCK.encode()}, ((("outdated",), 0),),
               faults=(("npm", NPM_PATH, (500, "ok")),))


# -- command lines: writes that cannot happen, versions that are paths, folders that are not ours ----

COMMAND_CASES: list[tuple[str, tuple[str, ...], str]] = [
    ("plan-out-missing-folder", ("plan", "-o", "nosuch/plan.json"), r"nosuch/plan\.json: cannot write: .*ENOENT"),
    ("plan-json-out-missing-folder", ("plan", "--format", "json", "-o", "nosuch/p.json"), r"cannot write"),
    ("plan-out-a-folder", ("plan", "-o", ".mcpstate"), r"\.mcpstate: cannot write"),
    ("status-output-missing-folder", ("status", "--output", "nosuch/m.prom"), r"nosuch/m\.prom: cannot write"),
    ("test-version-a-path", ("test", "app", "--version", "../../x"), r"not an exact npm version"),
    ("test-version-trailing-newline", ("test", "app", "--version", "1.0.0\n"), r"not an exact npm version"),
    ("test-version-a-range", ("test", "app", "--version", "^1.0.0"), r"not an exact npm version"),
    ("test-version-absolute", ("test", "app", "--version", "/etc"), r"not an exact npm version"),
    ("apply-state-dir-the-project", ("apply", "--auto-approve", "--state-dir", "."), r"not a state dir"),
    ("gc-state-dir-the-project", ("gc", "--state-dir", "."), r"not a state dir"),
    ("gc-state-dir-parent", ("gc", "--older-than", "0d", "--state-dir", ".."), r"not a state dir"),
    ("apply-state-dir-a-file", ("apply", "--auto-approve", "--state-dir", LOCKFILE), r"not a folder"),
    ("rollback-no-such-server", ("rollback", "nosuch"), r"no server named 'nosuch'"),
    ("history-unknown-format", ("history", "--format", "xml"), r"invalid choice"),
]


def command_cases() -> Iterator[Case]:
    for name, args, what in COMMAND_CASES:
        yield Case(f"command-{name}", {}, ((args, 1),), (what,))


CASES = [*lockfile_cases(), *target_cases(), *state_cases(), *JOURNAL_CASES, *plan_cases(), *registry_cases(),
         *command_cases()]


def params() -> list[Any]:
    return [pytest.param(c, id=c.id, marks=[pytest.mark.xfail(strict=True, reason=c.bug)] if c.bug else [])
            for c in CASES]


# -- the corpus project ------------------------------------------------------------------

@dataclass
class Corpus:
    path: Path
    pristine: Path
    snapshot: dict[str, str]
    hang: subprocess.Popen[str]
    hang_project: Path
    hang_before: dict[str, str]
    home: dict[str, str]  # HOME and MCPSTATE_HOME: the shared store the corpus was applied with

    def restore(self) -> None:
        if tree_snapshot(self.path, frozenset()) != self.snapshot:
            shutil.rmtree(self.path)
            shutil.copytree(self.pristine, self.path, symlinks=True)


@pytest.fixture(scope="module")
def corpus(world: Any, tmp_path_factory: pytest.TempPathFactory, npm_cache: Path) -> Iterator[Corpus]:
    root = tmp_path_factory.mktemp("corpus")
    env = {**isolated_env(root / "isolated"), **world.env, "npm_config_cache": str(npm_cache)}
    path = root / "project"
    path.mkdir()
    (path / TARGET).write_text(json.dumps({"theme": "dark", "mcpServers": {"zeta": {"command": "z"}}}, indent=2))
    (path / LOCKFILE).write_text(GOOD_LOCK)
    for args in (APPLY, ("plan", "-o", PLAN)):
        done = subprocess.run(command(path, *args), env=env, cwd=path, capture_output=True, text=True,
                              stdin=subprocess.DEVNULL, timeout=120)
        assert done.returncode == 0, done.stderr
    hang, hang_project, hang_before = start_hang(world, root, env)
    shutil.copytree(path, root / "pristine", symlinks=True)
    home = {key: env[key] for key in ("HOME", "MCPSTATE_HOME")}
    yield Corpus(path, root / "pristine", tree_snapshot(path, frozenset()), hang, hang_project, hang_before, home)
    if hang.poll() is None:
        hang.kill()
        hang.wait()


def start_hang(world: Any, root: Path, env: dict[str, str]) -> tuple[subprocess.Popen[str], Path, dict[str, str]]:
    """A registry that never answers costs the client's whole timeout (15 s): start that
    case now, in the background, and judge it in the module's last test. The fault is
    consumed before this returns, so the per-test fault reset cannot undo it."""
    path = root / "hang-project"
    path.mkdir()
    (path / LOCKFILE).write_text(f"version: 1\nservers:\n  tiny:\n    source: npm\n    package: {NPM_TINY}\n"
                                 "    version: 1.0.0\n")
    before = tree_snapshot(path)
    world.npm.inject("/" + NPM_TINY, "hang")
    proc = subprocess.Popen(command(path, "update"), env=env, cwd=path, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, stdin=subprocess.DEVNULL)
    wait_until(lambda: world.npm.hits("/" + NPM_TINY) > 0, what="the hung registry request")
    return proc, path, before


def mutate(corpus: Corpus, files: dict[str, Mutation]) -> None:
    for rel, mutation in files.items():
        file = corpus.path / rel
        if mutation is DIR:
            file.unlink()
            file.mkdir()
        elif mutation is None:
            file.unlink()
        else:
            data = mutation(file.read_bytes()) if callable(mutation) else mutation
            file.parent.mkdir(parents=True, exist_ok=True)
            file.write_bytes(data)  # type: ignore[arg-type]


def check_answer(case: Case, args: tuple[str, ...], expected: int, code: int, err: str, log: Path) -> None:
    shown = f"{case.id}: mcpstate {' '.join(args)} -> exit {code}\n{err[-1500:]}"
    assert code != 3 and not log.exists(), f"exit 3 (a bug):\n{shown}"
    assert code == expected, shown
    assert "Traceback" not in err, shown
    for where in case.where if code != 0 else ():
        assert re.search(where, err), f"the message does not say what and where ({where}):\n{shown}"
    if code == 0 and case.warns:  # a tolerated input still warns, naming it
        assert re.search(case.warns, err), f"no warning ({case.warns}):\n{shown}"


@pytest.mark.parametrize("case", params())
def test_bad_input_exits_cleanly_and_changes_nothing(case: Case, corpus: Corpus, world: Any,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    for key, value in corpus.home.items():  # the store its state points into
        monkeypatch.setenv(key, value)
    mutate(corpus, case.files)
    try:
        before = tree_snapshot(corpus.path)
        for source, path, actions in case.faults:
            getattr(world, source).inject(path, *actions, sticky=len(actions) == 1)
        for args, expected in case.commands:
            args = tuple(str(corpus.path / PLAN) if a == "@plan" else a for a in args)
            ran = cli(corpus.path, *args)
            check_answer(case, args, expected, ran.code, ran.err, corpus.path / LOG)
        changed = diff_snapshots(before, tree_snapshot(corpus.path))
        assert not changed, f"{case.id}: the project changed:\n" + "\n".join(changed[:20])
    finally:
        corpus.restore()


def test_corpus_is_big_enough() -> None:
    assert len(CASES) >= 200
    kinds = {c.id.split("-")[0] for c in CASES}
    assert kinds == {"lockfile", "target", "state", "journal", "plan", "registry", "command"}


def test_a_hung_registry_times_out_cleanly(corpus: Corpus) -> None:
    """Last in the module: by now the background `update` has waited out its timeout."""
    out, err = corpus.hang.communicate(timeout=60)
    assert corpus.hang.returncode == 1, err
    assert re.search(AT_URL + r" timed out \(no answer within \d+ s\)", err), err
    assert "Traceback" not in err
    assert tree_snapshot(corpus.hang_project) == corpus.hang_before  # the lockfile untouched
