"""Which registry each source uses: the environment wins over the lockfile's
`registries:`, which wins over the public defaults. Light: no HTTP imported."""

from __future__ import annotations

from collections.abc import Mapping

DEFAULTS = {"npm": "https://registry.npmjs.org/", "pypi": "https://pypi.org/simple/"}
ENV_OVERRIDES = {"npm": "MCPSTATE_NPM_REGISTRY", "pypi": "MCPSTATE_PYPI_INDEX"}
# The MCP Registry is a catalogue of servers, not of packages: nothing installs from
# it, so it stays out of DEFAULTS (which `install_registries` hands to npm and pip).
MCP_DEFAULT = "https://registry.modelcontextprotocol.io/"
MCP_ENV = "MCPSTATE_MCP_REGISTRY"


def install_registries(configured: Mapping[str, str], environ: Mapping[str, str]) -> dict[str, str | None]:
    """The registry an install is pointed at: only one the environment or the lockfile
    names. Otherwise npm and pip keep their own configuration (a mirror set in .npmrc or
    pip.conf), which is the public registry unless the user says otherwise."""
    return {source: environ.get(ENV_OVERRIDES[source]) or configured.get(source) for source in DEFAULTS}


def registry_urls(configured: Mapping[str, str], environ: Mapping[str, str]) -> dict[str, str]:
    return {source: environ.get(ENV_OVERRIDES[source]) or configured.get(source) or default
            for source, default in DEFAULTS.items()}


def mcp_registry_url(configured: Mapping[str, str], environ: Mapping[str, str]) -> str:
    """The MCP Registry: `MCPSTATE_MCP_REGISTRY`, else `registries.mcp`, else the official one."""
    return environ.get(MCP_ENV) or configured.get("mcp") or MCP_DEFAULT
