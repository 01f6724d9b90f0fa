"""on_breaking against the fixture world (DESIGN §8): only a break fails an apply; a
change to review (a title) never does; with `warn` the breaks are printed and the apply
goes on. The diff is against the surface the current revision was tested with."""

from __future__ import annotations

import pytest

from testing.catalogue import NPM_VERSIONS
from testing.pytest_plugin import Project
from tests.applyhelp import assert_invariant, lockfile, read_json

pytestmark = pytest.mark.slow


def applied_surface(project: Project) -> list[dict[str, object]]:
    return read_json(project.path / ".mcpstate" / "state.json")["servers"]["app"]["surface"]  # type: ignore[no-any-return]


def test_the_tested_surface_is_recorded_with_every_field(project: Project) -> None:
    project.write_lockfile(lockfile(npm="new_title"))
    project.run("apply", "--auto-approve", check=True)
    echo = next(tool for tool in applied_surface(project) if tool["name"] == "echo")
    assert echo["title"] == "Echo text" and echo["inputSchema"]["required"] == ["text"]  # type: ignore[index]


def test_a_title_only_change_passes_under_on_breaking_fail(project: Project) -> None:
    project.write_lockfile(lockfile(npm="healthy", on_breaking="fail"))
    project.run("apply", "--auto-approve", check=True)
    project.write_lockfile(lockfile(npm="new_title", on_breaking="fail"))
    result = project.run("apply", "--auto-approve")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Apply complete: 1 applied, 0 failed." in result.stdout
    state = read_json(project.path / ".mcpstate" / "state.json")["servers"]["app"]
    assert (state["revision"], state["version"]) == (2, NPM_VERSIONS["new_title"])


def test_a_newly_required_property_fails_under_on_breaking_fail(project: Project) -> None:
    project.write_lockfile(lockfile(npm="healthy", on_breaking="fail"))
    project.run("apply", "--auto-approve", check=True)
    before = (project.path / ".mcp.json").read_bytes()
    project.write_lockfile(lockfile(npm="change_schema", on_breaking="fail"))
    result = project.run("apply", "--auto-approve")
    assert result.returncode == 1
    assert "app: failed at testing: echo: input property mode newly required" in result.stdout
    assert (project.path / ".mcp.json").read_bytes() == before
    assert_invariant(project.path)


def test_warn_prints_removed_tools_and_goes_on(project: Project) -> None:
    project.write_lockfile(lockfile(npm="healthy", on_breaking="warn"))
    project.run("apply", "--auto-approve", check=True)
    project.write_lockfile(lockfile(npm="remove_tool", on_breaking="warn"))
    result = project.run("apply", "--auto-approve")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "warning: tool removed since the current revision: add" in result.stdout
    assert [tool["name"] for tool in applied_surface(project)] == ["echo"]
