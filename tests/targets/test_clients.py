"""Every client format (DESIGN §2, §11): Cursor, VS Code (JSONC) and Claude Desktop next
to Claude Code. Realistic files round-trip (only managed entries change, key order
kept), each written entry launches its server as its client would expand it, secrets
stay references except in Claude Desktop's private file, and targets come and go."""

from __future__ import annotations

import json
import os
import re
import stat
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest

from mcpstate.errors import TargetError
from mcpstate.model import Launch as ModelLaunch
from mcpstate.model import Target
from mcpstate.targets import file_mode, observe_target, read_target, render_for
from mcpstate.targets import jsonc
from tests.applyhelp import lockfile, read_json

SECRET = "s3cr3t-tok-8f2c9a71"
FIXTURE_SERVER = Path(__file__).resolve().parents[2] / "testing/servers/fixture_server.py"
PATHS = {"claude-code": ".mcp.json", "cursor": ".cursor/mcp.json", "vscode": ".vscode/mcp.json",
         "claude-desktop": "claude_desktop_config.json"}
KEYS = {"claude-code": "mcpServers", "cursor": "mcpServers", "vscode": "servers",
        "claude-desktop": "mcpServers"}

# What each client's users have in these files besides mcpstate's entries.
EXISTING = {
    "claude-code": """{
  "mcpServers": {
    "filesystem": {"command": "npx", "args": ["-y", "@modelcontextprotocol/server-filesystem", "/srv"]}
  },
  "zz_note": "kept"
}
""",
    "cursor": """{
    "mcpServers": {
        "linear": {"url": "https://mcp.linear.app/sse"},
        "figma": {
            "command": "npx",
            "args": ["-y", "figma-developer-mcp", "--stdio"],
            "env": {"FIGMA_API_KEY": "${env:FIGMA_API_KEY}"}
        }
    }
}
""",
    "vscode": """// Team MCP servers. See https://code.visualstudio.com/docs/copilot/chat/mcp-servers
{
  "inputs": [
    {"type": "promptString", "id": "gh-token", "description": "GitHub PAT", "password": true},
  ],
  "servers": {
    /* the team's GitHub server:
       a personal token, asked once */
    "github": {
      "type": "http",
      "url": "https://api.githubcopilot.com/mcp/",
      "headers": {"Authorization": "Bearer ${input:gh-token}"}, // not a comment: "//"
    },
    "playwright": {"type": "stdio", "command": "npx", "args": ["@playwright/mcp@0.0.41",],},
  },
  "sandbox": {"enabled": false}
}
""",
    "claude-desktop": """{
  "globalShortcut": "Ctrl+Space",
  "mcpServers": {
    "filesystem": {"command": "npx", "args": ["-y", "@modelcontextprotocol/server-filesystem", "/Users/me"]}
  },
  "preferences": {"menuBarEnabled": true, "quickEntryShortcut": "off"}
}
""",
}

ENV_BLOCK = ('    env: {API_TOKEN: "${API_TOKEN}", REGION: "${REGION:-eu-west}"}\n')


def targets_yaml(clients: list[str]) -> str:
    rows = "".join(f"  - {{client: {c}, path: {PATHS[c]}}}\n" for c in clients)
    return f"targets:\n{rows}"


def npm_lockfile(clients: list[str], extra: str = "") -> str:
    return targets_yaml(clients) + lockfile(npm="healthy") + ENV_BLOCK + extra


def parse_file(client: str, path: Path) -> Any:
    text = path.read_text()
    return jsonc.parse(text) if client == "vscode" else json.loads(text)


# --- what a client does with an entry -----------------------------------------------

def assert_launches(client: str, entry: dict[str, Any], environ: Mapping[str, str],
                    project: Path | None = None) -> Any:
    """The entry launches its server as `client` would start it (testing/clients.py)."""
    from mcpstate.model import TestSpec
    from mcpstate.probe import probe
    from testing.clients import as_client

    if client in ("claude-desktop", "codex"):
        assert "${" not in json.dumps(entry), f"{client} expands nothing, yet found {entry!r}"
    launch = as_client(client, entry, project or Path.cwd(), environ)
    report = probe(launch, TestSpec(timeout_s=10))
    assert report.passed, (client, report.failures)
    return launch


