"""The lockfile's checked document, kept in the state dir so that `plan` on an unchanged
lockfile skips importing PyYAML, parsing, the schema and the rules: a third of its time
(DESIGN §15), spent on every run to reach the same verdict again.

Only what is a pure function of the lockfile's bytes and of the code that checked them
is kept: the document the YAML loader built, found free of duplicate keys, schema errors
and rule violations. The checks that read other files (the lock folder, the owner of
`state_dir:`) run on every load. An entry counts only for the same bytes (sha256), the
same Python, and the same files (path, size, mtime) of every module of mcpstate and
PyYAML loaded when the verdict was reached, and the schema, where the running mcpstate
and the PyYAML it would import are among them: editing a rule, upgrading, reinstalling
or running another copy makes the next load check everything again.

plan only reads it, and so still changes nothing. apply keeps it (`keep`), once it has
changed something, in the state dir it holds the lock of; never for a lockfile that
names its own `state_dir:` (plan looks for it before it knows that folder). It is a
cache: a missing, unreadable or stale entry means the full check, and an entry that
cannot be written means the next plan checks everything, as before."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

from mcpstate.state.layout import StateDir

FORMAT = 1
MAX_BYTES = 4 << 20  # aliases can expand a small lockfile past any sane cache entry
_CODE = ("mcpstate", "yaml", "_yaml")  # the packages whose modules reach the verdict


def recall(state_dir: StateDir, sha256: str) -> dict[str, Any] | None:
    """The checked document of the lockfile whose bytes have `sha256`, if it was kept
    by this very code; None otherwise."""
    try:
        with open(state_dir.lockfile_check, "rb") as f:
            raw = f.read(MAX_BYTES + 1)
        entry = json.loads(raw)
    except (OSError, ValueError):
        return None
    if not (isinstance(entry, dict) and entry.get("format") == FORMAT and entry.get("sha256") == sha256
            and entry.get("python") == sys.version and _unchanged(entry.get("code"))):
        return None
    document = entry.get("document")
    return document if isinstance(document, dict) else None


def keep(lockfile_path: Path, state_dir: StateDir, sha256: str) -> None:
    """After apply: keep the checked document of the lockfile it applied (bytes `sha256`),
    unless the file has changed since, or it is kept already."""
    from mcpstate.errors import LockfileError
    from mcpstate.fsutil import sha256_bytes
    from mcpstate.lockfile.load import parse_lockfile_text

    try:
        raw = Path(lockfile_path).read_bytes()
    except OSError:
        return
    if sha256_bytes(raw) != sha256 or recall(state_dir, sha256) is not None:
        return
    try:
        document = parse_lockfile_text(raw, lockfile_path, closures=False)  # the lock folder: checked on load
    except LockfileError:
        return
    remember(state_dir, sha256, document)


def remember(state_dir: StateDir, sha256: str, document: dict[str, Any]) -> None:
    """Keep `document`, which passed every check that reads nothing but the lockfile."""
    if document.get("state_dir") or not state_dir.marker.is_file():
        return
    code = _code_files()
    try:
        body = json.dumps({"format": FORMAT, "sha256": sha256, "python": sys.version, "code": code,
                           "document": document}, ensure_ascii=True, allow_nan=False,
                          separators=(",", ":")).encode()
    except (TypeError, ValueError, RecursionError):  # a recursive alias, say: check it each time
        return
    if code is None or len(body) > MAX_BYTES:
        return
    from mcpstate.errors import WriteError
    from mcpstate.fsutil import atomic_write

    try:
        atomic_write(state_dir.lockfile_check, body, mode=0o600)
    except WriteError:
        pass  # a read-only state dir, a full disk: the next run checks everything, as without a cache


def _code_files() -> list[list[Any]] | None:
    """[path, size, mtime_ns] of each file of the code loaded now, the schema included."""
    files = {str(Path(__file__).parents[1] / "schemas" / "lockfile.schema.json")}
    for name, module in list(sys.modules.items()):
        file = getattr(module, "__file__", None)
        if file and name.partition(".")[0] in _CODE:
            files.add(file)
    found = []
    for path in sorted(files):
        try:
            st = os.stat(path)
        except OSError:
            return None
        found.append([path, st.st_size, st.st_mtime_ns])
    return found


def _unchanged(code: object) -> bool:
    """Whether `code` names this very copy of mcpstate and the PyYAML it would import,
    and each of its files is as it was."""
    if not isinstance(code, list) or not code:
        return False
    try:
        files = {path: (size, mtime_ns) for path, size, mtime_ns in code}
    except (TypeError, ValueError):
        return False
    from importlib.util import find_spec

    yaml = find_spec("yaml")
    if __file__ not in files or yaml is None or yaml.origin not in files:
        return False  # another copy of mcpstate or PyYAML checked it
    for path, seen in files.items():
        try:
            st = os.stat(path)
        except (TypeError, ValueError, OSError):
            return False
        if (st.st_size, st.st_mtime_ns) != seen:
            return False
    return True
