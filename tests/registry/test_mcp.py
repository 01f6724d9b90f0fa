"""The MCP Registry client against the world's registry: paging, status filtering,
names escaped into one path segment, and errors that name what went wrong."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from mcpstate.errors import RegistryError
from mcpstate.registry.mcp import McpRegistry, open_mcp_registry
from mcpstate.registry.urls import MCP_DEFAULT, mcp_registry_url
from testing import mcp_registry as fx
from testing.world import World


@pytest.fixture
def registry(world: World) -> Iterator[McpRegistry]:
    with open_mcp_registry({}) as opened:  # MCPSTATE_MCP_REGISTRY points at the world
        yield opened


def test_search_follows_the_cursor_and_offers_only_active_servers(registry: McpRegistry,
                                                                  world: World) -> None:
    names = [e.name for e in registry.search("fixture")]
    assert names == list(fx.ACTIVE_ENTRIES)
    assert len(names) > fx.PAGE_SIZE  # so the last ones came from a later page
    assert sum("cursor=" in seen.path for seen in world.mcp.requests) >= 1
    assert fx.DEPRECATED_ENTRY not in names and fx.DELETED_ENTRY not in names


def test_search_gives_each_server_once_at_its_latest_version(registry: McpRegistry) -> None:
    [entry] = registry.search("mcpstate-fixture/server")
    assert (entry.name, entry.version) == (fx.NPM_ENTRY, fx.NPM_ENTRY_VERSIONS[-1])


def test_a_name_is_one_escaped_path_segment(registry: McpRegistry, world: World) -> None:
    entry = registry.version(fx.NPM_ENTRY, fx.NPM_ENTRY_VERSIONS[0])
    assert entry.version == fx.NPM_ENTRY_VERSIONS[0] and entry.active
    assert world.mcp.requests[-1].path.endswith("/io.github.mcpstate-fixture%2Fserver/versions/1.0.0")


def test_versions_newest_first(registry: McpRegistry) -> None:
    assert [e.version for e in registry.versions(fx.NPM_ENTRY)] == list(reversed(fx.NPM_ENTRY_VERSIONS))


@pytest.mark.parametrize("call, message", [
    (lambda r: r.version("io.github.nobody/nothing"), "no server named io.github.nobody/nothing"),
    (lambda r: r.version(fx.NPM_ENTRY, "9.9.9"), f"{fx.NPM_ENTRY} has no version 9.9.9"),
    (lambda r: r.versions("io.github.nobody/nothing"), "no server named io.github.nobody/nothing"),
    (lambda r: r.version(fx.DEPRECATED_ENTRY), "is deprecated in the MCP Registry"),
    (lambda r: r.versions(fx.DEPRECATED_ENTRY), "no active version"),
])
def test_unknown_or_inactive_servers_are_errors_naming_them(registry: McpRegistry, call, message: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(RegistryError, match=message.replace(".", r"\.")):
        call(registry)


def test_a_failing_registry_is_an_error_naming_the_url(world: World) -> None:
    world.mcp.inject("/v0.1/servers", 503, sticky=True)
    with open_mcp_registry({}) as registry, pytest.raises(RegistryError) as caught:
        registry.search("x")
    assert f"{world.mcp.origin}/v0.1/servers?" in str(caught.value) and "503" in str(caught.value)


def test_something_that_is_no_registry_says_so(world: World) -> None:
    with open_mcp_registry({}, environ={"MCPSTATE_MCP_REGISTRY": world.npm_url}) as registry, \
            pytest.raises(RegistryError, match=f"the MCP Registry at {world.npm.origin} has no server list"):
        registry.search("x")
    world.mcp.inject("/v0.1/servers", "malformed")
    with open_mcp_registry({}) as registry, pytest.raises(RegistryError, match="malformed JSON"):
        registry.search("x")


def test_the_environment_wins_over_the_lockfile_over_the_default() -> None:
    configured = {"mcp": "https://mirror.example/mcp/"}
    assert mcp_registry_url(configured, {"MCPSTATE_MCP_REGISTRY": "http://127.0.0.1:9/"}) == "http://127.0.0.1:9/"
    assert mcp_registry_url(configured, {}) == "https://mirror.example/mcp/"
    assert mcp_registry_url({}, {}) == MCP_DEFAULT
