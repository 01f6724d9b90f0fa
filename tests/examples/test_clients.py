"""The test helper that expands each client's own variables, before the Inspector gets an
entry: exactly that client's variables, and a variable of another client left as written."""

from __future__ import annotations

import json

import pytest

from testing.clients import UnresolvedVariable, expand_claude_code, expand_vscode
from tests.examples.clients import inspector_config

ENV = {"HOME": "/home/u", "TOKEN": "t0k"}


def test_claude_code_expands_the_environment_with_defaults() -> None:
    entry = {"command": "${HOME}/.local/share/mcpstate/store/x/bin/s",
             "args": ["--level", "${LEVEL:-info}", "${TOKEN:-unused}"],
             "env": {"AUTH": "Bearer ${TOKEN}", "DIR": "${workspaceFolder:-.}"}}
    assert expand_claude_code(entry, ENV) == {
        "command": "/home/u/.local/share/mcpstate/store/x/bin/s",
        "args": ["--level", "info", "t0k"], "env": {"AUTH": "Bearer t0k", "DIR": "."}}


@pytest.mark.parametrize("text", ["${userHome}/bin/s", "${MISSING}"])
def test_claude_code_refuses_what_it_cannot_resolve(text: str) -> None:
    with pytest.raises(UnresolvedVariable):
        expand_claude_code({"command": text}, ENV)


def test_vscode_expands_its_own_variables_and_leaves_others() -> None:
    entry = {"type": "stdio", "command": "${userHome}/.local/share/mcpstate/store/x/bin/s",
             "args": ["${workspaceFolder}/data", "${env:TOKEN}", "${env:UNSET}", "${HOME}"]}
    assert expand_vscode(entry, ENV, "/home/u", "/work/p") == {
        "type": "stdio", "command": "/home/u/.local/share/mcpstate/store/x/bin/s",
        "args": ["/work/p/data", "t0k", "", "${HOME}"]}
    with pytest.raises(UnresolvedVariable):
        expand_vscode({"args": ["${input:token}"]}, ENV, "/home/u", "/work/p")


def test_inspector_config_takes_each_clients_file() -> None:
    vscode = '{\n  // comment\n  "servers": {"s": {"type": "stdio", "command": "${userHome}/s"}}\n}'
    assert inspector_config("vscode", vscode, ENV, "/w") == {
        "mcpServers": {"s": {"type": "stdio", "command": "/home/u/s"}}}
    claude = json.dumps({"mcpServers": {"s": {"command": "${HOME}/s", "args": []}}})
    assert inspector_config("claude-code", claude, ENV, "/w") == {
        "mcpServers": {"s": {"command": "/home/u/s", "args": []}}}