def assert_only_managed_changed(client: str, before: Any, after: Any, managed: list[str]) -> None:
    key = KEYS[client]
    assert list(after) == list(before) + ([key] if key not in before else [])  # key order
    unmanaged_after = {k: v for k, v in after[key].items() if k not in managed}
    assert unmanaged_after == before.get(key, {})
    assert list(after[key]) == list(before.get(key, {})) + managed  # appended, in lockfile order
    assert {k: v for k, v in after.items() if k != key} == {k: v for k, v in before.items() if k != key}


# --- round trips through a real apply -------------------------------------------------

STDIO_CLIENTS = ["claude-code", "cursor", "vscode", "claude-desktop"]


@pytest.mark.slow
def test_every_client_round_trips_and_each_entry_launches(project) -> None:  # type: ignore[no-untyped-def]
    for client in STDIO_CLIENTS:
        project.write(PATHS[client], EXISTING[client])
    before = {c: parse_file(c, project.path / PATHS[c]) for c in STDIO_CLIENTS}
    project.write_lockfile(npm_lockfile(STDIO_CLIENTS))
    project.env["API_TOKEN"] = SECRET  # REGION unset: its default applies
    env = project.env
    plan = project.run("plan", check=True)
    assert "has comments" not in plan.stdout + plan.stderr  # they survive: entries are spliced in
    project.run("apply", "--auto-approve", check=True)
    assert_comments_kept(EXISTING["vscode"], (project.path / PATHS["vscode"]).read_text())
    for client in STDIO_CLIENTS:
        after = parse_file(client, project.path / PATHS[client])
        assert_only_managed_changed(client, before[client], after, ["app"])
        entry = after[KEYS[client]]["app"]
        launch = assert_launches(client, entry, env)
        assert (launch.args, dict(launch.env)) == (("--flag",), {"API_TOKEN": SECRET, "REGION": "eu-west"})
    vscode_entry = read_target(project.path, Target("vscode", PATHS["vscode"])).entries["app"]
    assert vscode_entry["type"] == "stdio"
    assert vscode_entry["env"] == {"API_TOKEN": "${env:API_TOKEN}", "REGION": "eu-west"}
    assert read_json(project.path / PATHS["cursor"])["mcpServers"]["app"]["env"]["REGION"] == "eu-west"
    project.run("plan", "--detailed-exitcode", check=0)  # what was written is what is recorded


@pytest.mark.slow
def test_remote_entries_in_each_client_that_has_them(project, world) -> None:  # type: ignore[no-untyped-def]
    clients = ["claude-code", "cursor", "vscode"]
    for client in clients:
        project.write(PATHS[client], EXISTING[client])
    before = {c: parse_file(c, project.path / PATHS[c]) for c in clients}
    url = world.remote("healthy").url
    project.write_lockfile(targets_yaml(clients) + (
        "version: 1\nservers:\n  web:\n    source: remote\n"
        f"    url: {url}\n    headers: {{Authorization: \"Bearer ${{API_TOKEN}}\"}}\n"))
    project.env["API_TOKEN"] = SECRET
    project.run("apply", "--auto-approve", check=True)
    written = {}
    for client in clients:
        after = parse_file(client, project.path / PATHS[client])
        assert_only_managed_changed(client, before[client], after, ["web"])
        written[client] = after[KEYS[client]]["web"]
        launch = assert_launches(client, written[client], project.env)
        assert launch.headers == {"Authorization": f"Bearer {SECRET}"}
    assert written["claude-code"] == {"type": "http", "url": url,
                                      "headers": {"Authorization": "Bearer ${API_TOKEN}"}}
    assert written["cursor"] == {"url": url, "headers": {"Authorization": "Bearer ${env:API_TOKEN}"}}
    assert written["vscode"] == {"type": "http", "url": url,
                                 "headers": {"Authorization": "Bearer ${env:API_TOKEN}"}}


# --- secrets (§11) ---------------------------------------------------------------------

def files_holding(folder: Path, value: str) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.is_file() and value.encode() in p.read_bytes())


