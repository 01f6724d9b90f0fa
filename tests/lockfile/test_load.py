"""The lockfile loader: every broken lockfile gets one clear error per problem, naming
file, line and key path; exit 1; nothing written."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from mcpstate.errors import LockfileError
from mcpstate.lockfile.load import load_lockfile
from tests.helpers import run_cli, snapshot

GOOD = """\
version: 1
servers:
  memory:
    source: npm
    package: "@modelcontextprotocol/server-memory"
    version: 2026.8.31
"""

# (lockfile text, expected key path, a fragment of the message, expected line)
BROKEN = [
    ("version: 1\nservers: [\n", None, "invalid YAML", 3),
    ("version: 1\nservers:\n  a:\n    source: npm\n   package: x\n", None, "invalid YAML", 5),
    ("- just\n- a list\n", None, "must be a mapping", 1),
    ("version: 2\nservers: {}\n", "version", "newer than this mcpstate", 1),
    ("version: '1'\nservers: {}\n", "version", "must be 1", 1),
    ("servers: {}\n", None, "missing required key 'version'", 1),
    ("version: 1\n", None, "missing required key 'servers'", 1),
    ("version: 1\nservers: {}\ntargetz: []\n", "targetz", "unknown key 'targetz' (did you mean 'targets'?)", 3),
    ("version: 1\nservers:\n  m:\n    source: npm\n    package: p\n    version: '^1.0'\n",
     "servers.m.version", "'^1.0' is not an exact version", 6),
    ("version: 1\nservers:\n  m:\n    source: npm\n    package: p\n    version: '>=1.0.0'\n",
     "servers.m.version", "not an exact version", 6),
    ("version: 1\nservers:\n  m:\n    source: pypi\n    package: p\n    version: '~=1.0'\n",
     "servers.m.version", "not an exact version", 6),
    ("version: 1\nservers:\n  m:\n    source: npm\n    package: p\n    version: 1.0\n",
     "servers.m.version", "expected a string, got the number 1.0", 6),
    ("version: 1\nservers:\n  m:\n    source: npm\n    package: p\n    version: 2026-08-31\n",
     "servers.m.version", "a date", 6),
    ("version: 1\nservers:\n  ../x:\n    source: command\n    command: /bin/true\n",
     'servers["../x"]', "not a valid server name", 3),
    ("version: 1\nservers:\n  Memory:\n    source: command\n    command: /bin/true\n",
     "servers.Memory", "not a valid server name", 3),
    ("version: 1\nservers:\n  m:\n    source: ftp\n", "servers.m.source", "not one of: npm, pypi", 4),
    ("version: 1\nservers:\n  m:\n    source: npm\n    version: 1.0.0\n", "servers.m", "needs 'package'", 3),
    ("version: 1\nservers:\n  m:\n    source: remote\n", "servers.m", "needs 'url'", 3),
    ("version: 1\nservers:\n  m:\n    source: command\n    command: x\n    args: x\n",
     "servers.m.args", "expected a list", 6),
    ("version: 1\nservers:\n  m:\n    source: command\n    command: x\n    env: {PORT: 80}\n",
     "servers.m.env.PORT", "expected a string", 6),
    ("version: 1\nservers:\n  m:\n    source: command\n    command: x\n    env: {GITHUB_TOKEN: ghp_abc123}\n",
     "servers.m.env.GITHUB_TOKEN", "looks like a secret", 6),
    ("version: 1\nservers:\n  m:\n    source: remote\n    url: https://x/\n    headers: {Authorization: Bearer abc123}\n",
     "servers.m.headers.Authorization", "looks like a secret", 6),
    ("version: 1\nservers:\n  m:\n    source: command\n    command: x\n    env: {apiKey: '${K:-abc}'}\n",
     "servers.m.env.apiKey", "literal default", 6),
    ("version: 1\nservers:\n  m:\n    source: command\n    command: x\n    env: {A: '${oops'}\n",
     "servers.m.env.A", "malformed reference", 6),
    ("version: 1\nservers:\n  m:\n    source: command\n    command: x\n  m:\n    source: command\n    command: y\n",
     None, "duplicate key 'm' (first at line 3)", 6),
    ("version: 1\nservers:\n  m:\n    source: command\n    command: x\n    package: p\n",
     "servers.m.package", "does not apply to a server with source: command", 6),
    ("version: 1\nservers:\n  m:\n    source: npm\n    package: 'Bad Name'\n    version: 1.0.0\n",
     "servers.m.package", "not a valid npm package name", 5),
    ("version: 1\nservers:\n  m:\n    source: npm\n    package: p\n    version: 1.0.0\n    integrity: sha256:" + "0" * 64 + "\n",
     "servers.m.integrity", "starts with 'sha512-'", 7),
    ("version: 1\nservers:\n  m:\n    source: npm\n    package: p\n    version: 1.0.0\n    integrity: md5-xyz\n",
     "servers.m.integrity", "is not", 7),
    ("version: 1\ntargets:\n  - {client: emacs}\nservers: {}\n", "targets[0].client", "not one of", 3),
    ("version: 1\ntargets:\n  - {client: cursor}\n  - {client: cursor}\nservers: {}\n",
     "targets[1]", "listed twice", 4),
    ("version: 1\nservers:\n  m:\n    source: command\n    command: x\n    test: {timeout_s: 0}\n",
     "servers.m.test.timeout_s", "must be more than 0", 6),
    ("version: 1\nservers:\n  m:\n    source: command\n    command: x\n    test: {on_breaking: ignore}\n",
     "servers.m.test.on_breaking", "not one of: fail, warn", 6),
    ("version: 1\nservers:\n  m:\n    source: command\n    command: x\n    protected: yes please\n",
     "servers.m.protected", "expected true or false", 6),
    ("version: 1\nservers:\n  m:\n    source: npm\n    package: p\n    version: 1.0.0\n    update: {constraint: '^^1'}\n",
     "servers.m.update.constraint", "not a valid npm version range", 7),
    ("version: 1\nservers:\n  ? [a, b]\n  : x\n", None, "plain value", 3),
]


DEEP_ONLY = {"not a valid npm version range"}


@pytest.mark.parametrize("text, key, fragment, line", BROKEN,
                         ids=[f"case{i}" for i in range(len(BROKEN))])
def test_broken_lockfile_names_file_line_and_key(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                 text: str, key: str | None, fragment: str, line: int) -> None:
    (tmp_path / "mcpstate.lock.yaml").write_text(text)
    (tmp_path / ".mcp.json").write_text('{"mcpServers": {}}\n')
    before = snapshot(tmp_path)
    result = run_cli(capsys, tmp_path, "validate")
    assert result.code == 1
    assert result.out == ""
    errors = result.err.strip().splitlines()
    match = [e for e in errors if fragment in e]
    assert match, result.err
    assert re.match(rf"error: (\S*/)?mcpstate\.lock\.yaml:{line}:\d+: ", match[0]), match[0]
    if key is not None:
        assert f": {key}: " in match[0]
    assert snapshot(tmp_path) == before  # nothing written, no state dir made
    if fragment not in DEEP_ONLY:  # validate runs the slow version parsers; plan does not
        assert run_cli(capsys, tmp_path, "plan").code == 1


def test_every_problem_is_reported_at_once(tmp_path: Path) -> None:
    path = tmp_path / "mcpstate.lock.yaml"
    path.write_text("version: 1\nservers:\n  a:\n    source: npm\n    package: p\n    version: '^1'\n"
                    "  b:\n    source: command\n    comand: x\n  c:\n    source: remote\n    url: ftp://x\n")
    with pytest.raises(LockfileError) as info:
        load_lockfile(path)
    messages = info.value.problems
    assert len(messages) == 4, messages
    assert [m.split(":")[1] for m in messages] == ["6", "7", "9", "12"]  # in document order


def test_good_lockfile_builds_the_model(tmp_path: Path) -> None:
    path = tmp_path / "mcpstate.lock.yaml"
    path.write_text(GOOD + "    env: {MEMORY_FILE_PATH: /var/m.json, TOKEN: '${MEM_TOKEN}'}\n"
                    "    test: {required_tools: [read_graph], smoke: [{tool: read_graph}]}\n"
                    "defaults:\n  test: {timeout_s: 10, max_rss_mb: 100}\n")
    lockfile = load_lockfile(path)
    memory = lockfile.servers["memory"]
    assert memory.version == "2026.8.31"
    assert memory.env["TOKEN"] == "${MEM_TOKEN}"
    assert memory.test.timeout_s == 10 and memory.test.max_rss_mb == 100  # defaults merged
    assert memory.test.required_tools == ("read_graph",)
    assert memory.test.smoke[0].tool == "read_graph"
    assert [t.path for t in lockfile.targets] == [".mcp.json"]  # the default target
    assert len(lockfile.sha256) == 64


def test_missing_lockfile_says_how_to_start(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    result = run_cli(capsys, tmp_path, "plan")
    assert result.code == 1
    assert "no lockfile here" in result.err and "mcpstate init" in result.err


def test_example_lockfile_is_valid() -> None:
    root = Path(__file__).parents[2]
    for path in [root / "lockfile.example.yaml", *sorted((root / "examples").rglob("*.lock.yaml"))]:
        load_lockfile(path, deep=True)


SECRETS_LOCKFILE = """\
version: 1
servers:
  gh:
    source: command
    command: /usr/bin/gh-mcp
    args:
      - --token
      - ghp_abcdefghijklmnopqrstuvwxyz0123456789
      - --api-key=k-123456
      - postgres://app:pw0rd@db.internal/app
    env: {GITHUB_TOKEN: tok-literal, LOG_LEVEL: debug}
  weather:
    source: remote
    url: https://api.example.com/mcp?region=eu&api_key=k-abcdef
    headers: {X-Api-Key: xyz-literal, Accept: application/json}
