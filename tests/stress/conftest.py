"""Fixtures of the stress tests: one npm cache for the whole session, so each test's
first installs are warm (the store itself stays per project)."""

from __future__ import annotations

from pathlib import Path

import pytest

from testing.pytest_plugin import Project


@pytest.fixture(scope="session")
def npm_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("stress-npm-cache")


@pytest.fixture
def stress_project(project: Project, npm_cache: Path, monkeypatch: pytest.MonkeyPatch) -> Project:
    """`project`, with the shared npm cache for its subprocesses and in-process runs."""
    project.env["npm_config_cache"] = str(npm_cache)
    monkeypatch.setenv("npm_config_cache", str(npm_cache))
    return project
