"""Table tests of the pure planner: lockfile + observed -> expected changes. No files."""

from __future__ import annotations


import pytest

from mcpstate.model import (AppliedServer, Lockfile, Observed, OpenTransaction, ServerSpec, State,
                            Target, TargetFile)
from mcpstate.plan.planner import make_plan

MCP = ".mcp.json"


def spec(name: str, version: str = "1.0.0", **kw: object) -> ServerSpec:
    return ServerSpec(name=name, source="npm", package=f"pkg-{name}", version=version,
                      integrity="sha512-x", **kw)  # type: ignore[arg-type]


def lock(*servers: ServerSpec, targets: tuple[Target, ...] = (Target("claude-code", MCP),)) -> Lockfile:
    return Lockfile("mcpstate.lock.yaml", "0" * 64, targets, {s.name: s for s in servers})


def applied(s: ServerSpec, targets: tuple[str, ...] = (MCP,), **kw: object) -> AppliedServer:
    base = AppliedServer(name=s.name, revision=1, source=s.source, package=s.package, version=s.version,
                         integrity=s.integrity, store_path=f"/st/{s.name}",
                         entries={t: f"sha-{s.name}" for t in targets}, config=s.config(),
                         protected=s.protected)
    return base._replace(**kw)  # type: ignore[arg-type]


def observed(*servers: AppliedServer, entries: dict[str, str] | None = None,
             open_tx: dict[str, OpenTransaction] | None = None, extra_targets: tuple[TargetFile, ...] = ()) -> Observed:
    found = {s.name: f"sha-{s.name}" for s in servers} if entries is None else entries
    target = TargetFile("claude-code", MCP, True, "f" * 64, found)
    return Observed(State("lineage", 3, {s.name: s for s in servers}), (target, *extra_targets),
                    frozenset(s.store_path for s in servers if s.store_path), open_tx or {})


A, B, C = spec("a"), spec("b"), spec("c")
T1, T2 = "sha256-" + "1" * 64, "sha256-" + "2" * 64


def actions(plan) -> list[tuple[str, str, str | None]]:  # type: ignore[no-untyped-def]
    return [(c.server, c.action, c.reason) for c in plan.changes]


CASES = {
    "no state, 3 servers: 3 creates": (
        lock(A, B, C), observed(), [("a", "create", "new"), ("b", "create", "new"), ("c", "create", "new")]),
    "all applied: no-op": (lock(A, B), observed(applied(A), applied(B)), []),
    "new version": (
        lock(spec("a", "1.1.0")), observed(applied(A)), [("a", "update", "version")]),
    "package moved": (
        lock(A._replace(package="other")), observed(applied(A)), [("a", "update", "version")]),
    "args changed": (
        lock(A._replace(args=("--x",))), observed(applied(A)), [("a", "update", "config")]),
    "env changed": (
        lock(A._replace(env={"TZ": "${TZ:-UTC}"})), observed(applied(A)), [("a", "update", "config")]),
    "reviewed tools changed, nothing else: tools": (
        lock(A._replace(tools=T2)), observed(applied(A, tools=T1)), [("a", "update", "tools")]),
    "tools pinned where the applied revision recorded none: tools": (
        lock(A._replace(tools=T1)), observed(applied(A)), [("a", "update", "tools")]),
    "the same reviewed tools: no-op": (
        lock(A._replace(tools=T1)), observed(applied(A, tools=T1)), []),
    "no tools: pin, tools recorded live: no-op": (lock(A), observed(applied(A, tools=T1)), []),
    "new version and new tools: version": (
        lock(spec("a", "1.1.0", tools=T2)), observed(applied(A, tools=T1)), [("a", "update", "version")]),
    "hand-edited entry: drift": (
        lock(A), observed(applied(A), entries={"a": "edited"}), [("a", "update", "drift")]),
    "entry removed by hand: drift": (
        lock(A), observed(applied(A), entries={}), [("a", "update", "drift")]),
    "store entry gone: drift": (
        lock(A), observed(applied(A))._replace(intact_store=frozenset()), [("a", "update", "drift")]),
    "removed from lockfile: delete": (
        lock(A), observed(applied(A), applied(B)), [("b", "delete", "removed")]),
    "unmanaged entry of the same name: import": (
        lock(A), observed(entries={"a": "theirs"}), [("a", "import", "new")]),
    "open transaction: recover": (
        lock(A), observed(applied(A), open_tx={"a": OpenTransaction("tx1", "a", "apply", "swapping")}),
        [("a", "update", "recover")]),
    "interrupted first install: recover as create": (
        lock(A), observed(open_tx={"a": OpenTransaction("tx1", "a", "apply", "staging")}),
        [("a", "create", "recover")]),
    "target added: targets": (
        lock(A, targets=(Target("claude-code", MCP), Target("cursor", ".cursor/mcp.json"))),
        observed(applied(A)), [("a", "update", "targets")]),
    "version and drift: version wins the reason": (
        lock(spec("a", "2.0.0")), observed(applied(A), entries={"a": "edited"}), [("a", "update", "version")]),
}


@pytest.mark.parametrize("name", list(CASES))
def test_plan_table(name: str) -> None:
    lockfile, obs, expected = CASES[name]
    assert actions(make_plan(lockfile, obs)) == expected


def test_counts_no_ops_and_summarises() -> None:
    plan = make_plan(lock(A, B, spec("c")), observed(applied(A), applied(B), applied(spec("z"))))
    assert plan.no_op == 2
    assert plan.summary() == {"add": 1, "change": 0, "destroy": 1, "import": 0}


