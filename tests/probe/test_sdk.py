"""Cross-check: the tools mcpstate's own client reads equal what the official `mcp`
Python SDK (2.x, test-only) reads from the same fixture server.

The SDK validates 2026-07-28 results strictly; the fixture servers' modern tools/list
lacks `ttlMs`/`cacheScope` (required by that schema), so the modern cross-check is an
expected failure until they add them, and it checks that our report warns about it."""

from __future__ import annotations

from typing import Any

import anyio
import pytest
from mcp import Client
from mcp.client.stdio import StdioServerParameters

from mcpstate.model import TestSpec
from mcpstate.probe import Launch, Report, probe
from testing.servers.remote_server import serve

from tests.probe.test_stdio import RUNTIMES, launch

SPEC = TestSpec(timeout_s=10)
STARTS_PROPERLY = ["healthy", "legacy_only", "chatty", "paginate", "add_tool", "remove_tool", "change_schema",
                   "memory_hog,mb=20", "slow_start,slow_ms=50", "legacy_only,paginate,chatty"]


async def sdk_tools(server: StdioServerParameters | str, mode: str) -> tuple[str, list[dict[str, Any]]]:
    """(protocol version, every tool page) as the SDK reads them."""
    async with Client(server, mode=mode) as client:  # type: ignore[arg-type]
        tools, cursor = [], None
        while True:
            page = await client.list_tools(cursor=cursor)
            tools += [tool.model_dump(by_alias=True, exclude_none=True) for tool in page.tools]
            cursor = page.next_cursor
            if cursor is None:
                return client.protocol_version, tools


def ours(report: Report) -> list[tuple[str, str, Any]]:
    assert report.passed, report.failures
    return [(tool.name, tool.description, tool.input_schema) for tool in report.tools]


def theirs(tools: list[dict[str, Any]]) -> list[tuple[str, str, Any]]:
    return sorted((tool["name"], tool.get("description", ""), tool["inputSchema"]) for tool in tools)


def stdio_params(behaviour: str, runtime: str) -> StdioServerParameters:
    command, script = RUNTIMES[runtime]
    return StdioServerParameters(command=command, args=[script], env={"MCP_FIXTURE_BEHAVIOUR": behaviour})


@pytest.mark.parametrize("runtime", RUNTIMES)
@pytest.mark.parametrize("behaviour", STARTS_PROPERLY)
def test_same_tools_as_the_sdk_over_legacy_stdio(behaviour: str, runtime: str) -> None:
    version, tools = anyio.run(sdk_tools, stdio_params(behaviour, runtime), "legacy")
    report = probe(launch(behaviour, runtime), SPEC)
    assert ours(report) == theirs(tools)
    if "legacy_only" in behaviour:
        assert report.protocol_version == version == "2025-11-25"


@pytest.mark.parametrize("sse", [False, True])
@pytest.mark.parametrize("behaviour", ["legacy_only", "legacy_only,paginate", "healthy"])
def test_same_tools_as_the_sdk_over_legacy_http(behaviour: str, sse: bool) -> None:
    with serve(behaviour, sse=sse) as url:
        _, tools = anyio.run(sdk_tools, url, "legacy")
        report = probe(Launch(url=url), SPEC)
    assert ours(report) == theirs(tools)


@pytest.mark.parametrize("behaviour", ["healthy", "modern_only", "paginate"])
def test_same_tools_as_the_sdk_over_modern_stdio(behaviour: str) -> None:
    report = probe(launch(behaviour), SPEC)
    assert report.generation == "modern"
    assert not [w for w in report.warnings if "lacks" in w]  # the fixtures follow the schema
    version, tools = anyio.run(sdk_tools, stdio_params(behaviour, "python"), "auto")
    assert version == report.protocol_version == "2026-07-28"
    assert ours(report) == theirs(tools)

