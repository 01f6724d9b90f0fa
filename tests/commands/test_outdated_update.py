"""`mcpstate outdated`, `update` and `lock` against the hermetic registries."""

from __future__ import annotations

import difflib
import json
import textwrap
from pathlib import Path

import pytest

from mcpstate.probe.surface import surface_digest
from testing import catalogue as cat
from tests.helpers import Result, run_cli, snapshot

LOCKFILE = textwrap.dedent(f"""\
    # Reviewed in PR #12. Keep the comments!
    version: 1
    servers:
      calendar:   # calver: 2026.8.31 is older than 2026.10.19
        source: npm
        package: "{cat.NPM_CALENDAR}"
        version: 2026.7.4           # first pin
        update: {{constraint: "^2026.0.0", min_release_age_days: 3}}

      server:
        source: npm
        package: '{cat.NPM_SERVER}'
        version: "1.0.0"
        update:
          constraint: ^1.0.0        # stay on 1.x
      tiny:
        source: npm
        package: {cat.NPM_TINY}
        version: 1.1.0
      py:
        source: pypi
        package: {cat.PYPI_SERVER}
        version: '1.0.0'
        update: {{constraint: "<2"}}
      local:
        source: command
        command: /bin/true
    """)


@pytest.fixture
def project(tmp_path: Path, world: object) -> Path:  # in-process: the world's env is set
    path = tmp_path / "p"
    path.mkdir()
    (path / "mcpstate.lock.yaml").write_text(LOCKFILE)
    return path


def cli(capsys: pytest.CaptureFixture[str], project: Path, *args: str) -> Result:
    return run_cli(capsys, project, *args)


def lockfile(project: Path) -> str:
    return (project / "mcpstate.lock.yaml").read_text()


def diff(before: str, after: str) -> list[str]:
    return [line for line in difflib.unified_diff(before.splitlines(), after.splitlines(), n=0,
                                                  lineterm="") if line[:1] in "+-" and line[:3] not in ("+++", "---")]


def test_outdated_lists_locked_wanted_latest(capsys: pytest.CaptureFixture[str], project: Path) -> None:
    result = cli(capsys, project, "outdated")
    assert result.code == 0, result.err
    assert result.out.splitlines() == [
        "SERVER    SOURCE  LOCKED    WANTED     LATEST",
        "calendar  npm     2026.7.4  2026.8.31  2026.8.31",   # 2026.10.19 is a day old
        "server    npm     1.0.0     1.10.0     2.2.0",       # 1.10 > 1.9; no beta
        "py        pypi    1.0.0     1.10.0     2.2.0",       # 1.5.0 yanked, 2.3.0b1 skipped
    ]


def test_outdated_json_lists_every_registry_server(capsys: pytest.CaptureFixture[str],
                                                   project: Path, world: object) -> None:
    result = cli(capsys, project, "outdated", "--format", "json")
    data = json.loads(result.out)
    assert data["format_version"] == "1"
    rows = {row["server"]: row for row in data["servers"]}
    assert list(rows) == ["calendar", "server", "tiny", "py"]
    assert rows["tiny"] == {"server": "tiny", "source": "npm", "package": cat.NPM_TINY,
                            "locked": "1.1.0", "wanted": "1.1.0", "latest": "1.1.0",
                            "outdated": False}
    assert rows["calendar"]["wanted"] == "2026.8.31" and rows["calendar"]["outdated"]


def test_outdated_fetches_each_package_once(capsys: pytest.CaptureFixture[str], project: Path,
                                            world: object) -> None:
    (project / "mcpstate.lock.yaml").write_text(
        LOCKFILE + f"  calendar-2:\n    source: npm\n    package: '{cat.NPM_CALENDAR}'\n"
        "    version: 2026.7.4\n")
    before = len(world.npm.requests)
    assert cli(capsys, project, "outdated", "--format", "json").code == 0
    paths = [seen.path for seen in world.npm.requests[before:]]
    assert sorted(paths) == sorted(["/@mcpstate-fixture%2fcalendar", "/@mcpstate-fixture%2fserver",
                                    f"/{cat.NPM_TINY}"])


