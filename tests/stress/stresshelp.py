"""What the stress tests share: lockfiles over several targets, the §7 invariant over
every target, journal integrity, tree snapshots, and the CLI run as a subprocess
(to be killed) or in-process (where only the answer matters and start-up is waste)."""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mcpstate.state.journal import decode_line, open_transactions, read_journal
from mcpstate.targets.jsonfile import entry_sha256
from mcpstate.state.layout import StateDir

# MCPSTATE_STRESS_SCALE=10 runs ten times the iterations and examples (a deep run by hand).
SCALE = float(os.environ.get("MCPSTATE_STRESS_SCALE") or 1)
STATE_DIR = ".mcpstate"
LOG = f"{STATE_DIR}/mcpstate.log"  # exists only after an exit 3 (a bug)
# Two target files with the same key: a swap writes both, so a kill can land between them.
TARGETS: Mapping[str, str] = {".mcp.json": "claude-code", ".cursor/mcp.json": "cursor"}
KEY = "mcpServers"
# Steps at or after which an open transaction may have written the targets (DESIGN §7).
SWAP_PHASE = frozenset({"swapping", "swapped", "checked", "rolling_back"})


@dataclass(frozen=True)
class Ran:
    code: int
    out: str
    err: str

    def __str__(self) -> str:
        return f"exit {self.code}\n--- stdout\n{self.out[-3000:]}\n--- stderr\n{self.err[-3000:]}"


def scaled(n: int) -> int:
    return max(1, round(n * SCALE))


def cli(project: Path, *args: str) -> Ran:
    """`mcpstate -C project ARGS` in this process: the code `python -m mcpstate` runs,
    without ~0.15 s of interpreter start-up per call. The env is os.environ, which the
    isolation fixture has set (registries included)."""
    from mcpstate.cli import main

    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(["-C", str(project), "--no-color", *args])
    return Ran(code, out.getvalue(), err.getvalue())


def command(project: Path, *args: str) -> list[str]:
    return [sys.executable, "-m", "mcpstate", "-C", str(project), "--no-color", *args]


def run(project: Path, env: Mapping[str, str], *args: str, timeout: float = 120) -> Ran:
    proc = subprocess.run(command(project, *args), env=dict(env), cwd=project, capture_output=True,
                          text=True, stdin=subprocess.DEVNULL, timeout=timeout)
    return Ran(proc.returncode, proc.stdout, proc.stderr)


def spawn(project: Path, env: Mapping[str, str], *args: str, log: Path) -> subprocess.Popen[bytes]:
    """Start the CLI in a session of its own, output to `log` (a file never blocks, and
    an orphaned grandchild holding a pipe could not keep us waiting)."""
    with open(log, "wb") as sink:
        return subprocess.Popen(command(project, *args), env=dict(env), cwd=project, stdout=sink,
                                stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                start_new_session=True)


def reap_session(proc: subprocess.Popen[bytes]) -> None:
    """Kill what a killed run left behind in its session (an npm install, say)."""
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def wait_until(condition: Callable[[], bool], timeout: float = 30, what: str = "condition") -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"{what} never became true within {timeout} s"
        time.sleep(0.01)


def lockfile_text(servers: Mapping[str, Mapping[str, Any]], targets: Mapping[str, str] = TARGETS,
                  extra_test: str = "") -> str:
    """A lockfile over `targets`; each server: package, version, args, env (flow style,
    which json.dumps writes as valid YAML)."""
    lines = ["version: 1", "targets:"]
    lines += [f"  - {{client: {client}, path: {path}}}" for path, client in targets.items()]
    lines += ["defaults:",
              f"  test: {{timeout_s: 10, max_startup_ms: 8000, on_breaking: warn{extra_test}}}",
              "servers:" + ("" if servers else " {}")]
    for name, s in servers.items():
        lines += [f"  {name}:", "    source: npm", f"    package: {json.dumps(s['package'])}",
                  f"    version: {s['version']}", f"    args: {json.dumps(list(s.get('args', ())))}",
                  f"    env: {json.dumps(dict(s.get('env', {})))}"]
    return "\n".join(lines) + "\n"