"""


def test_literal_secrets_are_refused_where_they_stand(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """args (after a flag, --flag=value, URL userinfo), url query, headers and env: each
    named by line, column and key path, with the reference to write instead."""
    (tmp_path / "mcpstate.lock.yaml").write_text(SECRETS_LOCKFILE)
    result = run_cli(capsys, tmp_path, "validate")
    assert result.code == 1 and result.out == ""
    errors = [re.sub(r"^error: (\S*/)?mcpstate\.lock\.yaml:", "", line) for line in result.err.splitlines()]
    assert [e.split(": ")[:2] for e in errors] == [
        ["8:9", "servers.gh.args[1]"], ["9:9", "servers.gh.args[2]"], ["10:9", "servers.gh.args[3]"],
        ["11:11", "servers.gh.env.GITHUB_TOKEN"], ["14:5", "servers.weather.url"],
        ["15:15", "servers.weather.headers.X-Api-Key"]]
    assert all("looks like a secret" in e for e in errors), errors
    for suggestion in ("${GH_TOKEN}", "--api-key=${GH_API_KEY}", "postgres://app:${GH_PASSWORD}@db.internal/app",
                       "${GITHUB_TOKEN}", "https://api.example.com/mcp?region=eu&api_key=${WEATHER_API_KEY}",
                       "${WEATHER_X_API_KEY}"):
        assert sum(suggestion in e for e in errors) == 1, (suggestion, errors)
    for literal in ("ghp_abc", "k-123456", "pw0rd", "tok-literal", "k-abcdef", "xyz-literal"):
        assert literal not in result.err  # an error message must not spread the secret
    assert run_cli(capsys, tmp_path, "plan").code == 1


def test_ordinary_values_are_no_secrets(tmp_path: Path) -> None:
    path = tmp_path / "mcpstate.lock.yaml"
    path.write_text(GOOD + "    args: [--keyboard, us, --token, '${MEM_TOKEN}', --max-tokens, '4096',\n"
                    "           --key, /etc/ssl/private/mem.key, 'postgres://app@db/app', --no-auth, x,\n"
                    "           --header, 'Authorization: Bearer ${MEM_TOKEN}', 'https://h/?page=2']\n"
                    "    env: {KEYBOARD_LAYOUT: us, MAX_TOKENS: '4096', AUTHOR: Jane, API_KEY_FILE: /run/k,\n"
                    "          DATABASE_URL: 'postgres://app:${DB_PASSWORD}@db/app', SORT_KEY: name}\n")
    assert load_lockfile(path).servers["memory"].env["SORT_KEY"] == "name"
