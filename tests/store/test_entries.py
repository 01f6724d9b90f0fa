"""Store entries (DESIGN §3, §7): the intact marker is written only over an install
found complete, so a half-made entry is never reused as a good one."""

from __future__ import annotations

from pathlib import Path

import pytest

from mcpstate.errors import StoreError
from mcpstate.model import ServerSpec
from mcpstate.home import DataDir
from mcpstate.store import entries, npm, pypi
from mcpstate.store.entries import entry_path, is_intact, stage
from testing.catalogue import NPM_SERVER, NPM_SERVER_BIN, NPM_VERSIONS, PYPI_SERVER, PYPI_SERVER_SCRIPT

pytestmark = pytest.mark.slow

PACKAGES = {"npm": NPM_SERVER, "pypi": PYPI_SERVER}


def executable(staging: Path, source: str) -> Path:
    if source == "npm":
        return npm.bin_path(staging, NPM_SERVER_BIN).resolve()  # the file its .bin link runs
    return pypi.bin_path(staging, PYPI_SERVER_SCRIPT)


@pytest.mark.parametrize("source", ["npm", "pypi"])
def test_an_install_missing_a_file_is_never_marked_intact(tmp_path: Path, world, source: str,  # type: ignore[no-untyped-def]
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    home = DataDir.from_environ()
    spec = ServerSpec("app", source, package=PACKAGES[source], version=NPM_VERSIONS["healthy"])
    registry = world.npm_url if source == "npm" else world.pypi_url
    real_install = entries._install

    def install_then_lose_the_executable(staging: Path, spec: ServerSpec, registry: str | None,
                                         final: Path) -> str:
        integrity = real_install(staging, spec, registry, final)
        executable(staging, source).unlink()  # as a cleaner racing the install would leave it
        return integrity

    monkeypatch.setattr(entries, "_install", install_then_lose_the_executable)
    with pytest.raises(StoreError, match="the install is incomplete"):
        stage(home, spec, registry)
    final = entry_path(home, source, spec.package or "", spec.version or "")
    assert not final.exists() and not is_intact(final)
    assert list(home.staging.iterdir()) == []
    monkeypatch.setattr(entries, "_install", real_install)
    made = stage(home, spec, registry)
    assert is_intact(made.path) and not made.reused and executable(made.path, source).is_file()
