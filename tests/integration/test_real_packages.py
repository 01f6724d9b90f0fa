"""Real MCP servers from the real registries (issues #14 and #15): the published
`@modelcontextprotocol/server-memory`, `@modelcontextprotocol/server-everything` (npm)
and `mcp-server-time` (PyPI), through import, lock, apply, update, apply and rollback
with real pnpm and uv installs and real MCP handshakes; the committed example
`examples/real-servers/` installs exactly its lock folder's pins; and the tools
mcpstate reads from real server-everything equal what the official `mcp` SDK reads.

Versions are exact, so the story is the same tomorrow: each server moves from an older
published release to a newer one (`update` is held at the newer one by a constraint).
mcp-server-time 2026.7.10 is no candidate: it asks for `mcp>=1.23` and breaks under mcp
2, which a fresh resolution picks. The whole module shares one MCPSTATE_HOME, so the
installers' caches are warm after the first install. Without the registries it skips,
with one reason."""

from __future__ import annotations

import json
import shutil
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import anyio
import pytest
from mcp.client.stdio import StdioServerParameters

from testing.clients import as_client
from testing.public import NPM_REGISTRY, PYPI_INDEX, unreachable
from testing.pytest_plugin import REPO, Project
from tests.probe.test_sdk import sdk_tools, theirs

pytestmark = pytest.mark.slow

EXAMPLE = REPO / "examples" / "real-servers"
# server: (source, package, older release, newer release)
SERVERS = {
    "memory": ("npm", "@modelcontextprotocol/server-memory", "2026.7.4", "2026.8.31"),
    "everything": ("npm", "@modelcontextprotocol/server-everything", "2026.7.4", "2026.8.31"),
    "time": ("pypi", "mcp-server-time", "2026.8.18", "2026.10.19"),
}


@pytest.fixture(scope="module", autouse=True)
def _registries() -> None:
    why = unreachable()
    if why:
        pytest.skip(why)


@pytest.fixture(scope="module")
def real_env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """One isolated environment for the module, its registries the public ones."""
    from testing.tools import isolated_env, seed_tools

    env = isolated_env(tmp_path_factory.mktemp("real"))
    env.update({"MCPSTATE_NPM_REGISTRY": NPM_REGISTRY, "MCPSTATE_PYPI_INDEX": PYPI_INDEX})
    seed_tools(Path(env["MCPSTATE_HOME"]), env)
    return env


@pytest.fixture(scope="module")
def example(real_env: dict[str, str], tmp_path_factory: pytest.TempPathFactory) -> Project:
    """A checkout of examples/real-servers, applied from its committed lock folder."""
    path = tmp_path_factory.mktemp("example") / "real-servers"
    shutil.copytree(EXAMPLE, path)
    project = Project(path, real_env)
    project.run("validate", check=True)
    project.run("apply", "--auto-approve", check=True, timeout=300)
    return project


# -- the story: import, lock, apply, update, apply, rollback -----------------------------

def test_import_lock_apply_update_and_rollback(real_env: dict[str, str], tmp_path: Path) -> None:
    project = Project(tmp_path / "project", real_env)
    project.write(".mcp.json", json.dumps({"mcpServers": {
        name: _launcher(source, package, old) for name, (source, package, old, _) in SERVERS.items()}}))
    project.run("import", check=True)
    _hold_updates_at_the_newer_release(project)
    project.run("lock", check=True, timeout=300)
    _assert_locked(project, _versions(old=True))

    project.run("apply", "--auto-approve", check=True, timeout=300)
    _assert_live(project, _versions(old=True), revision=1)
    first = json.loads(project.read(".mcp.json"))["mcpServers"]

    project.run("update", check=True, timeout=300)
    _assert_locked(project, _versions(old=False))
    project.run("apply", "--auto-approve", check=True, timeout=300)
    _assert_live(project, _versions(old=False), revision=2)

    for name in SERVERS:
        project.run("rollback", name, check=True, timeout=300)
    _assert_live(project, _versions(old=True), revision=3)
    assert json.loads(project.read(".mcp.json"))["mcpServers"] == first  # the old entries, as they were
    history = json.loads(project.run("history", "--format", "json", check=True).stdout)["revisions"]
    last = {row["server"]: row for row in history}
    assert {name: (row["revision"], row["version"], row["description"]) for name, row in last.items()} == {
        name: (3, version, "Rolled back to 1") for name, version in _versions(old=True).items()}


def _launcher(source: str, package: str, version: str) -> dict[str, Any]:
    """A client entry as people write them today."""
    if source == "npm":
        return {"command": "npx", "args": ["-y", f"{package}@{version}"]}
    return {"command": "uvx", "args": [f"{package}=={version}", "--local-timezone", "UTC"]}


def _versions(old: bool) -> dict[str, str]:
    return {name: spec[2] if old else spec[3] for name, spec in SERVERS.items()}


def _hold_updates_at_the_newer_release(project: Project) -> None:
    """`update: {constraint: "<=NEWER"}` under each pin: `update` then lands on the
    newer release even after later ones are published."""
    text = project.read(Project.LOCKFILE)
    for old, new in {(old, new) for _, _, old, new in SERVERS.values()}:
        text = text.replace(f"    version: {old}\n", f"    version: {old}\n    update: {{constraint: \"<={new}\"}}\n")
    project.write(Project.LOCKFILE, text)


