"""Locked closures against the fixture world: real pnpm and uv installs of servers that
depend on a fixture library, the lock folder, `lock --refresh`, tampered artifacts."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from pathlib import Path

import jsonschema
import pytest

from mcpstate.lockfile.load import load_schema
from testing.catalogue import (LIB_PATCH, LIB_VERSION, NPM, NPM_LIB, NPM_WITH_LIB, PYPI, PYPI_LIB,
                               PYPI_WITH_LIB, WITH_LIB_VERSION)
from tests.applyhelp import journal_events, read_json

pytestmark = pytest.mark.slow

PACKAGES = {NPM: (NPM_WITH_LIB, NPM_LIB), PYPI: (PYPI_WITH_LIB, PYPI_LIB)}
LOCK_FILE = {NPM: "pnpm-lock.yaml", PYPI: "requirements.txt"}


def lockfile_text(source: str) -> str:
    package = PACKAGES[source][0]
    return (f"version: 1\ndefaults:\n  test: {{timeout_s: 5, max_startup_ms: 4000}}\nservers:\n"
            f"  srv:   # a server with a dependency\n    source: {source}\n"
            f"    package: \"{package}\"\n    version: {WITH_LIB_VERSION}\n")


def installed_closure(entry: Path, source: str) -> dict[str, str]:
    """Every package installed in a store entry: `name@version` -> sha256 of its files."""
    if source == NPM:
        dirs = {}
        for outer in (entry / "node_modules" / ".pnpm").iterdir():
            if not outer.is_dir() or outer.name == "node_modules":
                continue
            name, _, version = outer.name.replace("+", "/").rpartition("@")
            dirs[f"{name}@{version}"] = outer / "node_modules" / name
        return {key: tree_sha256(folder) for key, folder in dirs.items()}
    infos = list(entry.glob("venv/lib/python*/site-packages/*.dist-info"))
    return {info.name.removesuffix(".dist-info").replace("-", "@", 1).lower(): tree_sha256(info, "RECORD")
            for info in infos}


def tree_sha256(folder: Path, only: str | None = None) -> str:
    h = hashlib.sha256()
    for path in sorted(folder.rglob(only or "*")):
        if path.is_file():
            h.update(str(path.relative_to(folder)).encode() + b"\0" + path.read_bytes())
    return h.hexdigest()


def store_entry(project) -> Path:  # type: ignore[no-untyped-def]
    return Path(read_json(project.path / ".mcpstate" / "state.json")["servers"]["srv"]["store_path"])


def lib_key(source: str, version: str) -> str:
    return f"{PACKAGES[source][1].replace('-', '_') if source == PYPI else PACKAGES[source][1]}@{version}"


def wipe_store_and_caches(project) -> None:  # type: ignore[no-untyped-def]
    shutil.rmtree(project.store)
    shutil.rmtree(Path(project.env["MCPSTATE_HOME"]) / "cache")


@pytest.mark.parametrize("source", [NPM, PYPI])
def test_the_same_lock_installs_the_same_closure_after_caches_are_gone(project, world, source: str) -> None:  # type: ignore[no-untyped-def]
    project.write_lockfile(lockfile_text(source))
    project.run("lock", check=True)
    assert "closure: sha256-" in project.read("mcpstate.lock.yaml")
    assert "# a server with a dependency" in project.read("mcpstate.lock.yaml")  # comments survive
    project.run("validate", check=True)
    project.run("apply", "--auto-approve", check=True)
    first = installed_closure(store_entry(project), source)
    assert lib_key(source, LIB_VERSION) in first and len(first) == 2, first

    wipe_store_and_caches(project)
    world.publish(source, PACKAGES[source][1], LIB_PATCH)  # npm/pip alone would now take it
    seen = len(world.npm.requests)
    project.run("apply", "--auto-approve", check=True)
    second = installed_closure(store_entry(project), source)
    if source == NPM:  # frozen: the locked tarballs (metadata for pnpm's policy check), no update check
        paths = [r.path for r in world.npm.requests[seen:]]
        assert sorted(p for p in paths if p.endswith(".tgz")) == [
            "/@mcpstate-fixture/lib/-/lib-1.0.0.tgz", "/@mcpstate-fixture/with-lib/-/with-lib-1.0.0.tgz"]
        assert "/pnpm" not in paths
    assert second == first  # every name, version and file hash
    project.run("plan", "--detailed-exitcode", check=0)
    project.run("lock", check=True)  # lock checks; without --refresh it moves nothing
    project.run("plan", "--detailed-exitcode", check=0)


@pytest.mark.parametrize("source", [NPM, PYPI])
def test_lock_refresh_moves_a_transitive_patch_and_the_plan_says_closure(project, world, source: str) -> None:  # type: ignore[no-untyped-def]
    project.write_lockfile(lockfile_text(source))
    project.run("lock", check=True)
    project.run("apply", "--auto-approve", check=True)
    folder = project.path / "mcpstate.lock.d" / "srv"
    before_lock, before_yaml = (folder / LOCK_FILE[source]).read_bytes(), project.read("mcpstate.lock.yaml")
    world.publish(source, PACKAGES[source][1], LIB_PATCH)

    project.run("lock", "--refresh", check=True)
    after_yaml = project.read("mcpstate.lock.yaml")
    assert (folder / LOCK_FILE[source]).read_bytes() != before_lock
    assert LIB_PATCH in (folder / LOCK_FILE[source]).read_text()
    changed = [(a, b) for a, b in zip(before_yaml.splitlines(), after_yaml.splitlines()) if a != b]
    assert len(changed) == 1 and changed[0][0].strip().startswith("closure: sha256-"), changed
    plan = json.loads(project.run("plan", "--format", "json", check=True).stdout)
    assert [(c["server"], c["action"], c["action_reason"]) for c in plan["changes"]] == [
        ("srv", "update", "closure")]
    lib = PACKAGES[source][1]
    assert plan["changes"][0]["details"] == [
        f"closure: 1 changed ({lib} {LIB_VERSION} -> {LIB_PATCH}), 0 added, 0 removed"]
    assert plan["changes"][0]["closure_diff"] == {
        "added": [], "removed": [], "changed": [{"package": lib, "before": LIB_VERSION, "after": LIB_PATCH}],
        "before_known": True}
    jsonschema.validate(plan, load_schema("plan"))
    assert f"{lib} {LIB_VERSION} -> {LIB_PATCH}" in project.run("plan", check=True).stdout
    project.run("apply", "--auto-approve", check=True)
    assert lib_key(source, LIB_PATCH) in installed_closure(store_entry(project), source)
    project.run("plan", "--detailed-exitcode", check=0)


@pytest.mark.parametrize("source", [NPM, PYPI])
def test_a_swapped_transitive_artifact_is_refused_before_any_swap(project, world, source: str) -> None:  # type: ignore[no-untyped-def]
    project.write(".mcp.json", json.dumps({"mcpServers": {"theirs": {"command": "x"}}}, indent=2))
    project.write_lockfile(lockfile_text(source))
    project.run("lock", check=True)
    # as on a teammate's machine: lock staged the server here to record its tools
    wipe_store_and_caches(project)
    world.serve_other_bytes(source, PACKAGES[source][1], LIB_VERSION)
    before = (project.path / ".mcp.json").read_bytes()
    result = project.run("apply", "--auto-approve", check=1)
    output = result.stdout + result.stderr
    assert "integrity mismatch" in output and PACKAGES[source][1] in output, output
    assert (project.path / ".mcp.json").read_bytes() == before
    events = journal_events(project.path / ".mcpstate", "srv")
    assert events[-1] == "failed" and "swapping" not in events, events
    assert not list((project.store).glob(f"{source}/*"))


@pytest.mark.parametrize("source", [NPM, PYPI])
def test_validate_refuses_a_hand_edited_lock_folder_and_a_hand_moved_pin(project, source: str) -> None:  # type: ignore[no-untyped-def]
    project.write_lockfile(lockfile_text(source))
    project.run("lock", check=True)
    lock_file = project.path / "mcpstate.lock.d" / "srv" / LOCK_FILE[source]
    original, lockfile = lock_file.read_bytes(), project.read("mcpstate.lock.yaml")

    lock_file.write_bytes(original.replace(LIB_VERSION.encode(), LIB_PATCH.encode()))
    edited = project.run("validate", check=1)
    assert "servers.srv.closure" in edited.stderr and "changed by hand" in edited.stderr, edited
    assert "run `mcpstate lock`" in edited.stderr
    project.run("plan", check=1)  # nothing runs on a lock folder that is not the reviewed one

    lock_file.write_bytes(original)
    project.run("validate", check=True)
    project.write_lockfile(lockfile.replace(f"version: {WITH_LIB_VERSION}", "version: 1.0.7"))
    moved = project.run("validate", check=1)
    assert "a pin moved without `mcpstate lock`" in moved.stderr and "run `mcpstate lock`" in moved.stderr


def test_a_lockfile_without_closure_stays_valid_and_stages_as_before(project) -> None:  # type: ignore[no-untyped-def]
    project.write_lockfile(lockfile_text(NPM))
    project.run("validate", check=True)
    project.run("apply", "--auto-approve", check=True)
    entry = store_entry(project)
    assert entry.name == f"{NPM_WITH_LIB.replace('/', '+')}@{WITH_LIB_VERSION}"  # no closure digest
    assert (entry / "package-lock.json").exists()  # npm's install, as before closures
    assert not os.path.exists(project.path / "mcpstate.lock.d")


def test_update_relocks_the_closure_of_each_moved_pin(project) -> None:  # type: ignore[no-untyped-def]
    from testing.catalogue import NPM_SERVER, NPM_VERSIONS

    project.write_lockfile(f"version: 1\nservers:\n  app:\n    source: npm\n    package: \"{NPM_SERVER}\"\n"
                           f"    version: {NPM_VERSIONS['healthy']}\n"
                           "    update: {constraint: \"~1.1.0\"}\n")
    project.run("lock", check=True)
    project.run("update", check=True)
    text = project.read("mcpstate.lock.yaml")
    assert f"version: {NPM_VERSIONS['add_tool']}" in text
    package_json = json.loads(project.read("mcpstate.lock.d/app/package.json"))
    assert package_json["dependencies"] == {NPM_SERVER: NPM_VERSIONS["add_tool"]}
    project.run("validate", check=True)  # closure: and the lock folder moved together


def test_the_test_command_stages_the_locked_closure_or_another_version_unlocked(project) -> None:  # type: ignore[no-untyped-def]
    from testing.catalogue import NPM_SERVER, NPM_VERSIONS

    project.write_lockfile(f"version: 1\nservers:\n  app:\n    source: npm\n    package: \"{NPM_SERVER}\"\n"
                           f"    version: {NPM_VERSIONS['healthy']}\n")
    project.run("lock", check=True)
    project.run("test", "app", check=True)
    other = project.run("test", "app", "--version", NPM_VERSIONS["add_tool"], check=True)
    assert "reverse" in other.stdout  # the tool only 1.1.0 has: not the locked 1.0.0
    entries = sorted(p.name for p in (project.store / "npm").iterdir())
    prefix = NPM_SERVER.replace("/", "+")
    assert entries[0].startswith(f"{prefix}@1.0.0-") and entries[1] == f"{prefix}@{NPM_VERSIONS['add_tool']}"


def test_allow_install_scripts_installs_a_locked_closure_with_pnpm_builds_allowed(project) -> None:  # type: ignore[no-untyped-def]
    project.write_lockfile(lockfile_text(NPM) + "    allow_install_scripts: true\n")
    project.run("lock", check=True)
    project.run("apply", "--auto-approve", check=True)
    settings = (store_entry(project) / "pnpm-workspace.yaml").read_text()
    assert "dangerouslyAllowAllBuilds: true" in settings
