"""What an apply did, server by server, for people."""

from __future__ import annotations

from mcpstate.transaction import Job


def job_lines(jobs: list[Job]) -> list[tuple[str, str | None]]:
    lines = [_line(job) for job in jobs]
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


def _still_live(job: Job) -> str:
    if job.applied is None:
        return "It was not installed."
    version = job.applied.version or job.applied.config.get("command") or job.applied.config.get("url")
    return f"Revision {job.applied.revision} ({version}) is still live."
