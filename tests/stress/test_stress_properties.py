"""Property tests (hypothesis):

1. the lockfile loader raises nothing but LockfileError, on random bytes and on random
   YAML documents built from the lockfile's own keys;
2. plan -> apply -> plan is empty, for random small lockfiles against the fixture world
   (real installs: few examples);
3. the planner, on random models, is deterministic and converges: applying its changes'
   `after` to the observed state (as a successful apply would) leaves nothing to do."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from mcpstate.errors import LockfileError
from mcpstate.lockfile.load import build_lockfile, parse_lockfile_text
from mcpstate.model import (AppliedServer, Lockfile, Observed, OpenTransaction, Plan, ServerSpec, State,
                            Target, TargetFile)
from mcpstate.plan.planner import make_plan
from testing.catalogue import NPM_SERVER, NPM_TINY, NPM_VERSIONS, TINY_VERSIONS
from testing.pytest_plugin import Project
from tests.stress.stresshelp import assert_invariant_all, cli, scaled

LOCK_PATH = Path("mcpstate.lock.yaml")

# -- 1. the loader -------------------------------------------------------------------------

KEYS = ("version", "servers", "targets", "registries", "defaults", "retention", "state_dir", "source",
        "package", "integrity", "bin", "command", "url", "transport", "args", "env", "headers",
        "protected", "allow_install_scripts", "update", "test", "constraint", "min_release_age_days",
        "timeout_s", "max_startup_ms", "max_rss_mb", "on_breaking", "required_tools", "smoke", "tool",
        "arguments", "expect_contains", "watch_s", "watch_interval_s", "load", "calls", "concurrency",
        "max_p95_ms", "max_errors", "client", "path", "npm", "pypi", "keep_versions", "max_age_days",
        "reports_days", "journal_days", "backups", "memory", "m", "API_TOKEN", "Authorization")
WORDS = ("npm", "pypi", "command", "remote", "1.0.0", "2026.8.31", "^1.0.0", "~=1.0", ">=1", "latest",
         "sha512-" + "A" * 86 + "==", "sha256:" + "0" * 64, "${X}", "${X:-y}", "${", "Bearer ${T}",
         "claude-code", "cursor", "vscode", "claude-desktop", "fail", "warn", "https://x/mcp", "ftp://x",
         "/bin/true", ".mcp.json", "@scope/pkg", "Bad Name", "", "-", "30s")
scalars = st.one_of(st.none(), st.booleans(), st.integers(-2, 2**70), st.floats(), st.text(max_size=12),
                    st.sampled_from(WORDS), st.dates())
keys = st.one_of(st.sampled_from(KEYS), st.text(max_size=6), st.integers(-1, 3), st.none(), st.booleans())
documents = st.recursive(scalars, lambda inner: st.one_of(
    st.lists(inner, max_size=4), st.dictionaries(keys, inner, max_size=5)), max_leaves=40)
servers = st.dictionaries(st.one_of(st.sampled_from(("m", "a-b", "memory", "X", "1")), keys),
                          st.dictionaries(st.sampled_from(KEYS), documents, max_size=6), max_size=3)
lockfile_like = st.fixed_dictionaries(
    {"version": st.one_of(st.just(1), scalars), "servers": st.one_of(servers, documents)},
    optional={k: documents for k in ("targets", "registries", "defaults", "retention", "state_dir")})


def load(raw: bytes) -> None:
    """The whole loader: parse and check, then build the model (load_lockfile minus the read)."""
    try:
        data = parse_lockfile_text(raw, LOCK_PATH, deep=True)
    except LockfileError:
        return
    build_lockfile(data, str(LOCK_PATH), hashlib.sha256(raw).hexdigest())


@pytest.mark.parametrize("source", ["[]", "{}", "[npm]"])
def test_a_list_as_source_is_a_lockfile_error(source: str) -> None:
    raw = f"version: 1\nservers:\n  m:\n    source: {source}\n".encode()
    with pytest.raises(LockfileError, match=r"mcpstate\.lock\.yaml:4:\d+: servers\.m\.source: "):
        parse_lockfile_text(raw, LOCK_PATH)


@settings(max_examples=scaled(200), deadline=None)
@given(st.binary(max_size=600))
def test_loader_on_random_bytes_raises_only_lockfile_error(raw: bytes) -> None:
    load(raw)


@settings(max_examples=scaled(200), deadline=None)
@given(st.one_of(lockfile_like, documents), st.booleans())
def test_loader_on_random_yaml_documents_raises_only_lockfile_error(doc: Any, flow: bool) -> None:
    load(yaml.safe_dump(doc, default_flow_style=flow, allow_unicode=True).encode("utf-8"))


@settings(max_examples=scaled(200), deadline=None)
@given(lockfile_like, st.data())
def test_loader_on_damaged_yaml_raises_only_lockfile_error(doc: Any, data: st.DataObject) -> None:
    text = yaml.safe_dump(doc, allow_unicode=True)
    cut = data.draw(st.integers(0, len(text)))
    junk = data.draw(st.sampled_from(("", ":", "\t", "- ", "{", "]", "&a ", "*a", "!!", "\n  ", "'", "#")))
    load((text[:cut] + junk + text[cut + data.draw(st.integers(0, 3)):]).encode("utf-8"))


# -- 2. plan -> apply -> plan, for real ----------------------------------------------------

CLIENTS = {".mcp.json": "claude-code", ".cursor/mcp.json": "cursor", ".vscode/mcp.json": "vscode",
           "claude_desktop_config.json": "claude-desktop"}
HEALTHY = {NPM_SERVER: (NPM_VERSIONS["healthy"], NPM_VERSIONS["add_tool"], NPM_VERSIONS["chatty"]),
           NPM_TINY: TINY_VERSIONS}
# What YAML may hold literally (its printable set), less `$`: references come from env_values.
text_value = st.text(st.characters(min_codepoint=0x20, blacklist_categories=("Cs", "Cc", "Cn", "Co"),
                                   blacklist_characters="$\ufeff"), max_size=12)
env_values = st.one_of(text_value, st.sampled_from(("${FIXTURE_UNSET:-fallback}", "${HOME}", "pre-${HOME}-post")))


@st.composite
def real_servers(draw: st.DrawFn) -> dict[str, Any]:
    package = draw(st.sampled_from(sorted(HEALTHY)))
    return {"package": package, "version": draw(st.sampled_from(HEALTHY[package])),
            "args": draw(st.lists(text_value, max_size=3)),
            "env": draw(st.dictionaries(st.sampled_from(("FIXTURE_NOTE", "FIXTURE_MODE", "lower_case")),
                                        env_values, max_size=2))}


real_lockfiles = st.tuples(
    st.dictionaries(st.sampled_from(("alpha", "b-2", "c.3")), real_servers(), min_size=1, max_size=3),
    st.lists(st.sampled_from(sorted(CLIENTS)), min_size=1, max_size=3, unique=True))


def real_lockfile_text(servers: Mapping[str, Mapping[str, Any]], paths: list[str]) -> str:
    lines = ["version: 1", "targets:", *(f"  - {{client: {CLIENTS[p]}, path: {p}}}" for p in paths),
             "defaults:", "  test: {timeout_s: 10, max_startup_ms: 8000}", "servers:"]
    for name, s in servers.items():
        lines += [f"  {name}:", "    source: npm", f"    package: {json.dumps(s['package'])}",
                  f"    version: {s['version']}", f"    args: {json.dumps(s['args'], ensure_ascii=False)}",
                  f"    env: {json.dumps(s['env'], ensure_ascii=False)}"]
    return "\n".join(lines) + "\n"


@settings(max_examples=scaled(6), deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture],
          database=None)
@given(real_lockfiles)
def test_plan_apply_plan_is_empty(stress_project: Project, lockfile: tuple[Any, list[str]]) -> None:
    servers, paths = lockfile
    folder = stress_project.path / hashlib.sha256(repr(lockfile).encode()).hexdigest()[:12]
    folder.mkdir(exist_ok=True)
    (folder / "mcpstate.lock.yaml").write_text(real_lockfile_text(servers, paths), encoding="utf-8")
    applied = cli(folder, "apply", "--auto-approve")
    assert applied.code == 0, f"{real_lockfile_text(servers, paths)}\n{applied}"
    plan = cli(folder, "plan", "--detailed-exitcode")
    assert plan.code == 0, f"{real_lockfile_text(servers, paths)}\n{plan}"
    assert_invariant_all(folder, targets={p: CLIENTS[p] for p in paths})


# -- 3. the planner, on models -------------------------------------------------------------

TARGETS = (Target("claude-code", ".mcp.json"), Target("cursor", ".cursor/mcp.json"),
           Target("vscode", ".vscode/mcp.json"))
NAMES = ("a", "b", "c", "d")


@st.composite
def specs(draw: st.DrawFn, name: str) -> ServerSpec:
    source = draw(st.sampled_from(("npm", "pypi", "command", "remote")))
    fields: dict[str, Any] = {
        "args": tuple(draw(st.lists(st.sampled_from(("--a", "--b", "x")), max_size=2))),
        "env": draw(st.dictionaries(st.sampled_from(("A", "B")), st.sampled_from(("1", "2", "${V:-d}")), max_size=2)),
        "protected": draw(st.booleans())}
    if source in ("npm", "pypi"):
        fields.update(package=draw(st.sampled_from(("p", "q"))), version=draw(st.sampled_from(("1.0.0", "2.0.0"))),
                      integrity=draw(st.sampled_from((None, "sha512-x", "sha512-y"))),
                      bin=draw(st.sampled_from((None, "b"))))
    elif source == "command":
        fields.update(command=draw(st.sampled_from(("/bin/x", "/bin/y"))))
    else:
        fields.update(url=draw(st.sampled_from(("https://x/", "https://y/"))),
                      transport=draw(st.sampled_from((None, "http", "sse"))),
                      headers=draw(st.dictionaries(st.just("Authorization"), st.just("Bearer ${T}"), max_size=1)))
        fields.update(args=(), env={})
    return ServerSpec(name=name, source=source, **fields)


def store_path(summary: Mapping[str, Any]) -> str | None:
    if summary["source"] not in ("npm", "pypi"):
        return None
    return f"/store/{summary['source']}/{summary['package']}@{summary['version']}"


def entry_sha(name: str, path: str, summary: Mapping[str, Any]) -> str:
    """What writing `summary`'s entry into `path` leaves there, as a hash (clients differ)."""
    return hashlib.sha256(json.dumps([name, path, summary], sort_keys=True).encode()).hexdigest()


