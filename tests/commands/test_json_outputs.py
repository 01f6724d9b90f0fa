"""`--format json` of every command that reports: stdout holds exactly one JSON
document that follows its schema in mcpstate/schemas/, run for real against the
fixture world; people's text (the plan, the prompt, progress, warnings) goes to stderr.
Failures print the error document instead (test_json_errors.py)."""

from __future__ import annotations

import argparse
import functools
import importlib
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator
from referencing import Registry, Resource

import mcpstate
from mcpstate.cli import COMMANDS
from testing import catalogue as cat
from testing.pytest_plugin import Project, RunResult
from tests.applyhelp import lockfile
from tests.helpers import run_cli

SCHEMA_DIR = Path(mcpstate.__file__).parent / "schemas"
DRAFT_2020_12 = "https://json-schema.org/draft/2020-12/schema"

# command -> the schema of its --format json (rollback prints apply's document, plan null)
SCHEMA_OF = {"plan": "plan", "show": "plan", "apply": "apply", "rollback": "apply", "test": "report",
             "status": "status", "history": "history", "validate": "validate", "gc": "gc",
             "outdated": "outdated", "update": "update", "lock": "lock", "import": "import",
             "audit": "audit", "search": "search", "add": "add"}


def load_schemas() -> dict[str, dict[str, Any]]:
    return {p.name.removesuffix(".schema.json"): json.loads(p.read_text())
            for p in sorted(SCHEMA_DIR.glob("*.schema.json"))}


@functools.cache
def validator(name: str) -> Draft202012Validator:
    """A validator that resolves `$ref`s between the shipped schemas (apply -> plan)
    locally, by their `$id`, as an editor with the schema folder would."""
    schemas = load_schemas()
    registry: Registry = Registry().with_resources(
        (s["$id"], Resource.from_contents(s)) for s in schemas.values())
    return Draft202012Validator(schemas[name], registry=registry)


def parsed(result: RunResult, schema: str, code: int = 0) -> Any:
    """The whole of stdout as one JSON document, valid against `schema`."""
    assert result.returncode == code, str(result)
    doc = json.loads(result.stdout)
    validator(schema).validate(doc)
    return doc


def cli(capsys: pytest.CaptureFixture[str], folder: Path, *args: str) -> RunResult:
    """In process, without an interpreter start-up: for the commands that only ask registries."""
    result = run_cli(capsys, folder, *args)
    return RunResult(list(args), result.code, result.out, result.err)


def run_answering(project: Project, answer: str, *args: str) -> RunResult:
    """Run the CLI with a terminal on stdin only (stdout and stderr are pipes) and type `answer`."""
    master, slave = os.openpty()
    cmd = [sys.executable, "-m", "mcpstate", "-C", str(project.path), *args]
    try:
        proc = subprocess.Popen(cmd, stdin=slave, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                env=project.env, cwd=project.path, text=True)
        os.close(slave)
        os.write(master, answer.encode() + b"\n")  # the terminal keeps it until input() reads
        out, err = proc.communicate(timeout=120)
    finally:
        os.close(master)
    return RunResult(cmd, proc.returncode, out, err)


def test_every_schema_is_a_valid_2020_12_schema() -> None:
    schemas = load_schemas()
    assert set(SCHEMA_OF.values()) <= set(schemas)
    for name, schema in schemas.items():
        assert schema["$schema"] == DRAFT_2020_12, name
        assert schema["$id"].endswith(f"/{name}.schema.json"), name
        Draft202012Validator.check_schema(schema)


def test_every_command_offering_json_has_a_schema() -> None:
    offered = set()
    for command, (module, _) in COMMANDS.items():
        parser = argparse.ArgumentParser()
        importlib.import_module(f"mcpstate.commands.{module}").configure(parser)
        if any("--format" in a.option_strings and "json" in (a.choices or ()) for a in parser._actions):
            offered.add(command)
    assert offered == set(SCHEMA_OF)
    assert all((SCHEMA_DIR / f"{SCHEMA_OF[c]}.schema.json").is_file() for c in offered)