@pytest.mark.parametrize("args, message", [
    (["outdated", "nope"], "no server named 'nope'"),
    (["outdated", "local"], "local: not from a registry"),
    (["update", "nope"], "no server named 'nope'"),
])
def test_unknown_or_non_registry_names_are_usage_errors(capsys: pytest.CaptureFixture[str],
                                                        project: Path, args: list[str], message: str) -> None:
    result = cli(capsys, project, *args)
    assert result.code == 1 and message in result.err


def test_a_missing_package_is_named_and_exits_1(capsys: pytest.CaptureFixture[str], project: Path,
                                                world: object) -> None:
    text = LOCKFILE.replace(cat.NPM_TINY, '"@mcpstate-fixture/gone"')
    (project / "mcpstate.lock.yaml").write_text(text)
    result = cli(capsys, project, "outdated")
    assert result.code == 1
    assert "calendar" in result.out and "tiny      npm     1.1.0     ?" in result.out
    assert (f"error: tiny: no such package on the npm registry {world.npm_url}: "
            "@mcpstate-fixture/gone") in result.err
    assert cli(capsys, project, "update").code == 1
    assert lockfile(project) == text  # nothing half-done


def test_update_rewrites_exactly_the_pinned_lines(capsys: pytest.CaptureFixture[str], project: Path,
                                                  world: object) -> None:
    result = cli(capsys, project, "update")
    assert result.code == 0, result.err
    assert result.out.splitlines() == ["calendar: 2026.7.4 -> 2026.8.31", "server: 1.0.0 -> 1.10.0",
                                       "py: 1.0.0 -> 1.10.0"]
    cal = world.integrity("npm", cat.NPM_CALENDAR, "2026.8.31")
    srv = world.integrity("npm", cat.NPM_SERVER, "1.10.0")
    py = world.integrity("pypi", cat.PYPI_SERVER, "1.10.0")
    tools = {name: surface_digest((project / f"mcpstate.lock.d/{name}/tools.json").read_bytes())
             for name in ("calendar", "server", "py")}  # each moved pin's surface, recorded
    assert diff(LOCKFILE, lockfile(project)) == [
        "-    version: 2026.7.4           # first pin",
        "+    version: 2026.8.31          # first pin",
        f"+    integrity: {cal}",
        f"+    tools: {tools['calendar']}",
        '-    version: "1.0.0"',
        '+    version: "1.10.0"',
        f"+    integrity: {srv}",
        f"+    tools: {tools['server']}",
        "-    version: '1.0.0'",
        "+    version: '1.10.0'",
        f"+    integrity: {py}",
        f"+    tools: {tools['py']}",
    ]
    again = cli(capsys, project, "update")
    assert again.code == 0 and again.out == "Every pin is up to date.\n"


def test_update_dry_run_prints_and_writes_nothing(capsys: pytest.CaptureFixture[str],
                                                  project: Path) -> None:
    result = cli(capsys, project, "update", "--dry-run", "--latest", "server", "py")
    assert result.out.splitlines() == ["server: 1.0.0 -> 2.2.0", "py: 1.0.0 -> 2.2.0"]
    assert "Dry run" in result.err
    assert lockfile(project) == LOCKFILE


def test_update_latest_leaves_the_constraint_but_honours_the_age(capsys: pytest.CaptureFixture[str],
                                                                 project: Path) -> None:
    result = cli(capsys, project, "update", "--latest", "calendar", "server")
    assert result.out.splitlines() == ["calendar: 2026.7.4 -> 2026.8.31", "server: 1.0.0 -> 2.2.0"]
    assert "constraint: ^1.0.0        # stay on 1.x" in lockfile(project)


def test_update_moves_calver_to_the_newest_when_old_enough(capsys: pytest.CaptureFixture[str],
                                                           project: Path) -> None:
    (project / "mcpstate.lock.yaml").write_text(LOCKFILE.replace("min_release_age_days: 3", "min_release_age_days: 0"))
    assert cli(capsys, project, "update", "calendar").out == "calendar: 2026.7.4 -> 2026.10.19\n"


def test_update_refuses_an_unsafe_edit_and_changes_nothing(capsys: pytest.CaptureFixture[str],
                                                           project: Path) -> None:
    text = LOCKFILE.replace(f"  tiny:\n    source: npm\n    package: {cat.NPM_TINY}\n    version: 1.1.0\n",
                            f"  tiny: {{source: npm, package: {cat.NPM_TINY}, version: 1.0.0}}\n")
    (project / "mcpstate.lock.yaml").write_text(text)
    before = snapshot(project)
    result = cli(capsys, project, "update")
    assert result.code == 1
    assert "servers.tiny is a flow mapping" in result.err and "nothing was changed" in result.err
    assert snapshot(project) == before  # the lock folder too: it was written before the refusal


