"""One applied fixture project for the example tests that read what mcpstate wrote or
measured (the metrics, the client entries), made once per session: an npm and a PyPI
fixture server with different tools, written to Claude Code's and VS Code's project files."""

from __future__ import annotations

from pathlib import Path

import pytest

from testing.catalogue import NPM_SERVER, NPM_VERSIONS, PYPI_SERVER, PYPI_VERSIONS
from testing.pytest_plugin import Project
from testing.servers.fixture_server import Behaviour, tools_for
from testing.tools import isolated_env, seed_tools
from testing.world import World

# server -> (source, package, behaviour): each behaviour lists other tools, so a client
# that launched the wrong entry would list the wrong ones
SERVERS = {"notes": ("npm", NPM_SERVER, "healthy"), "clock": ("pypi", PYPI_SERVER, "add_tool")}
VERSIONS = {"npm": NPM_VERSIONS, "pypi": PYPI_VERSIONS}


def expected_tools(server: str) -> list[str]:
    return [tool["name"] for tool in tools_for(Behaviour(SERVERS[server][2]))]


def lockfile() -> str:
    text = ("version: 1\ntargets:\n  - {client: claude-code}\n  - {client: vscode}\n"
            "defaults:\n  test: {timeout_s: 10}\nservers:\n")
    for name, (source, package, behaviour) in SERVERS.items():
        text += (f"  {name}:\n    source: {source}\n    package: \"{package}\"\n"
                 f"    version: {VERSIONS[source][behaviour]}\n")
    return text


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
    project.run("apply", "--auto-approve", check=True)
    return project
