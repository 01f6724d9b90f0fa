"""Observed state: broken state.json and .mcp.json files give one clear error naming
the file and where; a newer state format is refused; entries are hashed stably."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mcpstate.errors import StateError
from mcpstate.model import Target
from mcpstate.state.file import load_state
from mcpstate.targets import observe_target
from mcpstate.state.layout import StateDir
from tests.helpers import run_cli, snapshot

LOCK = "version: 1\nservers:\n  a:\n    source: command\n    command: /bin/true\n"


def good_state() -> dict[str, object]:
    return {"format_version": 1, "mcpstate_version": "0.1.0", "lineage": "l-1", "serial": 4,
            "targets": {".mcp.json": "claude-code"},
            "servers": {"a": {"revision": 2, "source": "command", "package": None, "version": None,
                              "integrity": None, "store_path": None, "entries": {".mcp.json": "ab"},
                              "config": {"command": "/bin/true", "args": [], "env": {}}}}}


BROKEN_STATE = [
    ("{not json", "line 1 column 2"),
    ("[]", "expected a JSON object"),
    (json.dumps({**good_state(), "format_version": 3}), "newer mcpstate"),
    (json.dumps({**good_state(), "format_version": "1"}), "format_version"),
    (json.dumps({k: v for k, v in good_state().items() if k != "serial"}), "missing key 'serial'"),
    (json.dumps({**good_state(), "serial": -1}), "serial"),
    (json.dumps({**good_state(), "servers": {"a": {"revision": 1}}}), "servers.a: missing key"),
    (json.dumps({**good_state(), "servers": {"a": {**good_state()["servers"]["a"], "entries": [1]}}}),  # type: ignore[index]
     "entries"),
]


@pytest.mark.parametrize("text, fragment", BROKEN_STATE)
def test_broken_state_is_a_clear_error(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                       text: str, fragment: str) -> None:
    (tmp_path / "mcpstate.lock.yaml").write_text(LOCK)
    (tmp_path / ".mcpstate").mkdir()
    (tmp_path / ".mcpstate" / "state.json").write_text(text)
    before = snapshot(tmp_path)
    result = run_cli(capsys, tmp_path, "plan")
    assert result.code == 1
    assert "state.json" in result.err and fragment in result.err, result.err
    assert snapshot(tmp_path) == before


def test_good_state_loads(tmp_path: Path) -> None:
    (tmp_path / "state.json").write_text(json.dumps(good_state()))
    state = load_state(StateDir(tmp_path))
    assert state.serial == 4 and state.servers["a"].revision == 2
    assert state.targets == {".mcp.json": "claude-code"}


def test_absent_state_is_empty(tmp_path: Path) -> None:
    state = load_state(StateDir(tmp_path / "nowhere"))
    assert state.serial == 0 and state.servers == {} and state.lineage is None


def test_unreadable_state_dir_entry_raises_state_error(tmp_path: Path) -> None:
    (tmp_path / "state.json").mkdir()
    with pytest.raises(StateError):
        load_state(StateDir(tmp_path))


BROKEN_TARGETS = [
    ('{"mcpServers": {"a": {"command": "x"},}}', ".mcp.json:1:", "invalid JSON"),
    ('[1, 2]', ".mcp.json", "JSON object at the top"),
    ('{"mcpServers": []}', ".mcp.json", "mcpServers: expected an object"),
    ('{"mcpServers": {"a": "npx thing"}}', ".mcp.json", "mcpServers.a: expected an object"),
    (b'\xff\xfe{}', ".mcp.json", "not UTF-8"),
]


@pytest.mark.parametrize("content, where, fragment", BROKEN_TARGETS)
def test_broken_target_is_a_clear_error(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                        content: str | bytes, where: str, fragment: str) -> None:
    (tmp_path / "mcpstate.lock.yaml").write_text(LOCK)
    data = content if isinstance(content, bytes) else content.encode()
    (tmp_path / ".mcp.json").write_bytes(data)
    before = snapshot(tmp_path)
    result = run_cli(capsys, tmp_path, "plan")
    assert result.code == 1
    assert where in result.err and fragment in result.err, result.err
    assert snapshot(tmp_path) == before


def test_entry_hash_ignores_layout_but_not_content(tmp_path: Path) -> None:
    target = Target("claude-code", ".mcp.json")
    (tmp_path / ".mcp.json").write_text('{"mcpServers": {"a": {"command": "x", "args": ["1"]}}}')
    compact = observe_target(tmp_path, target)
    (tmp_path / ".mcp.json").write_text('{\n  "mcpServers": {\n    "a": {"args": ["1"],\n "command": "x"}\n  }\n}\n')
    spaced = observe_target(tmp_path, target)
    assert compact.entries == spaced.entries
    assert compact.sha256 != spaced.sha256
    (tmp_path / ".mcp.json").write_text('{"mcpServers": {"a": {"command": "x", "args": ["2"]}}}')
    assert observe_target(tmp_path, target).entries != compact.entries


def test_missing_target_is_empty(tmp_path: Path) -> None:
    found = observe_target(tmp_path, Target("claude-code", ".mcp.json"))
    assert not found.exists and found.entries == {} and found.sha256 is None