def applied_from(name: str, summary: Mapping[str, Any], revision: int, protected: bool) -> AppliedServer:
    """The state record a successful apply of `summary` (a plan's `after`) commits."""
    return AppliedServer(
        name=name, revision=revision, source=summary["source"], package=summary["package"],
        version=summary["version"], integrity=summary["integrity"], store_path=store_path(summary),
        entries={p: entry_sha(name, p, summary) for p in summary["targets"]}, config=dict(summary["config"]),
        protected=protected)


def summary_of(spec: ServerSpec, paths: list[str]) -> dict[str, Any]:
    return {"source": spec.source, "package": spec.package, "version": spec.version,
            "integrity": spec.integrity, "config": spec.config(), "targets": sorted(paths)}


@st.composite
def worlds(draw: st.DrawFn) -> tuple[Lockfile, Observed]:
    """A lockfile, and an observed state that is some mix of: applied as locked, applied
    at another version/config/targets, hand-edited, gone, never applied, unmanaged, with
    missing store entries and interrupted transactions."""
    targets = tuple(draw(st.lists(st.sampled_from(TARGETS), min_size=1, max_size=3, unique=True)))
    locked = {n: draw(specs(n)) for n in draw(st.lists(st.sampled_from(NAMES), max_size=4, unique=True))}
    lockfile = Lockfile(path="mcpstate.lock.yaml", sha256="0" * 64, targets=targets, servers=locked)
    applied = {}
    for name in draw(st.lists(st.sampled_from(NAMES), max_size=4, unique=True)):
        as_locked = name in locked and draw(st.booleans())
        spec = locked[name] if as_locked else draw(specs(name))
        paths = [t.path for t in targets] if as_locked else \
            draw(st.lists(st.sampled_from([t.path for t in TARGETS]), max_size=3, unique=True))
        applied[name] = applied_from(name, summary_of(spec, paths), draw(st.integers(1, 5)), spec.protected)
    state_targets = {t.path: t.client for t in TARGETS if any(t.path in a.entries for a in applied.values())}
    state = State(lineage="l", serial=draw(st.integers(0, 9)), servers=applied, targets=state_targets)
    files = []
    for target in [*targets, *(t for t in TARGETS if t.path in state_targets and t not in targets)]:
        entries = {}
        for name, record in applied.items():
            if target.path in record.entries:
                fate = draw(st.sampled_from(("kept", "kept", "edited", "gone")))
                if fate != "gone":
                    entries[name] = record.entries[target.path] if fate == "kept" else "edited-by-hand"
        for name in draw(st.lists(st.sampled_from(("theirs", "other", *NAMES)), max_size=2, unique=True)):
            entries.setdefault(name, "unmanaged")
        files.append(TargetFile(target.client, target.path, True, "f" * 64, entries))
    stores = {a.store_path for a in applied.values() if a.store_path}
    intact = frozenset(draw(st.lists(st.sampled_from(sorted(stores)), unique=True)) if stores else [])
    interrupted = draw(st.lists(st.sampled_from(NAMES), max_size=2, unique=True))
    open_tx = {n: OpenTransaction(f"tx-{n}", n, "apply", draw(st.sampled_from(("staging", "swapping"))))
               for n in interrupted}
    return lockfile, Observed(state=state, targets=tuple(files), intact_store=intact, open_transactions=open_tx)


