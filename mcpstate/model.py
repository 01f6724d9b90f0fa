"""Frozen data shared by every module: what the lockfile wants, what is observed,
and the plan between them. Imports nothing of ours."""

from __future__ import annotations

import sys
from types import MappingProxyType
from typing import Any, Mapping, NamedTuple

# Named tuples, not dataclasses: as immutable, and `mcpstate plan` starts ~15 ms
# sooner (dataclasses imports inspect and compiles each class's methods at import).
EMPTY: Mapping[str, Any] = MappingProxyType({})

CLIENTS = ("claude-code", "cursor", "vscode", "claude-desktop", "codex", "gemini", "windsurf")
# DESIGN §14: each client's project file (none for claude-desktop and windsurf) and user file
PROJECT_PATHS = {
    "claude-code": ".mcp.json",
    "cursor": ".cursor/mcp.json",
    "vscode": ".vscode/mcp.json",
    "codex": ".codex/config.toml",
    "gemini": ".gemini/settings.json",
}
# `~` and `%APPDATA%` stay as written here and in the plan; targets.resolve_path expands them
_APP_FOLDER = {"darwin": "~/Library/Application Support", "win32": "%APPDATA%"}.get(sys.platform, "~/.config")
USER_PATHS = {
    "claude-code": "~/.claude.json",
    "cursor": "~/.cursor/mcp.json",
    "vscode": f"{_APP_FOLDER}/Code/User/mcp.json",
    "claude-desktop": f"{_APP_FOLDER}/Claude/claude_desktop_config.json",
    "codex": "~/.codex/config.toml",
    "gemini": "~/.gemini/settings.json",
    "windsurf": "~/.codeium/windsurf/mcp_config.json",
}
SCOPES = ("project", "user")
EXPANDS_NOTHING = frozenset({"claude-desktop", "codex"})  # entries get absolute paths and values


def default_scope(client: str) -> str:
    """Project where the client has a project file, else user."""
    return "project" if client in PROJECT_PATHS else "user"


def default_path(client: str, scope: str) -> str:
    return (PROJECT_PATHS if scope == "project" else USER_PATHS)[client]


# each client's file in its default scope
DEFAULT_TARGET_PATHS = {client: default_path(client, default_scope(client)) for client in CLIENTS}


class SmokeCall(NamedTuple):
    tool: str
    arguments: Mapping[str, Any] = EMPTY
    expect_contains: str | None = None


class LoadSpec(NamedTuple):
    tool: str
    arguments: Mapping[str, Any] = EMPTY
    calls: int = 100
    concurrency: int = 10
    max_p95_ms: float | None = None
    max_errors: int | None = None


class TestSpec(NamedTuple):
    """How a server is health-tested: lockfile `defaults.test` merged with its own `test`."""


    timeout_s: float = 30.0
    max_startup_ms: float = 5000.0
    max_rss_mb: float = 500.0
    on_breaking: str = "fail"
    required_tools: tuple[str, ...] = ()
    smoke: tuple[SmokeCall, ...] = ()
    watch_s: float = 0.0
    watch_interval_s: float = 5.0
    load: LoadSpec | None = None
    skip: bool = False  # `test: {skip: true}`: never probed; plan, apply and status say "not tested"


# what plan, apply, test and status say of a server whose lockfile entry has `test: {skip: true}`
NOT_TESTED = "not tested (test: {skip: true} in the lockfile)"

setattr(TestSpec, "__test__", False)  # a model, not a pytest class to collect


class UpdatePolicy(NamedTuple):
    constraint: str | None = None
    min_release_age_days: float = 0.0


class ServerSpec(NamedTuple):
    """One lockfile server. `env` and `headers` hold values with `${VAR}` references."""

    name: str
    source: str
    package: str | None = None
    version: str | None = None
    integrity: str | None = None
    bin: str | None = None
    command: str | None = None
    url: str | None = None
    transport: str | None = None
    args: tuple[str, ...] = ()
    env: Mapping[str, str] = EMPTY
    headers: Mapping[str, str] = EMPTY
    protected: bool = False
    allow_install_scripts: bool = False
    update: UpdatePolicy = UpdatePolicy()
    test: TestSpec = TestSpec()
    closure: str | None = None  # digest of the lock folder's closure files (lockfile/closure.py)
    lock_files: Mapping[str, bytes] = EMPTY  # those files, as read when the lockfile was loaded
    registry_name: str | None = None  # where `mcpstate add` found it in the MCP Registry
    tools: str | None = None  # digest of the lock folder's tools.json: the reviewed surface (DESIGN §12)

    def config(self) -> dict[str, Any]:
        """What decides the written entry besides the version (recorded in the state)."""
        data: dict[str, Any] = {"args": list(self.args), "env": dict(self.env)}
        for key in ("bin", "command", "url", "transport"):
            if getattr(self, key) is not None:
                data[key] = getattr(self, key)
        if self.headers:
            data["headers"] = dict(self.headers)
        return data