def test_lock_refuses_an_unsafe_edit_and_writes_no_lock_folder(capsys: pytest.CaptureFixture[str],
                                                               project: Path) -> None:
    # A valid project before, a valid project after: lock used to write mcpstate.lock.d/tiny/
    # and then refuse the lockfile, leaving a lock folder the lockfile does not name.
    text = ("version: 1\nservers:\n"
            f"  tiny: {{source: npm, package: {cat.NPM_TINY}, version: 1.0.0}}\n")
    (project / "mcpstate.lock.yaml").write_text(text)
    assert cli(capsys, project, "validate").code == 0
    before = snapshot(project)
    result = cli(capsys, project, "lock")
    assert result.code == 1
    assert "servers.tiny is a flow mapping" in result.err and "nothing was changed" in result.err
    assert snapshot(project) == before and not (project / "mcpstate.lock.d").exists()
    assert cli(capsys, project, "validate").code == 0


def test_lock_fills_missing_integrity_closure_and_tools_only(capsys: pytest.CaptureFixture[str],
                                                            project: Path, world: object) -> None:
    result = cli(capsys, project, "lock")
    assert result.code == 0, result.err
    added = diff(LOCKFILE, lockfile(project))
    assert [line.split(":")[0] for line in added] == ["+    integrity", "+    closure", "+    tools"] * 4
    # the command server exits at once: pinned as it was, its surface said to be unreviewed
    assert "local: surface unreviewed: the health test failed" in result.out
    assert f"+    integrity: {world.integrity('pypi', cat.PYPI_SERVER, '1.0.0')}" in added
    second = cli(capsys, project, "lock")  # only the unreviewed surface is tried again
    assert second.out.splitlines()[-1].startswith("Checked 4, filled in 0 integrity hash(es) in ")
    assert "[local] probing" in second.err and "[server] probing" not in second.err


def test_lock_mismatch_names_server_version_and_both_hashes(capsys: pytest.CaptureFixture[str],
                                                            project: Path, world: object) -> None:
    true = world.integrity("npm", cat.NPM_TAMPERED, "1.0.0")  # the registry advertises another
    text = LOCKFILE + (f"  tampered:\n    source: npm\n    package: '{cat.NPM_TAMPERED}'\n"
                       f"    version: 1.0.0\n    integrity: {true}\n")
    (project / "mcpstate.lock.yaml").write_text(text)
    result = cli(capsys, project, "lock")
    assert result.code == 1
    line = next(l for l in result.err.splitlines() if "integrity mismatch" in l)
    advertised = line.split("the registry has ")[1].split(";")[0]
    assert line.startswith(f"error: tampered 1.0.0: integrity mismatch: the lockfile has {true}")
    assert advertised.startswith("sha512-") and advertised != true
    assert lockfile(project) == text  # the other servers' fills were not written either


def test_lock_warns_about_a_yanked_pin_and_a_missing_version(capsys: pytest.CaptureFixture[str],
                                                             project: Path) -> None:
    (project / "mcpstate.lock.yaml").write_text(LOCKFILE.replace("version: '1.0.0'", f"version: '{cat.PYPI_YANKED}'"))
    result = cli(capsys, project, "lock")
    assert result.code == 0 and f"warning: py: {cat.PYPI_SERVER} 1.5.0 is yanked (hangs at start)" in result.err
    (project / "mcpstate.lock.yaml").write_text(LOCKFILE.replace("version: 1.1.0", "version: 9.9.9"))
    result = cli(capsys, project, "lock")
    assert result.code == 1 and f"tiny: {cat.NPM_TINY} has no version 9.9.9 on the registry" in result.err


def test_commands_run_end_to_end_in_a_subprocess(project: Path, world: object) -> None:
    import subprocess
    import sys

    proc = subprocess.run([sys.executable, "-m", "mcpstate", "-C", str(project), "outdated",
                           "calendar", "--format", "json"], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["servers"][0]["wanted"] == "2026.8.31"