def read_doc(path: Path) -> dict[str, Any]:
    """A target file as a reader sees it; it must parse whenever it exists."""
    doc = json.loads(path.read_text(encoding="utf-8"))
    assert isinstance(doc, dict), f"{path}: not a JSON object"
    return doc


def servers_key(client: str) -> str:
    return "servers" if client == "vscode" else KEY


def assert_invariant_all(project: Path, unmanaged: Iterable[str] = (),
                         targets: Mapping[str, str] = TARGETS) -> None:
    """DESIGN §7 over every target file, not only .mcp.json:
    - every target file parses;
    - at most one open transaction is in its swap phase (several may be open in their
      stage/test phase: those run in parallel and have touched no target);
    - each managed entry equals its committed revision's, or belongs to that one
      swapping transaction;
    - an entry neither managed nor unmanaged can only be the swapping one's (a create)."""
    state_dir = project / STATE_DIR
    state = json.loads((state_dir / "state.json").read_text()) if (state_dir / "state.json").exists() \
        else {"servers": {}}
    open_tx = open_transactions(read_journal(StateDir(state_dir)).records)
    swapping = {name for name, tx in open_tx.items() if tx.last_event in SWAP_PHASE}
    assert len(swapping) <= 1, f"more than one transaction in its swap phase: {open_tx}"
    for path, client in targets.items():
        entries = read_doc(project / path).get(servers_key(client), {}) if (project / path).exists() else {}
        for name in entries:
            assert name in state["servers"] or name in unmanaged or name in swapping, \
                f"{path}: entry {name!r} is neither committed, unmanaged nor being swapped in"
    for name, server in state["servers"].items():
        for path, sha in server["entries"].items():
            file = project / path
            found = read_doc(file).get(servers_key(targets[path]), {}).get(name) if file.exists() else None
            if found is None or entry_sha256(found) != sha:
                assert name in swapping, (f"{name}: entry in {path} is neither the committed one "
                                          f"nor being swapped in (open: {open_tx})")


def journal_records(state_dir: Path) -> list[dict[str, Any]]:
    """Every line of the journal, each checked: whole (ends with a newline), its CRC
    right, and seq counting up by exactly one from 1 (nothing lost, nothing doubled)."""
    raw = StateDir(state_dir).journal.read_bytes()
    assert raw.endswith(b"\n"), f"torn last journal line: {raw[-200:]!r}"
    records = []
    for number, line in enumerate(raw.decode("utf-8").split("\n")[:-1], start=1):
        record = decode_line(line)
        assert record is not None, f"journal line {number} fails its CRC or JSON: {line[:300]}"
        records.append(record)
    seqs = [r["seq"] for r in records]
    assert seqs == list(range(1, len(seqs) + 1)), f"journal seq not contiguous: {seqs}"
    return records


def tree_snapshot(root: Path, ignore: frozenset[str] = frozenset({LOG})) -> dict[str, str]:
    """Every file (sha256 of its bytes) and symlink under `root`, by relative path.
    Empty folders do not count: apply's recovery drops an empty `staging/` first thing."""
    snap: dict[str, str] = {}
    for dirpath, dirnames, filenames in os.walk(root):
        for name in dirnames + filenames:
            path = Path(dirpath) / name
            rel = str(path.relative_to(root))
            if rel in ignore or (path.is_dir() and not path.is_symlink()):
                continue
            if path.is_symlink():
                snap[rel] = "link:" + os.readlink(path)
            else:
                snap[rel] = hashlib.sha256(path.read_bytes()).hexdigest()
    return snap


def diff_snapshots(before: Mapping[str, str], after: Mapping[str, str]) -> list[str]:
    changed = [f"~ {p}" for p in before if p in after and before[p] != after[p]]
    return changed + [f"- {p}" for p in before if p not in after] + \
        [f"+ {p}" for p in after if p not in before]
