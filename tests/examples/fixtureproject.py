"""The applied fixture project of the example tests: an npm and a PyPI fixture server
with different tools, written to Claude Code's and VS Code's project files."""

from __future__ import annotations

from testing.catalogue import NPM_SERVER, NPM_VERSIONS, PYPI_SERVER, PYPI_VERSIONS
from testing.servers.fixture_server import Behaviour, tools_for

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