@pytest.mark.slow
def test_secret_is_a_reference_everywhere_but_the_private_desktop_file(project) -> None:  # type: ignore[no-untyped-def]
    desktop = project.write(PATHS["claude-desktop"], EXISTING["claude-desktop"])
    desktop.chmod(0o644)  # as the app or an editor leaves it
    project.write_lockfile(npm_lockfile(STDIO_CLIENTS))
    project.env["API_TOKEN"] = SECRET
    project.run("apply", "--auto-approve", check=True)
    refs = {"claude-code": "${API_TOKEN}", "cursor": "${env:API_TOKEN}", "vscode": "${env:API_TOKEN}"}
    for client, ref in refs.items():
        text = (project.path / PATHS[client]).read_text()
        assert SECRET not in text
        assert parse_file(client, project.path / PATHS[client])[KEYS[client]]["app"]["env"]["API_TOKEN"] == ref
    assert read_json(desktop)["mcpServers"]["app"]["env"]["API_TOKEN"] == SECRET
    assert stat.S_IMODE(os.stat(desktop).st_mode) == 0o600
    state_dir = project.path / ".mcpstate"
    assert files_holding(state_dir, SECRET) == []
    assert list((state_dir / "reports").iterdir()) and (state_dir / "journal.jsonl").exists()
    # An update backs the desktop file up (§3 backups, for point-in-time restore): that copy
    # holds the value as the file does, and is as private; state, journal, reports never do.
    project.write_lockfile(npm_lockfile(STDIO_CLIENTS).replace("args: [--flag]", "args: [--flag, -v]"))
    plan = project.run("plan", "-o", "plan.json", check=True)
    assert SECRET not in plan.stdout + plan.stderr + (project.path / "plan.json").read_text()
    project.run("apply", "plan.json", check=True)
    holding = files_holding(state_dir, SECRET)
    assert all(p.parent.name == "backups" and p.name.startswith("claude_desktop_config.json.")
               for p in holding), holding
    assert all(stat.S_IMODE(os.stat(p).st_mode) == 0o600 for p in holding)
    assert stat.S_IMODE(os.stat(desktop).st_mode) == 0o600


def test_desktop_file_mode_is_private_and_others_keep_theirs() -> None:
    assert file_mode("claude-desktop") == 0o600
    assert [file_mode(c) for c in ("claude-code", "cursor", "vscode")] == [None, None, None]


def test_unset_secret_fails_desktop_render_naming_the_variable() -> None:
    launch = ModelLaunch(command="/bin/srv", env={"API_TOKEN": "${API_TOKEN}"})
    with pytest.raises(Exception, match=r"\[app\] env\.API_TOKEN: environment variable API_TOKEN is not set"):
        render_for("claude-desktop", launch, {}, "app")


# --- rendering rules, without an apply --------------------------------------------------

STDIO = ModelLaunch(command="/store/bin/srv", args=("--root", "${ROOT:-/srv}"),
                    env={"API_TOKEN": "${API_TOKEN}", "REGION": "${REGION:-eu}"})


@pytest.mark.parametrize("environ, region, root", [
    ({}, "eu", "/srv"),                                                # unset: the default, written out
    ({"REGION": "us", "ROOT": "/data"}, "${env:REGION}", "${env:ROOT}"),  # set: the client reads it
])
def test_env_colon_clients_settle_defaults_at_apply_time(environ: dict[str, str], region: str,
                                                         root: str) -> None:
    for client in ("cursor", "vscode"):
        entry = render_for(client, STDIO, environ, "app")
        assert entry["env"] == {"API_TOKEN": "${env:API_TOKEN}", "REGION": region}
        assert entry["args"] == ["--root", root]


def test_claude_code_keeps_its_default_syntax() -> None:
    entry = render_for("claude-code", STDIO, {}, "app")
    assert entry["env"]["REGION"] == "${REGION:-eu}" and entry["args"][1] == "${ROOT:-/srv}"


def test_entry_shapes() -> None:
    remote = ModelLaunch(url="https://mcp.example/sse", headers={"X-Key": "${K}"}, transport="sse")
    assert render_for("vscode", remote, {}, "r") == {"type": "sse", "url": "https://mcp.example/sse",
                                                     "headers": {"X-Key": "${env:K}"}}
    assert render_for("cursor", remote, {}, "r") == {"url": "https://mcp.example/sse",
                                                     "headers": {"X-Key": "${env:K}"}}
    bare = ModelLaunch(command="srv")
    assert render_for("vscode", bare, {}, "s") == {"type": "stdio", "command": "srv", "args": []}
    assert render_for("claude-desktop", bare, {}, "s") == {"command": "srv", "args": []}


def test_claude_desktop_refuses_remote_servers_clearly() -> None:
    remote = ModelLaunch(url="https://mcp.example/mcp?key=${K}", headers={"Authorization": "Bearer ${T}"})
    with pytest.raises(TargetError) as caught:
        render_for("claude-desktop", remote, {"K": SECRET, "T": SECRET}, "web")
    message = str(caught.value)
    assert "claude-desktop cannot launch a remote server" in message and "mcp-remote" in message
    assert SECRET not in message