def apply_model(lockfile: Lockfile, observed: Observed, plan: Plan) -> Observed:
    """What a successful apply (every protected server allowed) leaves behind: each change's
    `after` committed and written to every lockfile target, deletes gone, the recovered
    transactions closed, the store entries installed. Unmanaged entries untouched."""
    servers = dict(observed.state.servers)
    files = {f.path: dict(f.entries) for f in observed.targets}
    intact = set(observed.intact_store)
    for change in plan.changes:
        old = servers.pop(change.server, None)
        for path in old.entries if old else ():
            files.setdefault(path, {}).pop(change.server, None)
        if change.action == "delete":
            continue
        assert change.after is not None
        spec = lockfile.servers[change.server]
        new = applied_from(change.server, change.after, (old.revision if old else 0) + 1, spec.protected)
        servers[change.server] = new
        for path, sha in new.entries.items():
            files.setdefault(path, {})[change.server] = sha
        if new.store_path:
            intact.add(new.store_path)
    state_targets = {**observed.state.targets, **{t.path: t.client for t in lockfile.targets}}
    state = State(lineage=observed.state.lineage or "l", serial=observed.state.serial + 1, servers=servers,
                  targets=state_targets)
    named = [*lockfile.targets, *(Target(c, p) for p, c in state_targets.items()
                                  if p not in {t.path for t in lockfile.targets})]
    targets = tuple(TargetFile(t.client, t.path, True, "f" * 64, files.get(t.path, {})) for t in named)
    return Observed(state=state, targets=targets, intact_store=frozenset(intact), open_transactions={})


