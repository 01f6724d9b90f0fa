"""Readers never see a torn or missing file (DESIGN §7, swapping): a separate process
parses every target file, and state.json, in a tight loop while 100 applies swap the
server between two versions. It must see zero parse errors, zero missing files, the
entry present in every read, and both versions (else it did not watch any swap)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from testing.catalogue import NPM_SERVER, NPM_VERSIONS
from testing.pytest_plugin import Project
from tests.stress.stresshelp import STATE_DIR, TARGETS, cli, lockfile_text, wait_until

APPLIES = 100
VERSIONS = (NPM_VERSIONS["add_tool"], NPM_VERSIONS["healthy"])

# The reader: plain open/read/json.loads, as a client reading its config does.
READER = r"""
import hashlib, json, os, sys
stop, ready, paths = sys.argv[1], sys.argv[2], sys.argv[3:]
reads, problems, seen = 0, [], {p: set() for p in paths}
while not os.path.exists(stop):
    for path in paths:
        try:
            with open(path, "rb") as f:
                data = f.read()
        except FileNotFoundError:
            problems.append(f"missing: {path}")
            continue
        try:
            doc = json.loads(data)
            part = doc["serial"] if path.endswith("state.json") else doc["mcpServers"]["app"]
        except (ValueError, KeyError, TypeError) as e:
            problems.append(f"{path}: {type(e).__name__}: {e}: {data[:200]!r}")
            continue
        reads += 1
        seen[path].add(hashlib.sha256(json.dumps(part, sort_keys=True).encode()).hexdigest())
    if reads and not os.path.exists(ready):
        open(ready, "w").close()
print(json.dumps({"reads": reads, "problems": problems[:20], "problem_count": len(problems),
                  "distinct": {p: len(s) for p, s in seen.items()}}))
"""


def server(version: str) -> dict[str, dict[str, object]]:
    return {"app": {"package": NPM_SERVER, "version": version, "args": ["--flag"], "env": {}}}


def test_readers_never_see_a_torn_or_missing_file_during_100_applies(stress_project: Project,
                                                                      tmp_path: Path) -> None:
    project = stress_project
    for version in reversed(VERSIONS):  # both store entries made first: each timed apply reuses
        project.write_lockfile(lockfile_text(server(version)))
        assert cli(project.path, "apply", "--auto-approve").code == 0
    paths = [str(project.path / p) for p in TARGETS] + [str(project.path / STATE_DIR / "state.json")]
    stop, ready = tmp_path / "stop", tmp_path / "ready"
    reader = subprocess.Popen([sys.executable, "-c", READER, str(stop), str(ready), *paths],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        wait_until(ready.exists, what="the reader's first full pass")
        for i in range(APPLIES):
            project.write_lockfile(lockfile_text(server(VERSIONS[(i + 1) % 2])))
            applied = cli(project.path, "apply", "--auto-approve")
            assert applied.code == 0 and "1 applied" in applied.out, f"apply {i}:\n{applied}"
    finally:
        stop.touch()
        out, err = reader.communicate(timeout=60)
    assert reader.returncode == 0, err
    seen = json.loads(out)
    print(f"reader: {seen['reads']} reads during {APPLIES} applies; distinct contents {seen['distinct']}")
    assert seen["problem_count"] == 0, seen["problems"]
    assert seen["reads"] >= 20 * APPLIES, seen  # it really read, many times per apply
    for path in paths[:-1]:
        assert seen["distinct"][path] == 2, seen  # it saw both versions' entries in every target
    assert seen["distinct"][paths[-1]] > APPLIES // 2, seen  # and the state's serial move on
    state = json.loads((project.path / STATE_DIR / "state.json").read_text())
    assert state["servers"]["app"]["revision"] == APPLIES + 2
