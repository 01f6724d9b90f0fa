"""A real third-party MCP client cross-checks what mcpstate writes: the MCP Inspector's CLI
launches each entry of the applied project's Claude Code and VS Code files, as that
client would launch it, and lists its tools."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from testing.pytest_plugin import Project
from tests.examples.clients import inspector_config
from tests.examples.fixtureproject import SERVERS, expected_tools
from tests.examples.tools import inspector

pytestmark = pytest.mark.slow

CLIENT_FILES = {"claude-code": ".mcp.json", "vscode": ".vscode/mcp.json"}


@pytest.fixture(scope="session")
def inspector_bin() -> Path:
    return inspector()


def list_tools(launcher: Path, config: Path, server: str, project: Project) -> list[str]:
    # The clients start a project's servers in the project folder.
    proc = subprocess.run([str(launcher), "--cli", "--config", str(config), "--server", server,
                           "--method", "tools/list"], check=False, cwd=project.path,
                          env=project.env, capture_output=True, text=True, stdin=subprocess.DEVNULL, timeout=60)
    assert proc.returncode == 0, f"the Inspector failed on {server}:\n{proc.stdout}\n{proc.stderr}"
    return [tool["name"] for tool in json.loads(proc.stdout)["tools"]]


@pytest.mark.parametrize("client", sorted(CLIENT_FILES))
def test_the_inspector_lists_the_tools_of_every_written_entry(
        client: str, applied: Project, inspector_bin: Path, tmp_path: Path) -> None:
    text = applied.read(CLIENT_FILES[client])
    config = inspector_config(client, text, applied.env, str(applied.path))
    assert set(config["mcpServers"]) == set(SERVERS)
    path = tmp_path / "inspector.json"
    path.write_text(json.dumps(config), encoding="utf-8")
    for server in SERVERS:
        assert list_tools(inspector_bin, path, server, applied) == expected_tools(server), server
