"""`mcpstate rollback NAME [REVISION]`: the recorded revision goes live again through
the same tested transaction as apply, as a new revision "Rolled back to N"."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mcpstate.apply.jobs import ApplyOptions, make_env, run_jobs
from mcpstate.errors import McpStateError
from mcpstate.state.history import find_revision
from mcpstate.state.journal import open_journal, read_journal_all
from mcpstate.model import Lockfile, ServerSpec, TestSpec
from mcpstate.apply.recovery import recover
from mcpstate.stamps import who
from mcpstate.state.file import load_state
from mcpstate.apply.transaction import Job, Say
from mcpstate.state.layout import StateDir


@dataclass(frozen=True)
class RollbackResult:
    job: Job
    recovered: list[str]
    lockfile_pins: str | None


def rollback(project_dir: Path, state_dir: StateDir, lockfile: Lockfile, server: str,
             revision: int | None, options: ApplyOptions, say: Say) -> RollbackResult:
    """Call under the state lock."""
    journal = open_journal(state_dir, who())
    try:
        recovered = recover(project_dir, state_dir, journal)
        state = load_state(state_dir)
        records = read_journal_all(state_dir).records
        if server not in state.servers and not any(r.get("server") == server for r in records):
            raise McpStateError(f"no server named {server!r} has ever been applied here "
                                "(see: mcpstate history)")
        record = find_revision(records, state, server, revision)
        if record is None:
            known = "no earlier revision" if revision is None else f"no revision {revision}"
            raise McpStateError(f"{server}: {known} is recorded (see: mcpstate history {server})")
        current = lockfile.servers.get(server)
        # going back is the escape hatch: a tool the newer revision added is no reason to refuse
        test = (current.test if current else TestSpec())._replace(on_breaking="warn")
        spec = spec_from_record(server, record, test)
        job = Job(server, "update" if server in state.servers else "create", spec,
                  state.servers.get(server), op="rollback",
                  description=f"Rolled back to {record['revision']}")
        env = make_env(project_dir, state_dir, lockfile, journal, options, say)
        run_jobs([job], env, options)
    finally:
        journal.close()
    pins = current.version if current and current.version != spec.version else None
    return RollbackResult(job, recovered, pins)


def spec_from_record(name: str, record: dict[str, Any], test: TestSpec) -> ServerSpec:
    config = record.get("config", {})
    return ServerSpec(
        name=name, source=record["source"], package=record.get("package"),
        version=record.get("version"), integrity=record.get("integrity"), bin=config.get("bin"),
        command=config.get("command"), url=config.get("url"), transport=config.get("transport"),
        args=tuple(config.get("args", ())), env=dict(config.get("env", {})),
        headers=dict(config.get("headers", {})), protected=bool(record.get("protected")), test=test,
        closure=record.get("closure"))
