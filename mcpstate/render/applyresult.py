"""What an apply (or a rollback) did, server by server: lines for people, and the
`--format json` document (schemas/apply.schema.json)."""

from __future__ import annotations

from typing import Any

from mcpstate.apply.transaction import Job

FORMAT_VERSION = "1"


def job_lines(jobs: list[Job]) -> list[tuple[str, str | None]]:
    lines = [line for job in jobs for line in [_line(job), *_warning_lines(job)]]
    failed = [j for j in jobs if j.failure]
    done = len(jobs) - len(failed)
    verdict = "Apply complete" if not failed else "Apply finished with failures"
    summary = f"{verdict}: {done} applied, {len(failed)} failed."
    if failed:
        summary += f" Failed: {', '.join(j.server for j in failed)}."
    return lines + [(summary, "bold" if not failed else "bold red")]


def _line(job: Job) -> tuple[str, str | None]:
    if job.failure is None:
        if job.spec is None:
            return f"  - {job.server}: deleted from the targets", "red"
        return f"  + {job.server}: {job.description} (revision {job.revision})", "green"
    live = _still_live(job)
    undone = " Rolled back." if job.rolled_back else " Nothing was swapped."
    return f"  ! {job.server}: failed at {job.failure.step}: {job.failure}.{undone} {live}", "red"


def _warning_lines(job: Job) -> list[tuple[str, str | None]]:
    return [(f"      warning: {warning}", "yellow") for warning in job.warnings] if job.failure is None else []


def _still_live(job: Job) -> str:
    if job.applied is None:
        return "It was not installed."
    version = job.applied.version or job.applied.config.get("command") or job.applied.config.get("url")
    return f"Revision {job.applied.revision} ({version}) is still live."


def apply_json(plan: dict[str, Any] | None, jobs: list[Job]) -> dict[str, Any]:
    """The whole result; `plan` is None for a rollback, which runs no plan."""
    failed = sum(1 for j in jobs if j.failure)
    return {"format_version": FORMAT_VERSION, "plan": plan, "results": [job_json(j) for j in jobs],
            "summary": {"applied": len(jobs) - failed, "failed": failed}}


def job_json(job: Job) -> dict[str, Any]:
    failure = job.failure
    return {"server": job.server, "action": job.action, "ok": failure is None,
            "step": failure.step if failure else None, "reason": str(failure) if failure else None,
            "revision": job.revision, "rolled_back": job.rolled_back,
            "still_live": _live_json(job) if failure else None, "warnings": list(job.warnings)}


def _live_json(job: Job) -> dict[str, Any] | None:
    # Only a failure leaves an older revision live; a first install has none.
    if job.applied is None:
        return None
    return {"revision": job.applied.revision, "version": job.applied.version}
