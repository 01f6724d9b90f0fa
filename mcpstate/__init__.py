"""mcpstate: keep MCP servers at exactly what a reviewed lockfile names."""

__version__ = "0.1.0"
