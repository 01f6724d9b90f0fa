"""pytest fixtures for mcpstate's tests; pyproject loads this with `-p testing.pytest_plugin`.

- `world` (session): the local npm registry + PyPI index (testing/world.py).
- autouse isolation: HOME, XDG dirs, TMPDIR, npm's cache and user config, pip's config,
  MCPSTATE_HOME all inside tmp_path (MCPSTATE_HOME/tools seeded with the pinned pnpm when
  the test uses `world`); outer npm/pip/uv/MCPSTATE_ settings dropped; the registry
  variables set only when the test uses `world`. A test FAILS when it creates or
  changes a file in the repository, creates an mcpstate file in the working directory,
  or ends with one of those variables pointing outside pytest's temporary folders.
  The real home folder is not watched: nothing the test runs is pointed at it, and
  other programs on a shared machine write there at any time.
- `project`: a project folder with the isolated env and `.run(...)` of the CLI.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from testing.world import World

# The folder whose files a test must not change: this repository, or (for a session that
# tests the breach check itself) a folder of that session's own, so that its planted
# write is judged by it alone and never by another worker watching the real repository.
WATCHED_VARIABLE = "MCPSTATE_TEST_WATCHED_REPO"
REPO = Path(os.environ.get(WATCHED_VARIABLE) or Path(__file__).resolve().parents[1]).resolve()
# Where tools write by default (a cache, a config, a state dir): each must still point
# into pytest's temporary folders when the test ends, or the test could reach beyond them.
ISOLATED_VARIABLES = ("HOME", "XDG_CONFIG_HOME", "XDG_CACHE_HOME", "XDG_DATA_HOME", "XDG_STATE_HOME",
                      "TMPDIR", "npm_config_cache", "npm_config_userconfig", "UV_CACHE_DIR",
                      "MCPSTATE_HOME", "MCPSTATE_STATE_DIR")
# Caches that tools, not tests, keep in the repository (the world's artifacts in .cache).
REPO_CACHES = frozenset({".git", ".venv", ".cache", ".pytest_cache", ".mypy_cache", ".hypothesis",
                         "__pycache__", "node_modules"})
_snapshot_key = pytest.StashKey["Snapshot"]()
_basetemp_key = pytest.StashKey[Path]()


@pytest.fixture(scope="session")
def world() -> Iterator[World]:
    """The hermetic registries, shared by the whole session (starts in well under 5 s)."""
    from testing.world import World

    with World() as running:
        yield running


@pytest.fixture(autouse=True)
def _isolation(request: pytest.FixtureRequest, tmp_path: Path, tmp_path_factory: pytest.TempPathFactory,
               monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, str]]:
    from testing.tools import isolated_env

    request.node.stash[_snapshot_key] = _snapshot()
    request.node.stash[_basetemp_key] = tmp_path_factory.getbasetemp().resolve()
    env = isolated_env(tmp_path / "isolated")
    shared = request.getfixturevalue("world") if "world" in request.fixturenames else None
    if shared is not None:
        env.update(shared.env)
        _seed_tools(Path(env["MCPSTATE_HOME"]))
    for key in set(os.environ) - set(env):
        monkeypatch.delenv(key)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    remotes_before = len(shared.remotes) if shared is not None else 0
    yield env
    from mcpstate.secrets.redact import forget_all

    forget_all()  # values a test resolved in-process must not be redacted in the next test
    if shared is not None:  # the world is shared: what one test injected must not leak
        shared.reset(keep_remotes=remotes_before)


def _seed_tools(home: Path) -> None:
    """Tests that install get mcpstate's pinned pnpm already bootstrapped (one bootstrap
    per machine, linked into each test's MCPSTATE_HOME): bootstrapping costs seconds."""
    from testing.tools import seed_tools

    seed_tools(home)



@dataclass(frozen=True)
class Snapshot:
    """What a test could write by mistake outside tmp_path: the repository (every file,
    with its mtime and size) and the working directory (a relative path, a default
    state dir)."""

    cwd: Path
    cwd_names: frozenset[str]
    repo: dict[str, tuple[int, int] | None]  # relative path -> (mtime_ns, size); None: a folder


def _snapshot(cwd: Path | None = None) -> Snapshot:
    cwd = cwd or Path.cwd()
    try:
        names = frozenset(os.listdir(cwd))
    except OSError:
        names = frozenset()
    return Snapshot(cwd, names, _repo_tree())


