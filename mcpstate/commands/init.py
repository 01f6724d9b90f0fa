"""mcpstate init: write a starter lockfile (adopting an existing .mcp.json)."""

from __future__ import annotations

import argparse
from pathlib import Path

from mcpstate.context import Context
from mcpstate.lockfile.starter import STARTER
from mcpstate.render.result import Result


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--force", action="store_true", help="overwrite an existing lockfile")


def run(ctx: Context, args: argparse.Namespace) -> Result:
    from mcpstate.errors import UsageError
    from mcpstate.fsutil import atomic_write
    from mcpstate.lockfile.load import display

    path = ctx.lockfile_path
    if path.exists() and not args.force:
        raise UsageError(f"{display(path)} exists already (use --force to overwrite)")
    existing = ctx.project_dir / ".mcp.json"
    if existing.exists():
        adopted = _adopt(ctx, existing)
        if adopted is not None:
            return adopted
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write(path, STARTER.encode())
    return Result(0, text=[(f"Wrote {display(path)}. Add servers, then run: mcpstate plan", None)])


def _adopt(ctx: Context, existing: Path) -> Result | None:
    """Import an existing .mcp.json as `mcpstate import` would; None when it has no servers."""
    from mcpstate.importer.adopt import read_client_config
    from mcpstate.importer.run import import_config
    from mcpstate.render.importresult import import_result

    if not read_client_config(existing, "claude-code"):
        return None
    return import_result(import_config(ctx.project_dir, ctx.lockfile_path, existing, "claude-code"))
