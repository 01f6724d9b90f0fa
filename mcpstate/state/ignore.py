"""The state dir stays out of version control (DESIGN §3): `init` and `import` add it to
the project's `.gitignore`, once, keeping every other line as it was."""

from __future__ import annotations

import os
from pathlib import Path

from mcpstate.fsutil import is_below
from mcpstate.state.layout import StateDir

GITIGNORE = ".gitignore"


def ignore_state_dir(project_dir: Path, state_dir: StateDir) -> str | None:
    """Add `/<state dir>/` to the project's .gitignore; the message to show when it did.
    A state dir outside the project is not the project's to ignore: nothing is done."""
    project = os.path.realpath(project_dir)
    folder = os.path.realpath(state_dir.root)
    if folder == project or not is_below(folder, project):
        return None
    pattern = "/" + Path(os.path.relpath(folder, project)).as_posix() + "/"
    path = Path(project_dir) / GITIGNORE
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        text = ""
    if _ignored(text, pattern):
        return None
    from mcpstate.fsutil import atomic_write

    separator = "" if not text or text.endswith("\n") else "\n"
    atomic_write(path, (text + separator + "# mcpstate's state dir: this machine's, never committed\n"
                        + pattern + "\n").encode("utf-8"), mode=None if text else 0o644)
    return f"Added {pattern} to {GITIGNORE} (the state dir is this machine's; commit the lockfile, " \
           "mcpstate.lock.d/ and the project's client files)"


def _ignored(text: str, pattern: str) -> bool:
    bare = pattern.strip("/")
    return any(line.strip() in (pattern, bare, bare + "/", "/" + bare) for line in text.splitlines())