@pytest.mark.slow
def test_desktop_with_a_remote_server_is_refused_up_front(project, world) -> None:  # type: ignore[no-untyped-def]
    project.write(PATHS["claude-desktop"], EXISTING["claude-desktop"])
    before = (project.path / PATHS["claude-desktop"]).read_bytes()
    project.write_lockfile(targets_yaml(["claude-code", "claude-desktop"]) + (
        f"version: 1\nservers:\n  web:\n    source: remote\n    url: {world.remote('healthy').url}\n"
        f"  tool:\n    source: command\n    command: {sys.executable}\n    args: [{FIXTURE_SERVER}]\n"))
    for command in (("validate",), ("plan",), ("apply", "--auto-approve")):
        result = project.run(*command, check=1)
        assert "servers.web.source: claude-desktop (a target here) cannot launch a remote server" in result.stderr
    assert (project.path / PATHS["claude-desktop"]).read_bytes() == before
    assert not (project.path / ".mcpstate").exists()


# --- several targets: add one, remove one (planner `targets`) ----------------------------

@pytest.mark.slow
def test_adding_and_removing_a_cursor_target(project) -> None:  # type: ignore[no-untyped-def]
    project.write(PATHS["cursor"], EXISTING["cursor"])
    cursor_before = read_json(project.path / PATHS["cursor"])
    text = lockfile(npm="healthy", pypi="healthy")
    project.write_lockfile(targets_yaml(["claude-code"]) + text)
    project.run("apply", "--auto-approve", check=True)
    assert (project.path / PATHS["cursor"]).read_text() == EXISTING["cursor"]

    project.write_lockfile(targets_yaml(["claude-code", "cursor"]) + text)
    plan = json.loads(project.run("plan", "--format", "json", check=True).stdout)
    assert {(c["server"], c["action"], c["action_reason"]) for c in plan["changes"]} == {
        ("app", "update", "targets"), ("py", "update", "targets")}
    assert "targets: + .cursor/mcp.json" in project.run("plan", check=True).stdout
    project.run("apply", "--auto-approve", check=True)
    cursor = read_json(project.path / PATHS["cursor"])
    assert_only_managed_changed("cursor", cursor_before, cursor, ["app", "py"])
    for name in ("app", "py"):
        assert_launches("cursor", cursor["mcpServers"][name], project.env)
    state = read_json(project.path / ".mcpstate" / "state.json")
    assert sorted(state["servers"]["app"]["entries"]) == [".cursor/mcp.json", ".mcp.json"]
    project.run("plan", "--detailed-exitcode", check=0)

    project.write_lockfile(targets_yaml(["claude-code"]) + text)
    assert "targets: - .cursor/mcp.json" in project.run("plan", check=True).stdout
    project.run("apply", "--auto-approve", check=True)
    assert read_json(project.path / PATHS["cursor"]) == cursor_before  # theirs stay, ours are gone
    assert sorted(read_json(project.path / ".mcp.json")["mcpServers"]) == ["app", "py"]
    state = read_json(project.path / ".mcpstate" / "state.json")
    assert list(state["servers"]["app"]["entries"]) == [".mcp.json"]
    project.run("plan", "--detailed-exitcode", check=0)


# --- VS Code's comments -----------------------------------------------------------------

def assert_comments_kept(before: str, after: str) -> None:
    comments = [line.strip() for line in before.splitlines() if line.strip().startswith("//")]
    assert comments and all(comment in after for comment in comments)


def test_vscode_comments_survive_an_apply(project) -> None:  # type: ignore[no-untyped-def]
    project.write(PATHS["vscode"], EXISTING["vscode"])
    project.write_lockfile(targets_yaml(["vscode"]) + "version: 1\nservers:\n  tool:\n"
                           "    source: command\n    command: /bin/cat\n")
    result = project.run("plan", check=True)
    output = result.stdout + result.stderr
    assert "has comments" not in output
    assert "github" in output and "playwright" in output  # listed as not managed
    before = (project.path / PATHS["vscode"]).read_text()
    project.run("apply", "--auto-approve", check=1)  # /bin/cat is no MCP server: nothing swapped
    assert (project.path / PATHS["vscode"]).read_text() == before