def test_unmanaged_entries_are_listed_not_changed() -> None:
    plan = make_plan(lock(A), observed(applied(A), entries={"a": "sha-a", "theirs": "x", "mine": "y"}))
    assert plan.changes == ()
    assert plan.unmanaged == ("mine", "theirs")


def test_protected_server_removed_is_flagged_with_a_warning() -> None:
    guarded = spec("g", protected=True)
    plan = make_plan(lock(A), observed(applied(A), applied(guarded)))
    [change] = plan.changes
    assert (change.action, change.reason, change.protected) == ("delete", "removed", True)
    assert plan.warnings and "--allow-protected g" in plan.warnings[0]


def test_protected_server_changed_is_flagged() -> None:
    guarded = spec("g", protected=True)
    plan = make_plan(lock(guarded._replace(version="2.0.0")), observed(applied(guarded)))
    assert plan.changes[0].protected and "refuses to change" in plan.warnings[0]


def test_config_details_name_the_key() -> None:
    before = A._replace(env={"TZ": "UTC"})
    plan = make_plan(lock(A._replace(env={"TZ": "${TZ:-UTC}"})), observed(applied(before)))
    assert plan.changes[0].details == ('env.TZ: "UTC" -> "${TZ:-UTC}"',)


def test_drift_is_listed_apart_and_refresh_only_keeps_only_drift() -> None:
    obs = observed(applied(A), applied(B), entries={"a": "edited", "b": "sha-b"})
    lockfile = lock(A, spec("b", "2.0.0"), C)
    full = make_plan(lockfile, obs)
    assert [c.server for c in full.drift] == ["a"]
    assert {c.server for c in full.changes} == {"a", "b", "c"}
    refresh = make_plan(lockfile, obs, refresh_only=True)
    assert actions(refresh) == [("a", "update", "drift")]


def test_target_option_limits_changes() -> None:
    plan = make_plan(lock(A, B, C), observed(), only=["b"])
    assert actions(plan) == [("b", "create", "new")]


def test_missing_integrity_is_announced() -> None:
    plan = make_plan(lock(A._replace(integrity=None)), observed())
    assert "registry's will be recorded" in plan.changes[0].details[0]


def test_plan_holds_references_never_values() -> None:
    secret = A._replace(env={"API_TOKEN": "${API_TOKEN}"})
    plan = make_plan(lock(secret), observed())
    assert plan.changes[0].after is not None
    assert plan.changes[0].after["config"]["env"] == {"API_TOKEN": "${API_TOKEN}"}


def test_a_pin_moved_by_hand_with_the_old_integrity_is_named() -> None:
    from mcpstate.model import Lockfile, ServerSpec, State
    from mcpstate.plan.planner import moved_pins

    spec = ServerSpec("m", "npm", package="p", version="2.0.0", integrity="sha512-OLD")
    state = State(servers={"m": applied(spec._replace(version="1.0.0"))._replace(integrity="sha512-OLD")})
    lockfile = Lockfile("mcpstate.lock.yaml", "", (), {"m": spec})
    [message] = moved_pins(lockfile, state)
    assert "servers.m.integrity" in message and "1.0.0" in message and "mcpstate lock" in message
    fresh = Lockfile("mcpstate.lock.yaml", "", (), {"m": spec._replace(integrity="sha512-NEW")})
    assert moved_pins(fresh, state) == []


VS = ".vscode/mcp.json"


def test_a_server_taken_off_a_targets_list_is_a_targets_change() -> None:
    both = (Target("claude-code", MCP), Target("vscode", VS, servers=("a", "b")))
    vscode = TargetFile("vscode", VS, True, "e" * 64, {"a": "sha-a", "b": "sha-b"})
    state = observed(applied(A, (MCP, VS)), applied(B, (MCP, VS)), applied(C, (MCP,)), extra_targets=(vscode,))
    assert actions(make_plan(lock(A, B, C, targets=both), state)) == []
    fewer = (Target("claude-code", MCP), Target("vscode", VS, servers=("a",)))
    plan = make_plan(lock(A, B, C, targets=fewer), state)
    assert actions(plan) == [("b", "update", "targets")]
    assert plan.changes[0].details == (f"targets: - {VS}",)


def test_a_user_file_moved_by_path_is_shown() -> None:
    moved = (Target("claude-code", "/srv/claude.json", "user"), Target("cursor", "~/.cursor/mcp.json", "user"))
    assert make_plan(lock(A, targets=moved), observed()).warnings == (
        "the claude-code user-scoped target is /srv/claude.json, not ~/.claude.json",)


def test_a_project_file_of_a_client_that_expands_nothing_is_called_machine_specific() -> None:
    targets = (Target("codex", ".codex/config.toml"), Target("codex", "~/.codex/config.toml", "user"),
               Target("gemini", ".gemini/settings.json"))
    [warning] = make_plan(lock(A, targets=targets), observed()).warnings
    assert warning.startswith(".codex/config.toml: codex expands no variables") and "machine-specific" in warning


def test_tools_details_name_both_digests() -> None:
    [change] = make_plan(lock(A._replace(tools=T2)), observed(applied(A, tools=T1))).changes
    assert change.details == (f"tools: {T1} -> {T2}",)
    assert (change.before or {})["tools"] == T1 and (change.after or {})["tools"] == T2


def test_live_tool_drift_is_drift_kept_by_refresh_only() -> None:
    seen = observed(applied(A, tools=T1))._replace(tools_drift={"a": "changed: echo"})
    plan = make_plan(lock(A._replace(tools=T1)), seen, refresh_only=True)
    assert actions(plan) == [("a", "update", "drift")]
    assert plan.changes[0].details == ("drift: tools drifted: changed: echo",)
