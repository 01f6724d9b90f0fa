"""mcpstate init: write a starter lockfile (adopting an existing .mcp.json)."""

from __future__ import annotations

import argparse
from pathlib import Path

from mcpstate.context import Context
from mcpstate.render.result import Result

STARTER = """\
# mcpstate lockfile: the MCP servers of this project, pinned and reviewed.
# Edit it in a pull request; `mcpstate plan` shows what will change, `mcpstate apply` does it.
# Every field is described in lockfile.example.yaml of the mcpstate repository.
# yaml-language-server: $schema=https://mcpstate.dev/schemas/lockfile.schema.json
version: 1
targets:
  - {client: claude-code, path: .mcp.json}
servers: {}
  # memory:
  #   source: npm
  #   package: "@modelcontextprotocol/server-memory"
  #   version: 2026.8.31
  #   test:
  #     required_tools: [read_graph]
"""


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
