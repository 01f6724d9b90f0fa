"""Every client of DESIGN §14, in every scope it has: a realistic file (entries mcpstate
will not manage, comments where the format allows them, other top-level keys) goes
through `import`, `plan` (imports only) and `apply`; then the file minus the managed
entry is byte for byte what it was, and the entry launches its server once expanded
the way that client expands it. User-scoped files live under the test's fake HOME."""

from __future__ import annotations

import json
import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest
import yaml

from mcpstate.model import Target
from mcpstate.targets import entry_written, read_target, resolve_path
from testing.catalogue import NPM_SERVER, NPM_VERSIONS

SECRET = "s3cr3t-tok-5d1e07"
NPX = f'"npx", "args": ["-y", "{NPM_SERVER}@{NPM_VERSIONS["healthy"]}", "--flag"]'
TOML_NPX = f'command = "npx"\nargs = ["-y", "{NPM_SERVER}@{NPM_VERSIONS["healthy"]}", "--flag"]'

# The same shape everywhere: `app` (managed after import), `local` and `web` (theirs).
FILES = {
    "claude-code": """{
  "numStartups": 42,
  "mcpServers": {
    "local": {"command": "/opt/tools/mcp-local", "args": ["--stdio"]},
    "app": {"command": %s, "env": {"API_TOKEN": "${API_TOKEN}"}},
    "web": {"type": "http", "url": "https://mcp.example.com/mcp"}
  },
  "projects": {"/home/me/src": {"allowedTools": []}}
}
""" % NPX,
    "cursor": """{
    "mcpServers": {
        "web": {"url": "https://mcp.linear.app/sse"},
        "app": {"command": %s, "env": {"API_TOKEN": "${env:API_TOKEN}"}},
        "local": {"command": "${userHome}/bin/mcp-local", "args": ["--root", "${workspaceFolder}"]}
    }
}
""" % NPX,
    "vscode": """// Team MCP servers
{
  "inputs": [
    {"type": "promptString", "id": "gh-token", "description": "GitHub PAT", "password": true},
  ],
  "servers": {
    /* GitHub's, with a token asked once */
    "web": {"type": "http", "url": "https://api.githubcopilot.com/mcp/",
            "headers": {"Authorization": "Bearer ${input:gh-token}"}},
    "app": {"type": "stdio", "command": %s, "env": {"API_TOKEN": "${env:API_TOKEN}"}}, // ours
    "local": {"type": "stdio", "command": "/opt/tools/mcp-local", "args": ["${workspaceFolder}"],},
  },
}
""" % NPX,
    "claude-desktop": """{
  "globalShortcut": "Ctrl+Space",
  "mcpServers": {
    "local": {"command": "/opt/tools/mcp-local", "args": ["--stdio"]},
    "app": {"command": %s, "env": {"REGION": "eu-west"}}
  },
  "preferences": {"menuBarEnabled": true}
}
""" % NPX,
    "codex": """# Codex settings
model = "o3"  # the default model

[mcp_servers.local]
# a tool of ours, not mcpstate's
command = "/opt/tools/mcp-local"
args = ["--stdio"]

[mcp_servers.app]
%s
env_vars = ["API_TOKEN"]

[mcp_servers.web]
url = "https://mcp.example.com/mcp"
bearer_token_env_var = "WEB_TOKEN"

[profiles.fast]
model = "o4-mini"
""" % TOML_NPX,
    "gemini": """{
  "theme": "Dracula",
  "mcpServers": {
    "app": {"command": %s, "env": {"API_TOKEN": "$API_TOKEN"}, "timeout": 30000},
    "web": {"httpUrl": "https://mcp.example.com/mcp", "headers": {"Authorization": "Bearer $WEB_TOKEN"}},
    "local": {"command": "/opt/tools/mcp-local", "args": ["--stdio"], "trust": false}
  },
  "telemetry": {"enabled": false}
}
""" % NPX,
    "windsurf": """{
  "mcpServers": {
    "local": {"command": "/opt/tools/mcp-local", "args": ["--stdio"]},
    "web": {"serverUrl": "https://mcp.example.com/sse"},
    "app": {"command": %s, "env": {"API_TOKEN": "${env:API_TOKEN}"}}
  }
}
""" % NPX,
}
SCOPES = {"claude-code": ("project", "user"), "cursor": ("project", "user"), "vscode": ("project", "user"),
          "claude-desktop": ("user",), "codex": ("project", "user"), "gemini": ("project", "user"),
          "windsurf": ("user",)}
CASES = [(client, scope) for client, scopes in SCOPES.items() for scope in scopes]


# --- what each client does with an entry when it starts the server ---------------------

