"""`--format json` when a command fails: stdout holds exactly one JSON document, the
error document of schemas/error.schema.json (a bug and Ctrl-C too), while the
`error:` lines for people still go to stderr.

The commands are found by building each parser of `mcpstate.cli.COMMANDS`: a new
command that offers `--format json` is walked without anyone adding it here."""

from __future__ import annotations

import argparse
import importlib
import json
from pathlib import Path
from typing import Any

import pytest

from mcpstate.cli import COMMANDS
from mcpstate.errhandler import wants_json
from tests.commands.test_json_outputs import SCHEMA_OF, validator
from tests.helpers import Result, run_cli

GOOD_LOCKFILE = "version: 1\nservers:\n  app:\n    source: command\n    command: /bin/true\n"
LOCKFILES = {"no-lockfile": None, "broken-lockfile": "version: 1\nservers: [\n"}
MCP_JSON = '{"mcpServers": {"local": {"command": "/bin/true"}}}'  # for import: no registry asked

# Where a command still has a result without a readable lockfile, by design, it prints
# its own document (with this exit code) instead of the error document.
HAS_A_RESULT: dict[tuple[str, str], tuple[int, str]] = {
    **{("show", s): (0, "renders the saved plan it is given; never reads the lockfile") for s in LOCKFILES},
    **{("status", s): (1, "probes what the state records (monitoring is not blinded) and fails: lockfile.valid false")
       for s in LOCKFILES},
    ("history", "no-lockfile"): (0, "reads the journal of the default state dir; a broken lockfile may name "
                                    "another, so history fails on it like every command (context.py)"),
    **{("validate", s): (1, "an unreadable lockfile is its finding: valid false") for s in LOCKFILES},
    ("gc", "no-lockfile"): (0, "no lockfile: the default retention, and no state dir to collect"),
    ("import", "no-lockfile"): (0, "creates the lockfile"),
}


def json_parsers() -> dict[str, argparse.ArgumentParser]:
    """Every command whose own parser offers `--format json`, with that parser."""
    found = {}
    for command, (module, _) in COMMANDS.items():
        parser = argparse.ArgumentParser(prog=f"mcpstate {command}")
        importlib.import_module(f"mcpstate.commands.{module}").configure(parser)
        if any("--format" in a.option_strings and "json" in (a.choices or ()) for a in parser._actions):
            found[command] = parser
    return found


JSON_PARSERS = json_parsers()
VALUE_OF = {"NAME": "app", "FILE": "plan.json", "TERM": "memory",  # a required positional, by its metavar
            "NAME[@VERSION]": "io.github.example/memory"}
# Commands that ask the MCP Registry need no lockfile: here one that refuses connections
# (a closed local port) so nothing leaves the machine, and they fail with its error.
ASKS_THE_MCP_REGISTRY = {"search", "add"}
CLOSED = "http://127.0.0.1:9/"


def positionals(command: str) -> list[str]:
    """A value for each required positional argument of the command."""
    needed = [a.metavar for a in JSON_PARSERS[command]._actions
              if not a.option_strings and a.nargs not in ("?", "*", argparse.SUPPRESS)]
    unknown = [m for m in needed if m not in VALUE_OF]
    assert not unknown, f"{command}: give VALUE_OF a value for {unknown}"
    return [VALUE_OF[str(m)] for m in needed]


def one_document(result: Result) -> Any:
    """The whole of stdout as exactly one JSON document (json.loads refuses anything after it)."""
    assert result.out.strip(), f"nothing on stdout; stderr: {result.err}"
    return json.loads(result.out)


def error_document(result: Result, code: int = 1) -> dict[str, Any]:
    assert result.code == code, (result.code, result.out, result.err)
    doc = one_document(result)
    validator("error").validate(doc)
    assert doc["error"]["exit_code"] == code
    return doc["error"]  # type: ignore[no-any-return]


