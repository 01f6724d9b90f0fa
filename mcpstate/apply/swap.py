"""Swapping one server's entries into the target files, and undoing it.

Before a target file is rewritten, its bytes are kept in `<state>/txn/<tx>/` with a
manifest, so a rollback (now) or a recovery (after a crash) puts back exactly what
was there. A file nobody touched since is restored byte for byte; one edited in
between gets only this server's entry restored."""

from __future__ import annotations

import json
import shutil
from collections.abc import Mapping
from pathlib import Path
from typing import Any, NamedTuple

from mcpstate.errors import StateError, TargetError
from mcpstate.fsutil import atomic_write, ensure_private_dir, read_optional, sha256_bytes
from mcpstate.model import Target
from mcpstate.state.layout import StateDir
from mcpstate.targets import entry_written, file_mode, read_target, resolve_path
from mcpstate.targets.jsonfile import TargetChanged, entry_sha256, remove_file, write_bytes
from mcpstate.targets.lock import target_locks

MANIFEST = "manifest.json"


def swap_entries(project_dir: Path, state_dir: StateDir, tx: str, server: str,
                 desired: Mapping[Target, dict[str, Any] | None]) -> dict[str, str]:
    """Write `desired` (None removes the entry) into each target; return the sha256
    of each entry written, by target path. Each file is re-read, changed and written
    under its target lock."""
    folder = ensure_private_dir(state_dir.txn_dir(tx))
    with target_locks(resolve_path(project_dir, t) for t in desired):
        return _swap_locked(project_dir, folder, server, desired)


ATTEMPTS = 5  # a client rewriting its file (~/.claude.json) now and then: re-read, retry


class _Edit(NamedTuple):
    target: Target
    entry: dict[str, Any] | None
    raw: bytes | None   # the file as read (None: none)
    new: bytes


def _swap_locked(project_dir: Path, folder: Path, server: str,
                 desired: Mapping[Target, dict[str, Any] | None]) -> dict[str, str]:
    edits = [_edit(project_dir, target, server, entry) for target, entry in desired.items()]
    _save_manifest(folder, edits)
    written = {}
    for i, edit in enumerate(edits):
        _write(project_dir, folder, server, edits, i)
        if edit.entry is not None:
            written[edit.target.path] = entry_sha256(edit.entry)
    return written


def _edit(project_dir: Path, target: Target, server: str, entry: dict[str, Any] | None) -> _Edit:
    doc = read_target(project_dir, target)
    return _Edit(target, entry, doc.raw, entry_written(target.client, doc, server, entry))


def _save_manifest(folder: Path, edits: list[_Edit]) -> None:
    """What a rollback or a recovery needs, saved before any target is replaced."""
    manifest = {e.target.path: {"client": e.target.client, "file": f"{i}.pre" if e.raw is not None else None,
                                "new_sha256": sha256_bytes(e.new)} for i, e in enumerate(edits)}
    for i, edit in enumerate(edits):
        if edit.raw is not None:
            atomic_write(folder / f"{i}.pre", edit.raw, mode=0o600)
    atomic_write(folder / MANIFEST, json.dumps(manifest).encode(), mode=0o600)


def _write(project_dir: Path, folder: Path, server: str, edits: list[_Edit], i: int) -> None:
    """Replace target `i` only if its bytes are still those read (DESIGN §14); when another
    program wrote it in between, read it again and redo this server's edit."""
    for _ in range(ATTEMPTS):
        edit = edits[i]
        try:
            write_bytes(resolve_path(project_dir, edit.target), edit.new,
                        mode=file_mode(edit.target.client), read=edit.raw)
            return
        except TargetChanged:
            edits[i] = _edit(project_dir, edit.target, server, edit.entry)
            _save_manifest(folder, edits)
    file = resolve_path(project_dir, edits[i].target)
    raise TargetError(f"{file}: another program rewrote it each time mcpstate was about to replace it "
                      f"({ATTEMPTS} tries), so [{server}] was not written to it. Its client "
                      f"({edits[i].target.client}) may be running and saving it: close it, then apply again")


def restore_entries(project_dir: Path, state_dir: StateDir, tx: str, server: str) -> list[str]:
    """Undo a swap of `tx` under the targets' locks; returns the target paths put back.
    No manifest, no swap."""
    folder = state_dir.txn_dir(tx)
    raw = read_optional(folder / MANIFEST, StateError)
    if raw is None:
        return []
    manifest = json.loads(raw)
    restored = []
    with target_locks(resolve_path(project_dir, Target(i["client"], p)) for p, i in manifest.items()):
        for path, info in manifest.items():
            target = Target(info["client"], path)
            pre = state_dir.confine(folder / info["file"], within=folder).read_bytes() if info["file"] else None
            if _restore_one(project_dir, target, server, pre, info["new_sha256"]):
                restored.append(path)
    return restored


def _restore_one(project_dir: Path, target: Target, server: str, pre: bytes | None,
                 new_sha: str) -> bool:
    file = resolve_path(project_dir, target)
    current = file.read_bytes() if file.exists() else None
    if current == pre:
        return False
    if current is not None and sha256_bytes(current) == new_sha:
        if pre is None:
            remove_file(file)
        else:
            write_bytes(file, pre, mode=file_mode(target.client))
        return True
    # edited since the swap: put back only this server's entry, keep the rest
    old_entry = _entry_in(pre, target, server, project_dir) if pre is not None else None
    doc = read_target(project_dir, target)
    if doc.entries.get(server) == old_entry:  # never written (another program won each time)
        return False
    write_bytes(file, entry_written(target.client, doc, server, old_entry), mode=file_mode(target.client))
    return True


def _entry_in(raw: bytes, target: Target, server: str, project_dir: Path) -> dict[str, Any] | None:
    from mcpstate.targets import client_module

    module = client_module(target.client)
    parse = getattr(module, "parse", json.loads)
    doc = parse(raw.decode("utf-8"))
    entry = doc.get(module.KEY, {}).get(server)
    return entry if isinstance(entry, dict) else None


def discard(state_dir: StateDir, tx: str) -> None:
    shutil.rmtree(state_dir.txn_dir(tx), ignore_errors=True)


def read_entry(project_dir: Path, target: Target, server: str) -> dict[str, Any] | None:
    return read_target(project_dir, target).entries.get(server)


def backup_targets(project_dir: Path, state_dir: StateDir, targets: list[Target], serial: int) -> None:
    """Keep each target file as it was before this apply changed it."""
    folder = ensure_private_dir(state_dir.backups)
    for target in targets:
        file = resolve_path(project_dir, target)
        if file.exists():
            name = target.path.replace("/", "+").lstrip("+")
            atomic_write(folder / f"{name}.{serial}.json", file.read_bytes(), mode=0o600)
