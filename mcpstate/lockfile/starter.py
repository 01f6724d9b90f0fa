"""The starter lockfile `mcpstate init` writes, and `mcpstate add` starts from when
there is no lockfile yet."""

from __future__ import annotations

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
