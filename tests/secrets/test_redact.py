"""Redaction (DESIGN §11): every value resolved from a reference shows as `${VAR}` in
every message, report, journal line, log and JSON document, whatever its key."""

from __future__ import annotations

import json
import socket
import sys
from pathlib import Path

import pytest

from mcpstate.secrets import redact
from mcpstate.secrets.references import resolve
from mcpstate.errors import McpStateError

DSN = "postgres://svc:Sup3r-S3cret-Pw@db.internal/app"  # under a key that looks like nothing
API_KEY = "k-7f3a9c1e5b"


def test_resolved_values_are_redacted_however_spelled() -> None:
    value = 'pa ss"wörd/&x'
    assert resolve("x=${UPSTREAM}", {"UPSTREAM": value}, "[s] env") == f"x={value}"
    from urllib.parse import quote

    for spelled in (value, json.dumps(value)[1:-1], json.dumps(value, ensure_ascii=False)[1:-1],
                    repr(value)[1:-1], quote(value, safe="")):
        assert redact.redact(f"<{spelled}>") == "<${UPSTREAM}>", spelled


def test_defaults_short_values_numbers_and_locations_are_not_redacted() -> None:
    environ = {"DEBUG": "on", "FLAG": "true", "PORT": "8080", "YEAR": "2026", "HOME": "/home/alice"}
    resolve("${REGION:-eu-west-1} ${DEBUG} ${FLAG} ${PORT} ${YEAR} ${HOME}", environ, "[s] args")
    text = "eu-west-1 on, true at :8080 on 2026-01-02 in /home/alice/.local/share/mcpstate"
    assert redact.redact(text) == text


def test_the_longer_of_two_overlapping_values_wins() -> None:
    redact.remember("HOST", "db.internal")
    redact.remember("DSN", DSN)
    assert redact.redact(f"{DSN} and db.internal") == "${DSN} and ${HOST}"


def test_documents_are_redacted_string_by_string() -> None:
    redact.remember("UPSTREAM", DSN)
    doc = {"passed": False, "port": 8080, "failures": [f"exit 1: {DSN}"], DSN: (DSN, None)}
    assert redact.redact_data(doc) == {"passed": False, "port": 8080, "failures": ["exit 1: ${UPSTREAM}"],
                                       "${UPSTREAM}": ("${UPSTREAM}", None)}


def test_error_messages_and_the_bug_log_are_redacted(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from mcpstate.errhandler import handle_errors

    redact.remember("UPSTREAM", DSN)
    with handle_errors(["apply"]) as outcome:
        raise McpStateError(f"cannot reach {DSN}")
    assert outcome.code == 1 and capsys.readouterr().err == "error: cannot reach ${UPSTREAM}\n"
    with handle_errors(["apply"]) as outcome:
        outcome.state_dir = tmp_path / "state"
        raise RuntimeError(f"a bug holding {DSN!r}")
    log = (tmp_path / "state" / "mcpstate.log").read_text()
    assert outcome.code == 3 and DSN not in log and "a bug holding '${UPSTREAM}'" in log


def test_the_journal_holds_references_only(tmp_path: Path) -> None:
    from mcpstate.state.journal import open_journal, read_journal
    from mcpstate.state.layout import StateDir

    redact.remember("UPSTREAM", DSN)
    journal = open_journal(StateDir(tmp_path), "test")
    journal.append("0123456789ab", "apply", "s", "failed", detail={"reason": f"exit 1: {DSN}"})
    journal.close()
    assert DSN not in (tmp_path / "journal.jsonl").read_text()
    assert read_journal(StateDir(tmp_path)).records[0]["detail"] == {"reason": "exit 1: ${UPSTREAM}"}


# --- through the command line: a real failing server, a real unreachable url -------------------

LEAKY = f"""\
version: 1
servers:
  leaky:
    source: command
    command: /bin/sh
    args: ["-c", 'echo "connecting to $UPSTREAM" >&2; exit 1']
    env: {{UPSTREAM: "${{UPSTREAM_DSN}}"}}
    test: {{timeout_s: 5}}
"""


def files_holding(folder: Path, text: str) -> list[str]:
    return [str(p) for p in folder.rglob("*") if p.is_file() and text.encode() in p.read_bytes()]


@pytest.mark.parametrize("fmt", ["text", "json"])
def test_a_failing_servers_stderr_never_shows_the_resolved_value(project, fmt: str) -> None:  # type: ignore[no-untyped-def]
    project.write_lockfile(LEAKY)
    project.env["UPSTREAM_DSN"] = DSN
    result = project.run("apply", "--auto-approve", "--format", fmt, check=1)
    assert DSN not in result.stdout + result.stderr
    assert "connecting to ${UPSTREAM_DSN}" in result.stdout
    if fmt == "json":
        json.loads(result.stdout)
    state_dir = project.path / ".mcpstate"
    assert files_holding(state_dir, DSN) == []
    report = json.loads(next((state_dir / "reports").glob("leaky-*.json")).read_text())
    assert report["stderr_tail"] == ["connecting to ${UPSTREAM_DSN}"]
    assert "connecting to ${UPSTREAM_DSN}" in (state_dir / "journal.jsonl").read_text()


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_an_unreachable_url_names_the_variable_not_its_value(project) -> None:  # type: ignore[no-untyped-def]
    url = f"http://127.0.0.1:{closed_port()}/mcp?api_key=${{WEATHER_API_KEY}}"
    project.write_lockfile(f"version: 1\nservers:\n  weather:\n    source: remote\n    url: \"{url}\"\n"
                           "    test: {timeout_s: 5}\n")
    project.env["WEATHER_API_KEY"] = API_KEY
    for fmt in ("text", "json"):
        result = project.run("test", "weather", "--format", fmt, check=1)
        assert API_KEY not in result.stdout + result.stderr
        assert "unreachable at http://127.0.0.1:" in result.stdout
        assert "/mcp?api_key=${WEATHER_API_KEY}" in result.stdout
    applied = project.run("apply", "--auto-approve", check=1)
    assert API_KEY not in applied.stdout + applied.stderr and "api_key=${WEATHER_API_KEY}" in applied.stdout
    assert files_holding(project.path / ".mcpstate", API_KEY) == []


def test_status_output_file_is_redacted(project) -> None:  # type: ignore[no-untyped-def]
    down = project.path / "down"  # once it exists, the server prints the value and exits
    fixture = Path(__file__).parents[2] / "testing" / "servers" / "fixture_server.py"
    script = f'if [ -e {down} ]; then echo "down: $UPSTREAM" >&2; exit 1; fi; exec {sys.executable} {fixture}'
    project.write_lockfile(LEAKY.replace('\'echo "connecting to $UPSTREAM" >&2; exit 1\'', repr(script)))
    project.env["UPSTREAM_DSN"] = DSN
    project.run("apply", "--auto-approve", check=True)
    down.touch()
    project.run("status", "--format", "json", "--output", "status.json", check=1)
    saved = project.read("status.json")
    assert DSN not in saved and "down: ${UPSTREAM_DSN}" in saved
    shown = project.run("status", check=1)
    assert DSN not in shown.stdout + shown.stderr and "down: ${UPSTREAM_DSN}" in shown.stdout
