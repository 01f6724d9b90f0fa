"""pytest fixtures for mcpstate's tests; pyproject loads this with `-p testing.pytest_plugin`.

- `world` (session): the local npm registry + PyPI index (testing/world.py).
- autouse isolation: HOME, XDG dirs, TMPDIR, npm's cache and user config, pip's config,
  MCPSTATE_HOME all inside tmp_path; outer npm/pip/uv/MCPSTATE_ settings dropped; the
  registry variables set, and MCPSTATE_HOME/tools seeded with the pinned pnpm, only
  when the test uses `world`. A test that creates anything in the
  real home, or a `.mcpstate` folder in the repo or the working directory, FAILS.
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

REAL_HOME = Path(os.path.expanduser("~"))
REPO = Path(__file__).resolve().parents[1]
_snapshot_key = pytest.StashKey[dict[Path, frozenset[str]]]()


@pytest.fixture(scope="session")
def world() -> Iterator[World]:
    """The hermetic registries, shared by the whole session (starts in well under 5 s)."""
    from testing.world import World

    with World() as running:
        yield running


@pytest.fixture(autouse=True)
def _isolation(request: pytest.FixtureRequest, tmp_path: Path,
               monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, str]]:
    from testing.tools import isolated_env

    request.node.stash[_snapshot_key] = _snapshot()
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
    if shared is not None:  # the world is shared: what one test injected must not leak
        shared.reset(keep_remotes=remotes_before)


def _seed_tools(home: Path) -> None:
    """Tests that install get mcpstate's pinned pnpm already bootstrapped (one bootstrap
    per machine, linked into each test's MCPSTATE_HOME): bootstrapping costs seconds."""
    from testing.tools import seed_tools

    seed_tools(home)


def _watched() -> list[Path]:
    # Where a default (un-isolated) run would leave traces: the real home, its XDG
    # folders (checked for an mcpstate entry), and the repo and cwd (for .mcpstate).
    return [REAL_HOME, *(REAL_HOME / sub for sub in (".cache", ".config", ".local/share", ".local/state")),
            REPO, Path.cwd()]


def _snapshot(folders: list[Path] | None = None) -> dict[Path, frozenset[str]]:
    out = {}
    for folder in folders if folders is not None else _watched():
        try:
            out[folder] = frozenset(os.listdir(folder))
        except OSError:
            out[folder] = frozenset()
    return out


def _leaks(before: dict[Path, frozenset[str]]) -> list[Path]:
    # The same folders as before: a test may chdir (pytester does), and its new cwd is its own.
    leaks = []
    for folder, names in _snapshot(list(before)).items():
        for name in sorted(names - before[folder]):
            if folder == REAL_HOME or "mcpstate" in name:
                leaks.append(folder / name)
    return leaks


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Iterator[None]:
    result = yield  # a test that already failed keeps its own error
    before = item.stash.get(_snapshot_key, None)
    leaks = _leaks(before) if before is not None else []
    if leaks:
        pytest.fail("test created files outside tmp_path (isolation breach): "
                    + ", ".join(str(p) for p in leaks), pytrace=False)
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
