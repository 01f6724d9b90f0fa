"""One applied fixture project (tests/examples/fixtureproject.py) for the example tests
that read what mcpstate wrote or measured (the metrics, the client entries), made once
per session."""

from __future__ import annotations

from pathlib import Path

import pytest

from testing.pytest_plugin import Project
from testing.tools import isolated_env, seed_tools
from testing.world import World
from tests.examples.fixtureproject import lockfile


@pytest.fixture(scope="session")
def applied(world: World, tmp_path_factory: pytest.TempPathFactory) -> Project:
    """The project after `mcpstate apply`, its data dir at the default place in its home
    folder (where project files may name it through the client's home variable)."""
    root = tmp_path_factory.mktemp("applied")
    env = {**isolated_env(root / "isolated"), **world.env}
    env["MCPSTATE_HOME"] = str(Path(env["HOME"]) / ".local" / "share" / "mcpstate")
    seed_tools(Path(env["MCPSTATE_HOME"]))
    project = Project(root / "project", env)
    project.path.mkdir()
    project.write_lockfile(lockfile())
    project.run("lock", check=True)  # as a team commits it: closures and reviewed tool surfaces
    project.run("apply", "--auto-approve", check=True)
    return project
