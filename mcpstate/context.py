"""What every command is given: where the project, lockfile and state dir are, and
where its output goes. Resolved once in cli.py."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

from mcpstate.render.console import Output
from mcpstate.state.layout import StateDir

if TYPE_CHECKING:
    from mcpstate.plan.prepare import Project

LOCKFILE_NAME = "mcpstate.lock.yaml"
STATE_DIR_NAME = ".mcpstate"


class Context(NamedTuple):
    project_dir: Path
    lockfile_path: Path
    state_dir_override: Path | None
    out: Output
    quiet: bool = False
    verbose: bool = False

    @property
    def color(self) -> bool:
        return self.out.color

    def path(self, given: str) -> Path:
        """A path from the command line, relative to the project dir (as `git -C`)."""
        return self.project_dir / Path(given).expanduser()

    def state_dir(self, from_lockfile: str | None = None) -> StateDir:
        """--state-dir, then MCPSTATE_STATE_DIR, then the lockfile's `state_dir:`, then .mcpstate."""
        if self.state_dir_override is not None:
            return StateDir(self.state_dir_override)
        env = os.environ.get("MCPSTATE_STATE_DIR")
        if env:
            return StateDir((self.project_dir / env).resolve())
        if from_lockfile:
            return StateDir((self.project_dir / from_lockfile).resolve())
        return StateDir(self.project_dir / STATE_DIR_NAME)

    def state_dir_even_without_lockfile(self) -> StateDir:
        """The state dir for the commands that must work where there is no lockfile yet
        (history, force-unlock, init, import, add): --state-dir or MCPSTATE_STATE_DIR when
        given, else the default when there is no lockfile, else the lockfile's `state_dir:`.
        A lockfile that is there but broken raises: which state dir it names is unknown, and
        guessing the default would show (or change) another folder's state."""
        from mcpstate.lockfile.load import load_lockfile

        if self.state_dir_override is not None or os.environ.get("MCPSTATE_STATE_DIR"):
            return self.state_dir()
        if not self.lockfile_path.exists():
            return self.state_dir()
        return self.state_dir(load_lockfile(self.lockfile_path, closures=False).state_dir)

    @property
    def project(self) -> Project:
        """Where the core works: the project, its lockfile, how to find its state dir."""
        from mcpstate.plan.prepare import Project

        return Project(self.project_dir, self.lockfile_path, self.state_dir)


def make_context(directory: str | None, lockfile: str | None, state_dir: str | None,
                 out: Output, quiet: bool = False, verbose: bool = False) -> Context:
    project = Path(directory or ".").resolve()
    lock = Path(lockfile) if lockfile else Path(LOCKFILE_NAME)
    lock = lock if lock.is_absolute() else project / lock
    override = None
    if state_dir:
        override = Path(state_dir) if Path(state_dir).is_absolute() else project / state_dir
    return Context(project, lock, override, out, quiet, verbose)