class Launch(NamedTuple):
    """What a client config entry launches: a command (stdio) or a url (remote)."""

    command: str | None = None
    args: tuple[str, ...] = ()
    env: Mapping[str, str] = EMPTY
    cwd: str | None = None
    url: str | None = None
    headers: Mapping[str, str] = EMPTY
    transport: str = "http"


class Target(NamedTuple):
    """A client config file mcpstate writes; `servers` None: every server of the lockfile."""

    client: str
    path: str
    scope: str = "project"
    servers: tuple[str, ...] | None = None

    def serves(self, server: str) -> bool:
        return self.servers is None or server in self.servers


class Retention(NamedTuple):
    keep_versions: int = 3
    max_age_days: float = 30
    reports_days: float = 30
    journal_days: float = 365
    backups: int = 10


class Lockfile(NamedTuple):
    path: str
    sha256: str
    targets: tuple[Target, ...]
    servers: Mapping[str, ServerSpec]
    registries: Mapping[str, str] = EMPTY
    retention: Retention = Retention()
    state_dir: str | None = None


class AppliedServer(NamedTuple):
    """A server's committed revision, as state.json records it."""

    name: str
    revision: int
    source: str
    package: str | None
    version: str | None
    integrity: str | None
    store_path: str | None
    entries: Mapping[str, str]
    config: Mapping[str, Any]
    protected: bool = False
    # the digest of the surface this revision was tested with (the lockfile's `tools:` when
    # it had one, else the live one); None when unknown (not tested, auth required, old state)
    tools: str | None = None
    applied_at: str | None = None
    previous: Mapping[str, Any] | None = None
    tx: str | None = None  # the transaction that committed this revision
    closure: str | None = None  # the digest of the lock folder's closure files
    # the surface this revision was tested with (probe/surface.py: tools.json's content),
    # so a plan can show what a new tools.json changes, and the probe what a new version
    # removes; () when unknown
    surface: tuple[Mapping[str, Any], ...] = ()


class JournalMark(NamedTuple):
    """Where finding open transactions may start reading the journal (DESIGN §9): no
    transaction that began before it was still open when the state was last committed."""

    offset: int = 0
    seq: int = 0  # the seq of the line at `offset`; 0: read from the start


class State(NamedTuple):
    lineage: str | None = None
    serial: int = 0
    servers: Mapping[str, AppliedServer] = EMPTY
    targets: Mapping[str, str] = EMPTY  # path -> client, ever written
    journal: JournalMark = JournalMark()


class TargetFile(NamedTuple):
    """A client config file as found: its managed-or-not entries, by server name."""

    client: str
    path: str
    exists: bool
    sha256: str | None
    entries: Mapping[str, str] = EMPTY  # name -> sha256 of the entry
    warnings: tuple[str, ...] = ()


class OpenTransaction(NamedTuple):
    tx: str
    server: str
    op: str
    last_event: str


class Observed(NamedTuple):
    state: State
    targets: tuple[TargetFile, ...]
    intact_store: frozenset[str] = frozenset()  # store_path of each intact entry the state uses
    open_transactions: Mapping[str, OpenTransaction] = EMPTY
    # store_path of each entry in a project's own store (an older mcpstate's): to move
    legacy_store: frozenset[str] = frozenset()
    # whether store paths can be written through ${HOME} (MCPSTATE_HOME in the home folder)
    portable_store: bool = True
    # `plan --refresh-only` only: remote servers whose live tools differ from the reviewed
    # ones, with what differs ("changed: echo"); plain plan never probes
    tools_drift: Mapping[str, str] = EMPTY


class Change(NamedTuple):
    server: str
    action: str
    reason: str | None
    before: Mapping[str, Any] | None
    after: Mapping[str, Any] | None
    protected: bool = False
    details: tuple[str, ...] = ()  # human lines: "env.TZ: "UTC" -> "${TZ:-UTC}""
    not_tested: bool = False  # the lockfile says `test: {skip: true}`: apply will not probe it
    # for reviewers, filled in after planning (they read files): what the change does to the
    # closure's packages, to the tool surface (probe/surfacediff.py's JSON), and to the text
    # of each target entry it rewrites (import, drift); None or () when nothing to show
    closure_diff: Mapping[str, Any] | None = None
    tools_diff: Mapping[str, Any] | None = None
    entry_diff: tuple[Mapping[str, Any], ...] = ()


class Plan(NamedTuple):
    changes: tuple[Change, ...]
    unmanaged: tuple[str, ...]
    no_op: int
    warnings: tuple[str, ...] = ()
    drift: tuple[Change, ...] = ()

    def summary(self) -> dict[str, int]:
        counts = {"add": 0, "change": 0, "destroy": 0, "import": 0}
        key = {"create": "add", "update": "change", "delete": "destroy", "import": "import"}
        for change in self.changes:
            counts[key[change.action]] += 1
        return counts
