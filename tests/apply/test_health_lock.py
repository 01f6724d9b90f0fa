"""`mcpstate test` stages under the state lock, as apply does (DESIGN §7): an apply that
starts meanwhile (its recovery clears staging leftovers of dead runs) waits or gives up,
and never deletes the running test's install; the store entry ends intact and whole."""

from __future__ import annotations

from pathlib import Path

import pytest

from mcpstate.apply.health import test_server as health_test
from mcpstate.apply.jobs import ApplyOptions
from mcpstate.apply.run import ApplyCalls, run_apply
from mcpstate.errors import LockHeldError
from mcpstate.lockfile.load import load_lockfile
from mcpstate.model import ServerSpec
from mcpstate.plan.prepare import Project
from mcpstate.state.file import load_state
from mcpstate.state.journal import read_journal
from mcpstate.state.layout import StateDir
from mcpstate.home import DataDir
from mcpstate.store import entries, npm
from mcpstate.store.entries import entry_path, is_intact
from testing.catalogue import NPM_SERVER, NPM_VERSIONS
from tests.applyhelp import lockfile

pytestmark = pytest.mark.slow

QUIET = ApplyCalls(progress=lambda _: None, show_plan=lambda _: None, confirm=None)


def test_an_apply_racing_a_test_never_deletes_its_install(tmp_path: Path, world,  # type: ignore[no-untyped-def]
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "mcpstate.lock.yaml").write_text(lockfile(npm="healthy"))
    state_dir = StateDir(tmp_path / ".mcpstate")
    project = Project(tmp_path, tmp_path / "mcpstate.lock.yaml", lambda _: state_dir)
    real_install = entries._install
    race: dict[str, object] = {}

    def install_while_an_apply_starts(staging: Path, spec: ServerSpec, registry: str | None, final: Path) -> str:
        if not race:  # the test's own install: an apply starts right now, on the same state dir
            race["staging"] = staging
            try:
                race["apply"] = run_apply(project, ApplyOptions(), None, (), QUIET, lock_timeout=0)
            except LockHeldError as e:
                race["apply"] = e
            race["survived"] = staging.is_dir()
        return real_install(staging, spec, registry, final)

    monkeypatch.setattr(entries, "_install", install_while_an_apply_starts)
    lock = load_lockfile(tmp_path / "mcpstate.lock.yaml")
    tested = health_test(lock, load_state(state_dir), state_dir, "app", None)
    assert race["survived"], "the apply's recovery deleted the running test's staging folder"
    assert isinstance(race["apply"], LockHeldError) and "held by test" in str(race["apply"])
    assert tested.report.passed, tested.report.failures
    entry = entry_path(DataDir.from_environ(), "npm", NPM_SERVER, NPM_VERSIONS["healthy"])
    assert is_intact(entry) and npm.missing_files(entry, NPM_SERVER) == []
    assert list(DataDir.from_environ().staging.iterdir()) == []
    # the test done, the apply runs, and takes the entry the test made as it is
    run_apply(project, ApplyOptions(), None, (), QUIET, lock_timeout=0)
    staged = [r for r in read_journal(state_dir).records if r["event"] == "staged"]
    assert [r["detail"]["reused"] for r in staged] == [True]
    assert load_state(state_dir).servers["app"].store_path == str(entry)
