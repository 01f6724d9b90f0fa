"""Client config files are JSON documents with a mapping of server entries under one
key. Read them, replace one entry keeping every other key and the order, write
atomically. One module per client supplies only what differs."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any, NamedTuple

from mcpstate.errors import TargetError
from mcpstate.fsutil import atomic_write, fsync_dir, read_optional, sha256_bytes, write_error


class TargetDoc(NamedTuple):
    path: Path
    key: str                      # "mcpServers" or "servers"
    raw: bytes | None             # None when the file does not exist
    doc: dict[str, Any]
    indent: int | str | None = 2
    parse: Any = None             # the client's reader (JSONC for VS Code); None: json.loads

    @property
    def entries(self) -> dict[str, Any]:
        return self.doc.get(self.key, {})  # type: ignore[no-any-return]


def entry_sha256(entry: Any) -> str:
    """A stable hash of one entry, whatever the file's layout."""
    canonical = json.dumps(entry, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return sha256_bytes(canonical.encode())


def read_doc(path: Path, key: str, parse: Any = None) -> TargetDoc:
    """Read a target file; a missing one is an empty document."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return TargetDoc(path, key, None, {})
    except OSError as e:
        raise TargetError(f"{path}: cannot read: {e.strerror}") from None
    doc = _parse(raw, path, parse or json.loads)
    if not isinstance(doc, dict):
        raise TargetError(f"{path}: expected a JSON object at the top")
    servers = doc.get(key, {})
    if not isinstance(servers, dict):
        raise TargetError(f"{path}: {key}: expected an object mapping server names to entries")
    for name, entry in servers.items():
        if not isinstance(entry, dict):
            raise TargetError(f"{path}: {key}.{name}: expected an object, got {type(entry).__name__}")
    return TargetDoc(path, key, raw, doc, _indent_of(raw), parse)


_LONE_SURROGATE = re.compile(r"\\u[dD][89abAB][0-9a-fA-F]{2}(?!\\u[dD][c-fC-F][0-9a-fA-F]{2})"
                             r"|(?<!\\u[dD][89abAB][0-9a-fA-F]{2})\\u[dD][c-fC-F][0-9a-fA-F]{2}")


def _parse(raw: bytes, path: Path, parse: Any) -> Any:
    doc = _decode(raw, path, parse)
    text = raw.decode("utf-8")
    # the search costs a millisecond over 200 entries; no `\ud`, no match
    match = _LONE_SURROGATE.search(text) if "\\ud" in text or "\\uD" in text else None
    if match:  # json accepts "\ud800", but it is no character: no hash, no write could hold it
        line, col = text.count("\n", 0, match.start()) + 1, match.start() - text.rfind("\n", 0, match.start())
        raise TargetError(f"{path}:{line}:{col}: {match.group()} is half of a surrogate pair, not a character; "
                          "fix or remove it")
    return doc


def _decode(raw: bytes, path: Path, parse: Any) -> Any:
    try:
        return parse(raw.decode("utf-8"))
    except UnicodeDecodeError as e:
        raise TargetError(f"{path}: not UTF-8 text (byte {e.start})") from None
    except json.JSONDecodeError as e:
        raise TargetError(f"{path}:{e.lineno}:{e.colno}: invalid JSON: {e.msg}") from None
    except RecursionError:
        raise TargetError(f"{path}: nested too deeply to read") from None


def _indent_of(raw: bytes) -> int | str | None:
    for line in raw.decode("utf-8", errors="replace").splitlines()[1:]:
        stripped = line.lstrip(" \t")
        if stripped and len(stripped) < len(line):
            lead = line[: len(line) - len(stripped)]
            return "\t" if lead.startswith("\t") else len(lead)
    return 2 if b"\n" in raw or not raw else None


def with_entry(target: TargetDoc, name: str, entry: dict[str, Any] | None) -> bytes:
    """The file's bytes with `name` set to `entry` (removed when None), nothing else moved:
    spliced into the text as written when possible, else the document written anew."""
    if target.raw is not None:
        from mcpstate.targets.splice import splice_entry

        text = splice_entry(target.raw.decode("utf-8"), target.key, name, entry, target.indent,
                            target.parse or json.loads)
        if text is not None:
            return text.encode()
    doc = dict(target.doc)
    servers = dict(doc.get(target.key, {}))
    if entry is None:
        servers.pop(name, None)
    else:
        servers[name] = entry
    doc[target.key] = servers
    text = json.dumps(doc, indent=target.indent, ensure_ascii=False)
    return (text + "\n").encode()


class TargetChanged(TargetError):
    """The file's bytes are no longer those that were read: another program wrote it."""


_UNCHECKED = object()


def write_bytes(path: Path, data: bytes, mode: int | None = None, read: object = _UNCHECKED) -> None:
    """Replace the file atomically. A symlinked target is written through to the file
    it points to (the temp file and the rename happen there), so it stays a link.

    With `read` (the bytes the new content was made from; None: no file), the file is
    compared just before the rename and left alone, raising TargetChanged, when it
    differs: a client that rewrites its own file while running (`~/.claude.json`) does
    not lose what it wrote in between."""
    real = Path(os.path.realpath(path))
    try:
        real.parent.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise write_error(real.parent, e) from None
    check = None if read is _UNCHECKED else (lambda: _unchanged(real, read))
    atomic_write(real, data, mode=mode, before_rename=check)


def _unchanged(real: Path, read: object) -> None:
    if read_optional(real, TargetError) != read:
        raise TargetChanged(f"{real}: changed by another program since mcpstate read it")


def remove_file(path: Path) -> None:
    """Remove the file (through a symlink: the file it points to; the link stays)."""
    real = Path(os.path.realpath(path))
    real.unlink()
    fsync_dir(real.parent)