@settings(max_examples=scaled(300), deadline=None)
@given(worlds())
def test_planner_is_deterministic(world: tuple[Lockfile, Observed]) -> None:
    lockfile, observed = world
    plan = make_plan(lockfile, observed)
    assert make_plan(lockfile, observed) == plan
    # The order in which target files were found changes nothing.
    shuffled = Observed(state=observed.state, targets=tuple(reversed(observed.targets)),
                        intact_store=observed.intact_store, open_transactions=observed.open_transactions)
    assert make_plan(lockfile, shuffled) == plan
    # --target and --refresh-only only ever narrow the plan.
    some = {c.server for c in plan.changes[::2]}
    assert list(make_plan(lockfile, observed, only=some).changes) == [c for c in plan.changes if c.server in some]
    assert all(c in plan.changes for c in make_plan(lockfile, observed, refresh_only=True).changes)


@settings(max_examples=scaled(300), deadline=None)
@given(worlds())
def test_planner_converges_after_its_changes_are_applied(world: tuple[Lockfile, Observed]) -> None:
    lockfile, observed = world
    plan = make_plan(lockfile, observed)
    assume(plan.changes or observed.open_transactions)
    after = apply_model(lockfile, observed, plan)
    again = make_plan(lockfile, after)
    assert again.changes == () and again.drift == (), (plan.changes, again.changes)
    assert set(again.unmanaged) >= set(plan.unmanaged) - set(lockfile.servers)  # never touched
    assert again.no_op == len(lockfile.servers)
    assert make_plan(lockfile, apply_model(lockfile, after, again)) == again  # a fixed point
