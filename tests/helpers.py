"""Small helpers for the unit tests: run the CLI in-process, snapshot a folder."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

import pytest

from mcpstate.cli import main


@dataclass
class Result:
    code: int
    out: str
    err: str


def run_cli(capsys: pytest.CaptureFixture[str], project: Path, *args: str) -> Result:
    capsys.readouterr()
    code = main(["-C", str(project), "--no-color", *args])
    captured = capsys.readouterr()
    return Result(code, captured.out, captured.err)


def snapshot(folder: Path) -> dict[str, str]:
    """Every file below `folder` with the sha256 of its bytes."""
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}
