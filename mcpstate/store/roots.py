"""The store's roots (DESIGN §3, §10), as Nix's gcroots: `MCPSTATE_HOME/roots/` holds one
symlink per project state dir that uses the shared store. Store gc reads each linked
state dir's state and journal to learn what is live; a link whose state dir is gone is
dropped. A link is only ever read through, never a path to delete beyond itself."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import NamedTuple

from mcpstate.errors import StoreError
from mcpstate.home import DataDir
from mcpstate.state.layout import MARKER as STATE_DIR_MARKER


class Root(NamedTuple):
    link: Path
    state_dir: Path | None  # None: dangling, or no longer a state dir of mcpstate


def add_root(home: DataDir, state_dir: Path) -> Path:
    """The link to `state_dir` in roots/, made once (atomically: a link, then a rename)."""
    link = home.root_link(state_dir)
    real = os.path.realpath(state_dir)
    if os.path.islink(link) and os.readlink(link) == real:
        return link
    home.create()
    link.parent.mkdir(mode=0o700, exist_ok=True)
    temp = link.with_name(f".{link.name}.{uuid.uuid4().hex[:8]}")
    try:
        os.symlink(real, temp)
        os.replace(temp, link)
    except OSError as e:
        raise StoreError(f"cannot record {state_dir} as a root of the shared store ({link}): "
                         f"{e.strerror}") from None
    finally:
        if os.path.lexists(temp):
            os.unlink(temp)
    return link


def list_roots(home: DataDir) -> Iterator[Root]:
    """Each link in roots/ with the state dir it names, when that still is one."""
    try:
        entries = sorted(os.scandir(home.roots), key=lambda e: e.name)
    except FileNotFoundError:
        return
    for entry in entries:
        if entry.name.startswith("."):
            continue  # a link being made
        path = Path(entry.path)
        if not entry.is_symlink():
            raise StoreError(f"{path} is not a link: roots/ holds only links mcpstate made; move it away")
        target = Path(os.readlink(path))
        is_state_dir = target.is_absolute() and (target / STATE_DIR_MARKER).is_file()
        yield Root(path, target if is_state_dir else None)
