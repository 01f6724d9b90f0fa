"""The hermetic test world: a local npm registry and a local PyPI index serving every
catalogue package, an OSV-compatible advisory API about some of them, a local MCP Registry whose
servers are those packages, plus remote (Streamable HTTP) fixture servers on demand; all on
127.0.0.1, nothing from the internet.

    with World() as world:
        env = world.env            # MCPSTATE_NPM_REGISTRY / MCPSTATE_PYPI_INDEX / MCPSTATE_OSV_URL / MCPSTATE_MCP_REGISTRY
        url = world.remote("legacy_only", sse=True).url

    python -m testing.world serve  # for the demo: prints the three variables, runs until killed
"""

from __future__ import annotations

import argparse
import signal
import sys
import time
from datetime import datetime, timezone
from pathlib import Path
from types import FrameType, TracebackType

from testing import artifacts
from testing.artifacts import Artifact
from testing.mcp_registry import McpRegistry
from testing.npm_registry import NpmRegistry
from testing.osv_server import OsvServer
from testing.pypi_index import PypiIndex
from testing.servers.remote_server import RemoteServer


class World:
    """The registries and the advisory API, started together; `now` is the clock catalogue ages count from."""

    def __init__(self, cache_dir: Path | None = None, now: datetime | None = None) -> None:
        self.cache_dir = cache_dir or artifacts.default_cache_dir()
        self.now = (now or datetime.now(timezone.utc)).replace(microsecond=0)
        self.artifacts: dict[tuple[str, str, str], Artifact] = {}
        self.npm = NpmRegistry(self.artifacts, self.now)
        self.pypi = PypiIndex(self.artifacts, self.now)
        self.osv = OsvServer()
        self.mcp = McpRegistry(self.now)
        self.remotes: list[RemoteServer] = []
        self.startup_s = 0.0

    def start(self) -> World:
        began = time.monotonic()
        self.artifacts.update(artifacts.build_all(self.cache_dir))
        self.npm.start()
        self.pypi.start()
        self.osv.start()
        self.mcp.start()
        self.startup_s = time.monotonic() - began
        return self

    def stop(self) -> None:
        for remote in self.remotes:
            remote.stop()
        self.remotes.clear()
        self.npm.stop()
        self.pypi.stop()
        self.osv.stop()
        self.mcp.stop()

    def reset(self, keep_remotes: int = 0) -> None:
        """Undo what a test did: faults, tampering, request logs, and the remote servers
        started after the first `keep_remotes` (those belong to wider-scoped fixtures)."""
        for remote in self.remotes[keep_remotes:]:
            remote.stop()
        del self.remotes[keep_remotes:]
        self.npm.reset()
        self.pypi.reset()
        self.osv.reset()
        self.mcp.reset()

    def __enter__(self) -> World:
        return self.start()

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()

    @property
    def npm_url(self) -> str:
        return self.npm.url

    @property
    def pypi_url(self) -> str:
        return self.pypi.url

    @property
    def osv_url(self) -> str:
        return self.osv.url

    @property
    def mcp_url(self) -> str:
        return self.mcp.url

    @property
    def env(self) -> dict[str, str]:
        """The registry overrides mcpstate reads (they win over the lockfile's registries:)."""
        return {"MCPSTATE_NPM_REGISTRY": self.npm_url, "MCPSTATE_PYPI_INDEX": self.pypi_url,
                "MCPSTATE_OSV_URL": self.osv_url,
                "MCPSTATE_MCP_REGISTRY": self.mcp_url}

    def artifact(self, source: str, name: str, version: str) -> Artifact:
        from testing import catalogue

        pkg = catalogue.package(source, name)
        return self.artifacts[(source, pkg.name, pkg.release(version).version)]

    def integrity(self, source: str, name: str, version: str) -> str:
        """The true integrity of a catalogue artifact (even when the registry lies about it)."""
        return self.artifact(source, name, version).integrity

    def publish(self, source: str, name: str, version: str) -> None:
        """Put a held-back release (a library's patch) on its registry, as if just published."""
        self._registry(source).publish(name, version)

    def serve_other_bytes(self, source: str, name: str, version: str) -> None:
        """The registry serves other bytes for name@version (and metadata to match)."""
        self._registry(source).serve_other_bytes(name, version)

    def _registry(self, source: str) -> NpmRegistry | PypiIndex:
        return self.npm if source == "npm" else self.pypi

    def remote(self, behaviour: str = "healthy", *, sse: bool = False, version: str = "0.0.0") -> RemoteServer:
        """Start a remote fixture server that lives until the world stops (or its .stop())."""
        server = RemoteServer(behaviour, sse=sse, version=version).start()
        self.remotes.append(server)
        return server


def integrity(source: str, name: str, version: str, cache_dir: Path | None = None) -> str:
    """The expected integrity of a catalogue package version without starting a world:
    npm `sha512-<base64>`, PyPI `sha256:<hex>`."""
    from testing import catalogue

    pkg = catalogue.package(source, name)
    return artifacts.build_all(cache_dir)[(source, pkg.name, version)].integrity


def _serve(args: argparse.Namespace) -> int:
    if args.cold:
        artifacts.clear_cache()
    world = World().start()

    def on_term(signum: int, frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, on_term)
    print(f"MCPSTATE_NPM_REGISTRY={world.npm_url}", flush=True)
    print(f"MCPSTATE_PYPI_INDEX={world.pypi_url}", flush=True)
    print(f"MCPSTATE_OSV_URL={world.osv_url}", flush=True)
    print(f"MCPSTATE_MCP_REGISTRY={world.mcp_url}", flush=True)
    for spec in args.remote:
        words = spec.split(",")
        remote = world.remote(",".join(w for w in words if w != "sse"), sse="sse" in words)
        print(f"MCPSTATE_REMOTE_URL={remote.url}  # {spec}", flush=True)
    print(f"world up in {world.startup_s:.2f} s; Ctrl-C to stop", file=sys.stderr, flush=True)
    try:
        signal.pause()
    except KeyboardInterrupt:
        pass
    finally:
        world.stop()
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m testing.world", description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    serve = sub.add_parser("serve", help="start the registries and print their URLs")
    serve.add_argument("--remote", action="append", default=[], metavar="BEHAVIOUR[,sse]",
                       help="also start a remote fixture server (repeatable)")
    serve.add_argument("--cold", action="store_true", help="clear the artifact cache first")
    args = parser.parse_args(argv)
    return _serve(args)


if __name__ == "__main__":
    sys.exit(main())