def _repo_tree() -> dict[str, tuple[int, int] | None]:
    tree: dict[str, tuple[int, int] | None] = {}
    for root, dirs, files in os.walk(REPO):
        dirs[:] = [d for d in dirs if d not in REPO_CACHES and not d.endswith(".egg-info")]
        rel = Path(root).relative_to(REPO)
        tree.update({str(rel / d): None for d in dirs})
        for name in files:
            try:
                st = os.lstat(os.path.join(root, name))
            except FileNotFoundError:
                continue  # removed while we walked
            tree[str(rel / name)] = (st.st_mtime_ns, st.st_size)
    return tree


def _leaks(before: Snapshot) -> list[str]:
    # The same cwd as before: a test may chdir (pytester does), and its new cwd is its own.
    after = _snapshot(before.cwd)
    leaks = [str(before.cwd / name) for name in sorted(after.cwd_names - before.cwd_names)
             if "mcpstate" in name and not (before.cwd / name).is_relative_to(REPO)]
    leaks += [str(REPO / rel) for rel, stat in sorted(after.repo.items())
              if rel not in before.repo or (stat is not None and before.repo[rel] != stat)]
    return leaks


def _escapes(basetemp: Path) -> list[str]:
    """The isolated variables that point outside pytest's temporary folders now."""
    return [f"{key}={os.environ[key]}" for key in ISOLATED_VARIABLES
            if os.environ.get(key) and not Path(os.environ[key]).resolve().is_relative_to(basetemp)]


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Iterator[None]:
    result = yield  # a test that already failed keeps its own error
    before, basetemp = item.stash.get(_snapshot_key, None), item.stash.get(_basetemp_key, None)
    if before is None or basetemp is None:
        return result
    leaks = _leaks(before)
    if leaks:
        pytest.fail("test wrote outside tmp_path (isolation breach): " + ", ".join(leaks), pytrace=False)
    escapes = _escapes(basetemp)
    if escapes:
        pytest.fail("test pointed a tool's folder outside tmp_path (isolation breach): "
                    + ", ".join(escapes), pytrace=False)
    return result


@dataclass(frozen=True)
class RunResult:
    args: list[str]
    returncode: int
    stdout: str
    stderr: str

    def __str__(self) -> str:
        return (f"$ {' '.join(self.args)}\n-> exit {self.returncode}\n"
                f"--- stdout\n{self.stdout}\n--- stderr\n{self.stderr}")


class Project:
    """A project folder in tmp_path; `run` invokes the CLI on it in a subprocess."""

    LOCKFILE = "mcpstate.lock.yaml"

    def __init__(self, path: Path, env: dict[str, str]) -> None:
        self.path, self.env = path, env

    def write(self, relpath: str, text: str) -> Path:
        target = self.path / relpath
        target.parent.mkdir(parents=True, exist_ok=True)
        # Dedented, without the first newline of a triple-quoted literal.
        target.write_text(textwrap.dedent(text).removeprefix("\n"), encoding="utf-8")
        return target

    @property
    def store(self) -> Path:
        """The shared store of this project's MCPSTATE_HOME."""
        return Path(self.env["MCPSTATE_HOME"]) / "store"

    def write_lockfile(self, text: str) -> Path:
        return self.write(self.LOCKFILE, text)

    def read(self, relpath: str) -> str:
        return (self.path / relpath).read_text(encoding="utf-8")

    def exists(self, relpath: str) -> bool:
        return (self.path / relpath).exists()

    def run(self, *args: str, input: str | None = None, check: bool | int | None = None,
            timeout: float = 120) -> RunResult:
        """`python -m mcpstate -C <path> ARGS...`; check=True expects exit 0, an int expects
        that code; a mismatch fails with the command's full output."""
        cmd = [sys.executable, "-m", "mcpstate", "-C", str(self.path), *args]
        proc = subprocess.run(cmd, input=input, capture_output=True, text=True, env=self.env,
                              cwd=self.path, timeout=timeout,
                              stdin=None if input is not None else subprocess.DEVNULL)
        result = RunResult(cmd, proc.returncode, proc.stdout, proc.stderr)
        expected = 0 if check is True else check
        if expected is not None and expected is not False and result.returncode != expected:
            raise AssertionError(f"expected exit {expected}\n{result}")
        return result


@pytest.fixture
def project(tmp_path: Path, world: World, _isolation: dict[str, str]) -> Project:
    """An empty project folder whose env holds the isolated settings and registry URLs."""
    path = tmp_path / "project"
    path.mkdir()
    return Project(path, dict(_isolation))
