"""Crash anywhere (DESIGN §7): random lockfile changes, each apply SIGKILLed at a random
moment — half at a random journal event through the test seam MCPSTATE_TEST_CRASH_AT,
half by a real SIGKILL from outside after a random delay. After each crash every target
parses, the invariant holds, the journal reads, and the next apply converges.

One project for every iteration: the npm cache stays warm and most store entries are
reused, so an iteration costs about a second. Rerun a failure with the seed it prints:
MCPSTATE_STRESS_SEED=<seed> pytest tests/stress/test_stress_crash.py"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import time
from collections import Counter
from pathlib import Path
from typing import Any

from mcpstate.state.journal import open_transactions, read_journal
from mcpstate.state.layout import StateDir
from testing.catalogue import NPM_SERVER, NPM_TINY, NPM_VERSIONS, TINY_VERSIONS
from testing.pytest_plugin import Project
from tests.stress.stresshelp import (KEY, STATE_DIR, assert_invariant_all, cli,
                                     journal_records, lockfile_text, read_doc, reap_session, scaled, spawn)

CRASHES = scaled(50)  # crashing applies, half by the seam, half by a signal
EVENTS = ("started", "staging", "staged", "verified", "testing", "tested", "swapping", "swapped",
          "checked", "committed")
# Versions that pass the health test; remove_tool and change_schema are breaking, which
# `on_breaking: warn` lets through; modern_only and legacy_only exercise both handshakes.
HEALTHY_ISH = ("healthy", "add_tool", "remove_tool", "change_schema", "modern_only", "legacy_only", "chatty")
PACKAGES: dict[str, tuple[str, ...]] = {
    NPM_SERVER: tuple(NPM_VERSIONS[b] for b in HEALTHY_ISH),
    NPM_TINY: TINY_VERSIONS,
}
NAMES = ("alpha", "beta", "gamma", "delta")
ARGS: tuple[tuple[str, ...], ...] = ((), ("--flag",), ("--x", "1"), ("--mode=a", "--verbose"))
ENVS: tuple[dict[str, str], ...] = ({}, {"FIXTURE_NOTE": "one"}, {"FIXTURE_NOTE": "two"},
                                    {"FIXTURE_NOTE": "${FIXTURE_NOTE_VAR:-fallback}"})
UNMANAGED = {"zeta": {"command": "their-server", "args": ["x"]}}
MAX_DELAY_S = 1.5

Servers = dict[str, dict[str, Any]]


def random_server(rng: random.Random) -> dict[str, Any]:
    package = rng.choice(sorted(PACKAGES))
    return {"package": package, "version": rng.choice(PACKAGES[package]),
            "args": rng.choice(ARGS), "env": rng.choice(ENVS)}


def mutate(rng: random.Random, servers: Servers) -> Servers:
    """One to three random edits a reviewer might approve; never a no-op."""
    new = {name: dict(spec) for name, spec in servers.items()}
    for _ in range(rng.randint(1, 3)):
        edit = rng.choice(("version", "version", "args", "env", "add", "remove"))
        if edit == "add" and len(new) < len(NAMES):
            new[rng.choice([n for n in NAMES if n not in new])] = random_server(rng)
        elif edit == "remove" and len(new) > 1:
            del new[rng.choice(sorted(new))]
        elif edit in ("args", "env"):
            new[rng.choice(sorted(new))][edit] = rng.choice(ARGS if edit == "args" else ENVS)
        else:
            spec = new[rng.choice(sorted(new))]
            spec["version"] = rng.choice(PACKAGES[spec["package"]])
    return new if new != servers else mutate(rng, servers)


def crash_at_event(project: Project, log: Path, event: str) -> int:
    env = {**project.env, "MCPSTATE_TEST_CRASH_AT": event}
    proc = spawn(project.path, env, "apply", "--auto-approve", log=log)
    code = proc.wait(timeout=120)
    reap_session(proc)
    return code


def crash_after_delay(project: Project, log: Path, delay_s: float) -> tuple[int, float]:
    """SIGKILL the apply `delay_s` after its start, unless it finished first; returns
    its exit code and how long it ran."""
    start = time.monotonic()
    proc = spawn(project.path, project.env, "apply", "--auto-approve", log=log)
    try:
        code = proc.wait(timeout=delay_s)  # the random moment is the point of the test
    except subprocess.TimeoutExpired:
        proc.send_signal(signal.SIGKILL)
        code = proc.wait(timeout=120)
    reap_session(proc)  # an orphaned `npm install`, if the kill landed during one
    return code, time.monotonic() - start


def last_event(project: Project) -> str:
    records = read_journal(StateDir(project.path / STATE_DIR)).records
    return str(records[-1]["event"]) if records else "(none)"


def notice(project: Project, outcomes: Counter[str]) -> None:
    """Counted, not asserted: what a crash leaves that the invariant allows."""
    if len(open_transactions(read_journal(StateDir(project.path / STATE_DIR)).records)) > 1:
        outcomes["several transactions open"] += 1  # parallel staging: tests/applyhelp would refuse
    if any(project.path.glob(".mcp.json.*.tmp")) or any(project.path.glob(".cursor/.mcp.json.*.tmp")):
        outcomes["temp file left next to a target"] += 1


def check_crashed(project: Project) -> None:
    """Right after a crash: targets parse, §7 holds, the journal reads."""
    assert_invariant_all(project.path, UNMANAGED)
    history = cli(project.path, "history")
    assert history.code == 0, f"history after a crash:\n{history}"


def converge(project: Project) -> None:
    """The next apply, uncrashed, recovers and reaches the lockfile; nothing is left to do."""
    applied = cli(project.path, "apply", "--auto-approve")
    assert applied.code == 0, f"apply after a crash:\n{applied}"
    plan = cli(project.path, "plan", "--detailed-exitcode")
    assert plan.code == 0, f"plan after the converging apply:\n{plan}"
    assert_invariant_all(project.path, UNMANAGED)
    assert open_transactions(journal_records(project.path / STATE_DIR)) == {}
    doc = read_doc(project.path / ".mcp.json")
    assert doc["theme"] == "dark" and doc[KEY]["zeta"] == UNMANAGED["zeta"]  # others' keys kept


def test_sigkill_at_random_moments_keeps_the_invariant_and_converges(
        stress_project: Project, tmp_path: Path) -> None:
    project = stress_project
    seed = int(os.environ.get("MCPSTATE_STRESS_SEED") or random.SystemRandom().randrange(2**32))
    print(f"crash stress: seed {seed} (rerun: MCPSTATE_STRESS_SEED={seed})")
    rng = random.Random(seed)
    project.write(".mcp.json", json.dumps({"theme": "dark", KEY: UNMANAGED}, indent=2))
    servers: Servers = {"alpha": {"package": NPM_SERVER, "version": NPM_VERSIONS["healthy"],
                                  "args": (), "env": {}}}
    project.write_lockfile(lockfile_text(servers))
    project.run("apply", "--auto-approve", check=True)
    outcomes: Counter[str] = Counter()
    landed: Counter[str] = Counter()  # the last journal event before each signal's kill
    span_s = MAX_DELAY_S  # how long an uncrashed apply of this run took, last seen
    for i in range(CRASHES):
        servers = mutate(rng, servers)
        project.write_lockfile(lockfile_text(servers))
        log = tmp_path / f"apply-{i}.log"
        event = "(not chosen yet)"
        try:
            if i % 2 == 0:
                event = rng.choice(EVENTS)
                code = crash_at_event(project, log, event)
                outcomes[f"seam {'killed' if code == -signal.SIGKILL else 'not reached'}"] += 1
            else:
                # Within 0-1.5 s, and within the span of an apply: a kill after the
                # apply ended would test nothing.
                delay = rng.uniform(0, min(MAX_DELAY_S, span_s * 1.1))
                event = f"kill after {delay:.2f} s"
                code, ran_s = crash_after_delay(project, log, delay)
                span_s = ran_s if code != -signal.SIGKILL else span_s
                outcomes[f"signal {'killed' if code == -signal.SIGKILL else 'too late'}"] += 1
                event += f", last event {last_event(project)}"
                if code == -signal.SIGKILL:
                    landed[last_event(project)] += 1
            assert code in (0, -signal.SIGKILL), f"apply exited {code}:\n{log.read_text()[-3000:]}"
            check_crashed(project)
            notice(project, outcomes)
            if open_transactions(read_journal(StateDir(project.path / STATE_DIR)).records) and rng.random() < 0.3:
                # A crash during recovery itself: recovery must be as crash-safe as apply.
                event += "; then killed again right after its first 'recovered'"
                code = crash_at_event(project, log, "recovered")
                assert code == -signal.SIGKILL, f"recovery exited {code}:\n{log.read_text()[-3000:]}"
                outcomes["recovery killed"] += 1
                check_crashed(project)
            converge(project)
        except AssertionError as e:
            e.add_note(f"crash stress seed {seed}, iteration {i} ({event}), lockfile:\n"
                       f"{project.read('mcpstate.lock.yaml')}\napply output:\n{log.read_text()[-2000:]}")
            raise
    print(f"crash stress outcomes: {dict(outcomes)}; signals landed after: {dict(landed)}")
    # Not a test of nothing: most seam events are reached, and many signals land mid-apply.
    assert outcomes["seam killed"] >= CRASHES // 2 * 0.6, outcomes
    assert outcomes["signal killed"] >= CRASHES // 2 * 0.3, outcomes