@pytest.fixture
def project(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    """A project with a saved plan (for show and apply FILE) and an .mcp.json (for import)."""
    (tmp_path / "mcpstate.lock.yaml").write_text(GOOD_LOCKFILE)
    assert run_cli(capsys, tmp_path, "plan", "-o", "plan.json").code == 0
    (tmp_path / ".mcp.json").write_text(MCP_JSON)
    return tmp_path


def test_the_walk_finds_the_commands_that_offer_json() -> None:
    assert {"plan", "apply", "import", "lock"} <= set(JSON_PARSERS) and "init" not in JSON_PARSERS
    assert {command for command, _ in HAS_A_RESULT} <= set(JSON_PARSERS)


@pytest.mark.parametrize("scenario", LOCKFILES)
@pytest.mark.parametrize("command", JSON_PARSERS)
def test_without_a_readable_lockfile_stdout_is_one_document(
        command: str, scenario: str, project: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MCPSTATE_MCP_REGISTRY", CLOSED)
    lockfile = project / "mcpstate.lock.yaml"
    lockfile.unlink()
    if LOCKFILES[scenario] is not None:
        lockfile.write_text(LOCKFILES[scenario])
    result = run_cli(capsys, project, command, *positionals(command), "--format", "json")
    if (command, scenario) in HAS_A_RESULT:
        code, _ = HAS_A_RESULT[command, scenario]
        assert result.code == code, (result.out, result.err)
        validator(SCHEMA_OF[command]).validate(one_document(result))
        return
    error = error_document(result)
    if command in ASKS_THE_MCP_REGISTRY and scenario == "no-lockfile":
        assert error["kind"] == "RegistryError" and CLOSED in error["message"]
        return
    assert error["kind"] == "LockfileError" and "mcpstate.lock.yaml" in error["message"]
    assert result.err.startswith(f"error: {error['message'].splitlines()[0]}\n")


@pytest.mark.parametrize("command", JSON_PARSERS)
def test_a_usage_error_after_format_json_is_one_error_document(
        command: str, project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    result = run_cli(capsys, project, command, *positionals(command), "--format=json", "--no-such-option")
    error = error_document(result)
    assert error["kind"] == "UsageError" and "--no-such-option" in error["message"]
    assert result.err == f"error: {error['message']}\n"


def test_text_mode_keeps_stdout_empty_on_failure(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    result = run_cli(capsys, tmp_path, "plan")
    assert result.code == 1 and result.out == "" and "no lockfile here" in result.err


def test_a_bug_is_one_error_document_with_the_log(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        raise ZeroDivisionError("planner bug")

    (tmp_path / "mcpstate.lock.yaml").write_text(GOOD_LOCKFILE)
    monkeypatch.setattr("mcpstate.plan.prepare.make_plan", broken)
    result = run_cli(capsys, tmp_path, "plan", "--format", "json")
    error = error_document(result, code=3)
    assert error["kind"] == "bug" and Path(error["log"]) == tmp_path / ".mcpstate" / "mcpstate.log"
    assert "ZeroDivisionError: planner bug" in Path(error["log"]).read_text()
    assert "Traceback" not in result.out + result.err and result.err.count("\n") == 1


def test_ctrl_c_is_one_error_document(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                      monkeypatch: pytest.MonkeyPatch) -> None:
    def interrupted(*args: object, **kwargs: object) -> None:
        raise KeyboardInterrupt

    (tmp_path / "mcpstate.lock.yaml").write_text(GOOD_LOCKFILE)
    monkeypatch.setattr("mcpstate.plan.prepare.make_plan", interrupted)
    result = run_cli(capsys, tmp_path, "plan", "--format", "json")
    assert error_document(result, code=130) == {"kind": "interrupted", "message": "interrupted",
                                                "exit_code": 130}
    assert result.err == "interrupted\n"


@pytest.mark.parametrize("argv, expected", [
    (["plan", "--format", "json"], True),
    (["plan", "--format=json"], True),
    (["plan", "--form", "json", "--bogus"], True),  # argparse accepts the abbreviation
    (["-C", "x", "plan", "--target", "a", "--format", "json"], True),
    (["plan", "--format", "json", "--format", "text"], False),  # the last one wins
    (["plan", "--format", "text"], False),
    (["plan", "--format"], False),
    (["plan", "--", "--format", "json"], False),
    (["plan"], False),
])
def test_json_is_read_from_the_command_line(argv: list[str], expected: bool) -> None:
    assert wants_json(argv) is expected
