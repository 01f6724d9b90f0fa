"""The public registries, for the few tests and benchmarks that use real packages
(tests/integration/, benchmarks/real.py); everything else runs in the hermetic world."""

from __future__ import annotations

from mcpstate.registry.urls import DEFAULTS

NPM_REGISTRY = DEFAULTS["npm"]
PYPI_INDEX = DEFAULTS["pypi"]
# what is asked for: one package on each, the ones the real-package tests install
PROBES = (NPM_REGISTRY + "@modelcontextprotocol%2fserver-memory", PYPI_INDEX + "mcp-server-time/")


def unreachable(timeout: float = 5.0) -> str | None:
    """Why the public npm registry and PyPI cannot be used from here, or None. httpx
    honours the machine's proxy variables and SSL_CERT_FILE, as the installers do."""
    import httpx

    from mcpstate.httpclient import make_client

    try:
        with make_client(timeout=timeout) as client:
            for url in PROBES:
                client.head(url).raise_for_status()
    except httpx.HTTPError as e:
        return f"the public npm registry and PyPI are not reachable ({type(e).__name__}: {e})"
    return None