@pytest.mark.slow
def test_apply_rollback_test_and_the_reading_commands(project: Project) -> None:
    project.write_lockfile(lockfile(npm="healthy"))
    refused = project.run("apply", "--format", "json")  # no terminal to ask on
    assert parsed(refused, "error", code=1)["error"]["kind"] == "UsageError"
    assert "+ app" in refused.stderr and "needs approval" in refused.stderr  # the plan, on stderr

    declined = run_answering(project, "no", "apply", "--format", "json")
    assert parsed(declined, "error", code=1)["error"] == {"kind": "cancelled", "message": "Apply cancelled.",
                                                          "exit_code": 1}
    assert "Apply cancelled." in declined.stderr

    first = run_answering(project, "yes", "apply", "--format", "json")
    assert "+ app" in first.stderr and "Enter a value:" in first.stderr
    doc = parsed(first, "apply")
    assert [c["server"] for c in doc["plan"]["changes"]] == ["app"]
    assert doc["results"] == [{"server": "app", "action": "create", "ok": True, "step": None, "reason": None,
                               "revision": 1, "rolled_back": False, "still_live": None, "warnings": []}]

    project.write_lockfile(lockfile(npm="crash"))
    doc = parsed(project.run("apply", "--auto-approve", "--format", "json"), "apply", code=1)
    [failed] = doc["results"]
    assert (failed["ok"], failed["step"], failed["rolled_back"]) == (False, "testing", False)
    assert "exited with code 1" in failed["reason"] and failed["revision"] is None
    assert failed["still_live"] == {"revision": 1, "version": "1.0.0"}
    assert doc["summary"] == {"applied": 0, "failed": 1}

    project.write_lockfile(lockfile(npm="add_tool"))
    project.run("plan", "-o", "plan.json", "--detailed-exitcode", check=2)
    saved = parsed(project.run("show", "plan.json", "--format", "json"), "plan")
    doc = parsed(project.run("apply", "plan.json", "--format", "json"), "apply")
    assert doc["plan"]["lockfile"] == saved["lockfile"]
    assert (doc["results"][0]["revision"], doc["summary"]) == (2, {"applied": 1, "failed": 0})
    nothing = parsed(project.run("apply", "--format", "json"), "apply")  # no changes: no prompt
    assert nothing["results"] == [] and nothing["plan"]["changes"] == []

    back = project.run("rollback", "app", "--format", "json")
    doc = parsed(back, "apply")
    assert doc["plan"] is None and doc["results"][0]["revision"] == 3
    assert "lockfile still pins app at 1.1.0" in back.stderr

    report = parsed(project.run("test", "app", "--format", "json"), "report")  # 1.1.0 against live 1.0.0
    assert report["passed"] and report["tool_diff"]["added"] == ["reverse"]
    validator("report").validate(json.loads(Path(report["report_path"]).read_text()))
    for args in (["plan"], ["history"], ["status"], ["validate"], ["gc", "--dry-run"]):
        code = 2 if args == ["plan"] else 0
        parsed(project.run(*args, "--format", "json", *(["--detailed-exitcode"] if code else [])),
               SCHEMA_OF[args[0]], code=code)


PINS = textwrap.dedent(f"""\
    version: 1
    servers:
      calendar:
        source: npm
        package: "{cat.NPM_CALENDAR}"
        version: 2026.7.4
        update: {{constraint: "^2026.0.0", min_release_age_days: 3}}
      tiny:
        source: npm
        package: {cat.NPM_TINY}
        version: 1.1.0
    """)


def test_outdated_update_and_lock(capsys: pytest.CaptureFixture[str], tmp_path: Path, world: Any) -> None:
    path = tmp_path / "mcpstate.lock.yaml"
    path.write_text(PINS)
    rows = parsed(cli(capsys, tmp_path, "outdated", "--format", "json"), "outdated")["servers"]
    assert [(r["server"], r["wanted"], r["outdated"]) for r in rows] == [
        ("calendar", "2026.8.31", True), ("tiny", "1.1.0", False)]

    calendar = world.integrity("npm", cat.NPM_CALENDAR, "2026.8.31")
    move = {"server": "calendar", "from": "2026.7.4", "to": "2026.8.31", "integrity": calendar}
    dry = parsed(cli(capsys, tmp_path, "update", "--dry-run", "--format", "json"), "update")
    assert dry == {"format_version": "1", "dry_run": True, "moves": [move]} and path.read_text() == PINS
    done = parsed(cli(capsys, tmp_path, "update", "--format", "json"), "update")
    assert done["moves"] == [move] and "version: 2026.8.31" in path.read_text()

    tiny = world.integrity("npm", cat.NPM_TINY, "1.1.0")
    locked = parsed(cli(capsys, tmp_path, "lock", "--format", "json"), "lock")
    assert locked["filled"] == [{"server": "tiny", "version": "1.1.0", "integrity": tiny}]
    assert locked["checked"] == [{"server": "calendar", "version": "2026.8.31", "integrity": calendar}]
    assert [(c["server"], c["why"]) for c in locked["closures"]] == [("calendar", "new"), ("tiny", "new")]
    again = parsed(cli(capsys, tmp_path, "lock", "--format", "json"), "lock")
    assert again["filled"] == [] and [c["server"] for c in again["checked"]] == ["calendar", "tiny"]
    assert again["closures"] == []


def test_import(capsys: pytest.CaptureFixture[str], tmp_path: Path, world: Any) -> None:
    config = {"mcpServers": {
        "Tiny": {"command": "npx", "args": ["-y", f"{cat.NPM_TINY}@1.0.0"], "env": {"API_KEY": "sk-live-123456"}},
        "hub": {"type": "http", "url": "https://example.com/mcp",
                "headers": {"Authorization": "Bearer ghp_abc123456"}}}}
    (tmp_path / ".mcp.json").write_text(json.dumps(config))
    result = cli(capsys, tmp_path, "import", "--format", "json")
    doc = parsed(result, "import")
    assert [(a["server"], a["entry"], a["source"], a["version"]) for a in doc["added"]] == [
        ("tiny", "Tiny", "npm", "1.0.0"), ("hub", "hub", "remote", None)]
    assert doc["secret_variables"] == [{"variable": "API_KEY", "servers": ["tiny"]},
                                       {"variable": "HUB_TOKEN", "servers": ["hub"]}]
    assert any("renamed from 'Tiny'" in w for w in doc["warnings"])
    assert "sk-live" not in result.stdout + result.stderr and "ghp_" not in result.stdout + result.stderr
    again = parsed(cli(capsys, tmp_path, "import", "--format", "json"), "import")
    assert again["added"] == [] and len(again["warnings"]) == 2  # both already in the lockfile