def test_vscode_without_a_servers_object_warns_that_comments_go(tmp_path: Path) -> None:
    (tmp_path / ".vscode").mkdir()
    (tmp_path / ".vscode/mcp.json").write_text('{\n  // inputs only\n  "inputs": []\n}\n')
    [warning] = observe_target(tmp_path, Target("vscode", ".vscode/mcp.json")).warnings
    assert re.search(r"\.vscode/mcp\.json has comments and no `servers` object yet: .*drops them", warning)


def test_vscode_without_comments_has_no_warning(tmp_path: Path) -> None:
    (tmp_path / ".vscode").mkdir()
    (tmp_path / ".vscode/mcp.json").write_text('{"servers": {"a": {"command": "x", "args": ["//"],},},}')
    found = observe_target(tmp_path, Target("vscode", ".vscode/mcp.json"))
    assert found.warnings == () and list(found.entries) == ["a"]


def test_vscode_reads_jsonc_and_keeps_inputs(tmp_path: Path) -> None:
    (tmp_path / ".vscode").mkdir()
    (tmp_path / ".vscode/mcp.json").write_text(EXISTING["vscode"])
    target = Target("vscode", ".vscode/mcp.json")
    doc = read_target(tmp_path, target)
    assert list(doc.doc) == ["inputs", "servers", "sandbox"]
    assert list(doc.entries) == ["github", "playwright"]
    assert doc.entries["github"]["headers"] == {"Authorization": "Bearer ${input:gh-token}"}
    assert observe_target(tmp_path, target).warnings == ()  # spliced into: the comments stay


def test_vscode_syntax_error_names_file_line_and_column(tmp_path: Path) -> None:
    (tmp_path / ".vscode").mkdir()
    (tmp_path / ".vscode/mcp.json").write_text('{\n  // fine\n  "servers": {"a": {"command": x}}\n}\n')
    with pytest.raises(TargetError, match=r"mcp\.json:3:32: invalid JSON: Expecting value"):
        read_target(tmp_path, Target("vscode", ".vscode/mcp.json"))


# --- the JSONC reader -------------------------------------------------------------------

@pytest.mark.parametrize("text, value", [
    ('{"url": "https://x.example//path", "c": "/* not a comment */"}',
     {"url": "https://x.example//path", "c": "/* not a comment */"}),
    ('{"a": "quote \\" // still a string", "b": 1}', {"a": 'quote " // still a string', "b": 1}),
    ('{"a": "ends in backslash \\\\"// comment\n}', {"a": "ends in backslash \\"}),
    ('/* one\n   two\n   three */ {"a": /* inline */ 1}', {"a": 1}),
    ('{"a": [1, 2, ], "b": {"c": 3, }, }', {"a": [1, 2], "b": {"c": 3}}),
    ('[1, // comment after a comma\n ]', [1]),
    ('{"a": 1, /* c */ }', {"a": 1}),
    ('\ufeff{"bom": true} // last line, no newline', {"bom": True}),
    ('{"a": "x"}\r\n// windows line ends\r\n', {"a": "x"}),
    ('"\\u002f\\u002f"', "//"),
])
def test_jsonc_reads(text: str, value: Any) -> None:
    assert jsonc.parse(text) == value


@pytest.mark.parametrize("text, msg, line, col", [
    ('{\n  "a": 1,\n  /* never closed\n', "unterminated /* comment", 3, 3),
    ('{"a": 1,,}', "Expecting property name", 1, 9),
    ('{,}', "Expecting property name", 1, 2),
    ('[1,,]', "Expecting value", 1, 4),
    ('{\n  // c\n  "a": tru\n}', "Expecting value", 3, 8),
    ('{"a": "no end\n}', "Invalid control character", 1, 14),
    ('{"a": 1} trailing', "Extra data", 1, 10),
])
def test_jsonc_errors_carry_line_and_column(text: str, msg: str, line: int, col: int) -> None:
    with pytest.raises(json.JSONDecodeError) as caught:
        jsonc.parse(text)
    assert msg in caught.value.msg and (caught.value.lineno, caught.value.colno) == (line, col)


def test_jsonc_blanks_keep_every_offset() -> None:
    text = '{"a": 1, // x\n /* y\n */ "b": [2,],}'
    plain, found = jsonc.strip(text)
    assert found and len(plain) == len(text) and plain.count("\n") == text.count("\n")
    assert json.loads(plain) == {"a": 1, "b": [2]}
    assert jsonc.strip('{"a": "//"}') == ('{"a": "//"}', False)


