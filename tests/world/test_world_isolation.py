"""The pytest plugin: the autouse isolation, its breach check, and the project fixture."""

from __future__ import annotations

import os
import uuid
from pathlib import Path

import pytest

from testing.pytest_plugin import WATCHED_VARIABLE, Project
from testing.world import World

pytest_plugins = ["pytester"]

REPO = Path(__file__).resolve().parents[2]


def test_isolation_points_every_tool_into_tmp_path(tmp_path: Path) -> None:
    for key in ("HOME", "XDG_CONFIG_HOME", "XDG_CACHE_HOME", "XDG_DATA_HOME", "XDG_STATE_HOME", "TMPDIR",
                "npm_config_cache", "npm_config_userconfig", "MCPSTATE_HOME"):
        assert Path(os.environ[key]).is_relative_to(tmp_path), key
    assert Path.home().is_relative_to(tmp_path)
    assert os.environ["PIP_CONFIG_FILE"] == os.devnull
    outer = [k for k in os.environ if k.startswith(("PIP_FIND", "PIP_INDEX", "PIP_EXTRA", "MCPSTATE_"))]
    assert outer == ["MCPSTATE_HOME"]


def test_installing_tests_get_the_pinned_pnpm_seeded(world: World) -> None:
    from mcpstate.store.tools import pnpm_bin

    binary = pnpm_bin()  # found, not bootstrapped: the plugin linked the shared bootstrap in
    assert binary.is_relative_to(Path(os.environ["MCPSTATE_HOME"]) / "tools")


def test_registry_variables_come_with_the_world(world: World) -> None:
    assert os.environ["MCPSTATE_NPM_REGISTRY"] == world.npm_url
    assert os.environ["MCPSTATE_PYPI_INDEX"] == world.pypi_url


def test_a_default_state_dir_fails_the_test(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_inner="""
        from pathlib import Path

        def test_leaks():
            Path(".mcpstate").mkdir()   # the cwd is pytester's folder, outside this test's tmp_path

        def test_stays_inside(tmp_path):
            (tmp_path / ".mcpstate").mkdir()
    """)
    result = pytester.runpytest_inprocess("-p", "testing.pytest_plugin", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(["*isolation breach*/.mcpstate", "FAILED test_inner.py::test_leaks*"])


def test_breaches_are_judged_by_what_the_test_reaches(pytester: pytest.Pytester, tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    # A session of its own whose real home is a folder of ours (HOME when it starts), so
    # "another program writes the real home" can happen for real without touching ours.
    real_home = tmp_path / "real-home"
    real_home.mkdir()
    # The inner session watches a repository of its own (a copy's stand-in in tmp_path):
    # a write planted in the real one would fail whatever test another worker runs then.
    watched = tmp_path / "watched-repo"
    watched.mkdir()
    leak = watched / f"isolation-leak-{uuid.uuid4().hex}.txt"
    pytester.makepyfile(test_inner=f"""
        import subprocess
        from pathlib import Path

        REAL_HOME, LEAK = Path({str(real_home)!r}), Path({str(leak)!r})

        def test_another_program_writes_the_real_home():
            subprocess.run(["mkdir", str(REAL_HOME / ".terraform.d")], check=True)

        def test_writes_into_its_own_home(tmp_path):
            (Path.home() / ".cache" / "mcpstate").mkdir(parents=True)
            assert Path.home().is_relative_to(tmp_path)

        def test_writes_into_the_repository():
            LEAK.write_text("by mistake")

        def test_points_home_outside(monkeypatch):
            monkeypatch.setenv("HOME", str(REAL_HOME))
    """)
    monkeypatch.setenv("HOME", str(real_home))
    monkeypatch.setenv("PYTHONPATH", str(REPO))
    monkeypatch.setenv(WATCHED_VARIABLE, str(watched))
    try:
        result = pytester.runpytest_subprocess("-p", "testing.pytest_plugin", "-p", "no:cacheprovider")
        assert leak.exists()  # the inner test did write it: the check below saw a real write
    finally:
        leak.unlink(missing_ok=True)
    result.assert_outcomes(passed=2, failed=2)
    assert (real_home / ".terraform.d").is_dir()
    result.stdout.fnmatch_lines([  # each failure's header, then its reason
        "*_ test_writes_into_the_repository _*", f"test wrote outside tmp_path (isolation breach): {leak}",
        "*_ test_points_home_outside _*", f"*(isolation breach): HOME={real_home}"])


def test_project_fixture(project: Project, world: World, tmp_path: Path) -> None:
    project.write_lockfile("""
        version: 1
        servers: {}
    """)
    assert project.read("mcpstate.lock.yaml") == "version: 1\nservers: {}\n"
    project.write("sub/dir/file.txt", "x")
    assert project.exists("sub/dir/file.txt") and project.path.is_relative_to(tmp_path)
    assert project.env["MCPSTATE_NPM_REGISTRY"] == world.npm_url
    assert Path(project.env["HOME"]).is_relative_to(tmp_path)
    result = project.run("--version", check=True)
    assert result.stdout.strip().startswith("mcpstate ")
    with pytest.raises(AssertionError, match="expected exit 7"):
        project.run("--version", check=7)
    assert not (REPO / ".mcpstate").exists()


def test_world_faults_do_not_outlive_a_test_first(world: World) -> None:
    world.npm.inject("/mcpstate-fixture-tiny", 500, sticky=True)
    world.npm.tamper("mcpstate-fixture-tiny", "1.0.0")
    world.remote("healthy")


def test_world_faults_do_not_outlive_a_test_second(world: World) -> None:
    import httpx

    assert httpx.get(world.npm.origin + "/mcpstate-fixture-tiny").status_code == 200
    assert ("mcpstate-fixture-tiny", "1.0.0") not in world.npm.tampered
    assert world.remotes == [] and len(world.npm.requests) == 1