def _assert_locked(project: Project, versions: Mapping[str, str]) -> None:
    """Pins at `versions`, every server's lock folder files present, `validate` passes
    (it checks each `closure:` against them)."""
    from mcpstate.lockfile.load import load_lockfile

    lockfile = load_lockfile(project.path / Project.LOCKFILE)
    assert {name: spec.version for name, spec in lockfile.servers.items()} == versions
    for name, spec in lockfile.servers.items():
        wanted = ("package.json", "pnpm-lock.yaml") if spec.source == "npm" else ("requirements.txt",)
        assert all((project.path / "mcpstate.lock.d" / name / file).is_file() for file in wanted), name
        assert spec.integrity and spec.closure, name
    project.run("validate", check=True)


def _assert_live(project: Project, versions: Mapping[str, str], revision: int) -> None:
    """state.json at `revision` and `versions`; each store entry named for its version;
    each .mcp.json entry launches that entry's executable; `status` probes them all up."""
    state = json.loads(project.read(".mcpstate/state.json"))["servers"]
    entries = json.loads(project.read(".mcp.json"))["mcpServers"]
    for name, version in versions.items():
        store_path = state[name]["store_path"]
        assert (state[name]["revision"], state[name]["version"]) == (revision, version), name
        assert Path(store_path).name.startswith(SERVERS[name][1].replace("/", "+") + f"@{version}-"), store_path
        launched = as_client("claude-code", entries[name], project.path, project.env).command
        assert launched.startswith(store_path + "/"), entries[name]
    status = json.loads(project.run("status", "--format", "json", check=True).stdout)["servers"]
    assert {row["server"]: (row["up"], row["version"]) for row in status} == {
        name: (True, version) for name, version in versions.items()}


# -- the committed example: its lock folder installs byte for byte -----------------------

def test_committed_example_installs_exactly_its_pins(example: Project) -> None:
    state = json.loads(example.read(".mcpstate/state.json"))["servers"]
    for name, (source, _, _, newer) in SERVERS.items():
        entry, folder = Path(state[name]["store_path"]), EXAMPLE / "mcpstate.lock.d" / name
        assert state[name]["version"] == newer
        if source == "npm":
            locked = (folder / "pnpm-lock.yaml").read_bytes()
            assert (entry / "pnpm-lock.yaml").read_bytes() == locked
            assert _installed_npm(entry) == _locked_npm(locked)
        else:
            assert _installed_pypi(entry) == _locked_pypi((folder / "requirements.txt").read_text())
    status = json.loads(example.run("status", "--format", "json", check=True).stdout)["servers"]
    assert all(row["up"] for row in status) and len(status) == len(SERVERS)


def _installed_npm(entry: Path) -> set[tuple[str, str]]:
    """(name, version) of every package pnpm put in the entry's virtual store: each
    `.pnpm/<key>/node_modules/<name>` that is a folder (its dependencies are links)."""
    found: set[tuple[str, str]] = set()
    for folder in (entry / "node_modules" / ".pnpm").glob("*/node_modules"):
        for top in folder.iterdir():
            for package in (top.iterdir() if top.name.startswith("@") else [top]):
                if package.is_dir() and not package.is_symlink():
                    meta = json.loads((package / "package.json").read_text())
                    found.add((meta["name"], meta["version"]))
    return found


def _locked_npm(lock: bytes) -> set[tuple[str, str]]:
    from mcpstate.store.pnpm import locked_packages

    return {(package.name, package.version) for package in locked_packages(lock)}


def _installed_pypi(entry: Path) -> set[tuple[str, str]]:
    from packaging.utils import canonicalize_name

    found: set[tuple[str, str]] = set()
    for info in (entry / "venv").glob("lib/python*/site-packages/*.dist-info"):
        headers = dict(line.split(": ", 1) for line in (info / "METADATA").read_text().splitlines()
                       if line.startswith(("Name: ", "Version: ")))
        found.add((canonicalize_name(headers["Name"]), headers["Version"]))
    return found


def _locked_pypi(requirements: str) -> set[tuple[str, str]]:
    """The pins whose environment marker holds here (a universal file also pins, e.g.,
    pywin32 for Windows)."""
    from packaging.requirements import Requirement
    from packaging.utils import canonicalize_name

    pins: set[tuple[str, str]] = set()
    for line in requirements.splitlines():
        if line[:1].isalnum():
            req = Requirement(line.rstrip(" \\"))
            if req.marker is None or req.marker.evaluate():
                (spec,) = req.specifier
                pins.add((canonicalize_name(req.name), spec.version))
    return pins


# -- #15: the surface mcpstate records is the SDK's -----------------------------------------

def test_everything_tools_are_what_the_sdk_lists(example: Project) -> None:
    report = json.loads(example.run("test", "everything", "--format", "json", check=True).stdout)
    written = json.loads(example.read(".mcp.json"))["mcpServers"]["everything"]
    entry = as_client("claude-code", written, example.path, example.env)  # as Claude Code starts it
    server = StdioServerParameters(command=entry.command, args=list(entry.args), env=dict(entry.env) or None)
    _, tools = anyio.run(sdk_tools, server, "auto" if report["generation"] == "modern" else "legacy")
    ours = sorted((tool["name"], tool["description"], tool["input_schema"]) for tool in report["tools"])
    assert len(ours) >= 10  # server-everything shows off most of the protocol
    assert ours == theirs(tools)

