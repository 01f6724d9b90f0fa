"""The one HTTP client factory. httpx is imported here, lazily, so commands that
never touch the network do not pay for it."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import httpx

USER_AGENT = "mcpstate"


def make_client(timeout: float = 10.0, max_connections: int = 16, **kwargs: Any) -> httpx.Client:
    """A pooled client with sane timeouts; callers share one per command run."""
    import httpx

    from mcpstate import __version__

    limits = httpx.Limits(max_connections=max_connections, max_keepalive_connections=max_connections)
    headers = {"User-Agent": f"{USER_AGENT}/{__version__}", **kwargs.pop("headers", {})}
    return httpx.Client(timeout=httpx.Timeout(timeout), limits=limits, headers=headers,
                        follow_redirects=True, **kwargs)