BRACED = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}")
ENV_COLON = re.compile(r"\$\{env:([A-Za-z_][A-Za-z0-9_]*)\}")
DOLLAR = re.compile(r"\$(?:\{([A-Za-z_][A-Za-z0-9_]*)\}|([A-Za-z_][A-Za-z0-9_]*))")


def expand(client: str, value: str, environ: Mapping[str, str], project: Path) -> str:
    if client == "claude-code":
        return BRACED.sub(lambda m: environ.get(m.group(1), m.group(2) or ""), value)
    if client in ("cursor", "vscode", "windsurf"):
        value = value.replace("${workspaceFolder}", str(project)).replace("${userHome}", environ["HOME"])
        return ENV_COLON.sub(lambda m: environ.get(m.group(1), ""), value)
    if client == "gemini":
        return DOLLAR.sub(lambda m: environ.get(m.group(1) or m.group(2), ""), value)
    assert "${" not in value and "$" not in value, f"{client} expands nothing, yet found {value!r}"
    return value


def launch_of(client: str, entry: Mapping[str, Any], environ: Mapping[str, str], project: Path) -> Any:
    from mcpstate.probe import Launch

    env = {k: expand(client, v, environ, project) for k, v in entry.get("env", {}).items()}
    env.update({name: environ[name] for name in entry.get("env_vars", ())})  # codex: passed by name
    return Launch(command=expand(client, entry["command"], environ, project),
                  args=tuple(expand(client, a, environ, project) for a in entry.get("args", ())), env=env)


def assert_launches(client: str, entry: Mapping[str, Any], environ: Mapping[str, str], project: Path) -> Any:
    from mcpstate.model import TestSpec
    from mcpstate.probe import probe

    launch = launch_of(client, entry, environ, project)
    report = probe(launch, TestSpec(timeout_s=10))
    assert report.passed, (client, report.failures)
    return launch


# --- the round trip ------------------------------------------------------------------------

def client_file(project: Any, client: str, scope: str) -> tuple[Path, Target]:
    """Where the client keeps this scope's file (HOME is the test's own: see the plugin)."""
    from mcpstate.model import default_path

    target = Target(client, default_path(client, scope), scope)
    return resolve_path(project.path, target), target


def without(client: str, path: Path, text: str, names: list[str]) -> bytes:
    """`text` minus the named entries, removed the way the client's format is edited."""
    scratch = path.with_name("scratch-" + path.name)
    for name in names:
        scratch.write_text(text)
        doc = read_target(scratch.parent, Target(client, str(scratch)))
        text = entry_written(client, doc, name, None).decode()
    scratch.unlink()
    return text.encode()


def drop_servers(project: Any, names: list[str]) -> None:
    """The reviewer keeps only `app` in the lockfile: the others stay the user's own."""
    lockfile = project.path / project.LOCKFILE
    data = yaml.safe_load(lockfile.read_text())
    for name in names:
        del data["servers"][name]
    lockfile.write_text(yaml.safe_dump(data, sort_keys=False))


@pytest.mark.slow
@pytest.mark.parametrize("client, scope", CASES)
def test_import_plan_apply_round_trip(project, client: str, scope: str) -> None:  # type: ignore[no-untyped-def]
    path, target = client_file(project, client, scope)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(FILES[client])
    project.env["API_TOKEN"] = SECRET
    project.run("import", "--client", client, check=True)  # without --from: the file of this scope
    lockfile = yaml.safe_load(project.read("mcpstate.lock.yaml"))
    expected = {"client": client, "scope": "user"} if scope == "user" else {"client": client, "path": target.path}
    assert lockfile["targets"] == [expected]
    assert os.environ["HOME"] == project.env["HOME"] and str(path).startswith(
        project.env["HOME"] if scope == "user" else str(project.path))
    drop_servers(project, [n for n in ("local", "web") if n in lockfile["servers"]])

    plan = json.loads(project.run("plan", "--format", "json", check=True).stdout)
    assert [(c["server"], c["action"]) for c in plan["changes"]] == [("app", "import")]
    assert plan["unmanaged"] == (["local"] if client == "claude-desktop" else ["local", "web"])
    before = path.read_text()
    project.run("apply", "--auto-approve", check=True)
    after = path.read_text()
    assert after != before
    assert without(client, path, after, ["app"]) == without(client, path, before, ["app"])

    entry = read_target(project.path, Target(client, str(path))).entries["app"]
    launch = assert_launches(client, entry, project.env, project.path)
    assert launch.args == ("--flag",)
    if client == "claude-desktop":
        assert dict(launch.env) == {"REGION": "eu-west"}
    else:
        assert dict(launch.env) == {"API_TOKEN": SECRET} and SECRET not in after  # a reference, not the value
    project.run("plan", "--detailed-exitcode", check=0)