# --- the examples that drive these commands (examples/README.md) -------------------------
# Cheap consistency checks: the files parse, use the commands and the metric contract the
# README states, and the sticky-comment marker is the one the markdown plan starts with.

REPO = Path(__file__).resolve().parents[2]
EXAMPLES = REPO / "examples"
SERVER = {"server", "version", "source"}  # every per-server series, as render/status.py labels it
CONTRACT = {"mcpstate_server_up": SERVER, "mcpstate_server_startup_seconds": SERVER,
            "mcpstate_server_rss_bytes": SERVER, "mcpstate_server_tools": SERVER,
            "mcpstate_server_tools_drift": SERVER, "mcpstate_server_revision": SERVER,
            "mcpstate_last_status_timestamp_seconds": set()}


def test_readme_states_the_metric_contract_and_its_example_parses() -> None:
    from prometheus_client.parser import text_string_to_metric_families

    readme = (EXAMPLES / "README.md").read_text()
    for name in CONTRACT:
        assert f"| `{name}` | gauge |" in readme
    sample = readme.split("```text\n", 1)[1].split("```", 1)[0]
    families = {f.name: f for f in text_string_to_metric_families(sample)}
    assert set(families) == set(CONTRACT)
    for name, family in families.items():
        assert family.type == "gauge"
        assert all(set(s.labels) == CONTRACT[name] for s in family.samples), name


def test_alerts_and_dashboard_use_only_contract_metrics() -> None:
    import yaml

    rules = yaml.safe_load((EXAMPLES / "prometheus/alerts.yml").read_text())
    exprs = [r["expr"] for group in rules["groups"] for r in group["rules"]]
    board = json.loads((EXAMPLES / "grafana/mcpstate-dashboard.json").read_text())
    exprs += [t["expr"] for panel in board["panels"] for t in panel["targets"]]
    used = {m for e in exprs for m in re.findall(r"\b(?:mcpstate|node)_[a-z_]+", e)}
    assert used - {"node_systemd_unit_state"} == set(CONTRACT)
    assert all(r["alert"] and r["annotations"]["summary"] for g in rules["groups"] for r in g["rules"])


def test_workflow_keeps_one_sticky_comment_and_applies_the_reviewed_plan() -> None:
    import yaml

    from mcpstate.render.planmd import MARKER

    text = (EXAMPLES / "github/mcpstate-plan.yml").read_text()
    flow = yaml.safe_load(text)
    plan_steps = "\n".join(s.get("run", "") for s in flow["jobs"]["plan"]["steps"])
    apply_steps = "\n".join(s.get("run", "") for s in flow["jobs"]["apply"]["steps"])
    assert "plan --detailed-exitcode --format markdown -o plan.json" in plan_steps
    assert f"marker='{MARKER}'" in plan_steps and "--method PATCH" in plan_steps
    assert 'apply "$PWD/plan.json"' in apply_steps
    assert set(flow[True]) == {"pull_request", "push", "workflow_dispatch"}  # YAML 1.1: `on` is True


def test_pre_commit_hook_and_systemd_units_run_the_documented_commands() -> None:
    import yaml

    (hook,) = yaml.safe_load((REPO / ".pre-commit-hooks.yaml").read_text())
    assert (hook["id"], hook["entry"], hook["language"]) == ("mcpstate-validate", "mcpstate validate", "python")
    assert re.search(hook["files"], "mcpstate.lock.yaml") and not hook["pass_filenames"]
    units = {p.name: p.read_text() for p in (EXAMPLES / "systemd").glob("mcpstate-*.service")}
    commands = {name: re.search(r"^ExecStart=\S+ -C \$\{MCP_PROJECT\} (.*)$", text, re.M).group(1)  # type: ignore[union-attr]
                for name, text in units.items()}
    assert commands == {
        "mcpstate-gc.service": "gc",
        "mcpstate-drift.service": "plan --refresh-only --detailed-exitcode",
        "mcpstate-status.service": "status --format prometheus --output /var/lib/node_exporter/textfile/mcpstate.prom"}
    timers = {p.stem: p.read_text() for p in (EXAMPLES / "systemd").glob("mcpstate-*.timer")}
    assert [re.search(r"^OnCalendar=(\w+)$", timers[u], re.M).group(1)  # type: ignore[union-attr]
            for u in ("mcpstate-gc", "mcpstate-drift", "mcpstate-status")] == ["daily", "hourly", "minutely"]
