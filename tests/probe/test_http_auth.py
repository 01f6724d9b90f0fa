"""Remote servers behind OAuth (DESIGN §8): a 401 with WWW-Authenticate and no
credentials passes with a warning and an unknown surface; with credentials it fails;
a 401 without a challenge fails either way. And the fixture's side of it."""

from __future__ import annotations

import json
from typing import Iterator

import httpx
import pytest

from mcpstate.model import TestSpec
from mcpstate.probe import Launch, probe
from mcpstate.probe.http import has_credentials
from testing.servers.remote_server import RemoteServer

SPEC = TestSpec(timeout_s=5, required_tools=("echo",))
PREVIOUS = [{"name": "echo", "input_schema_sha256": "0" * 64}, {"name": "add", "input_schema_sha256": "1" * 64}]


@pytest.fixture
def remote(request: pytest.FixtureRequest) -> Iterator[RemoteServer]:
    server = RemoteServer(request.param).start()
    try:
        yield server
    finally:
        server.stop()


@pytest.mark.parametrize("remote", ["auth_required"], indirect=True)
def test_sign_in_required_passes_with_the_warning_and_no_tool_diff(remote: RemoteServer) -> None:
    report = probe(Launch(url=remote.url), SPEC, PREVIOUS)
    assert report.passed and report.auth_required, report.failures
    [warning] = report.warnings
    assert warning.startswith("authorization required (401, WWW-Authenticate: Bearer resource_metadata=")
    assert remote.metadata_url in warning and warning.endswith("the tool surface cannot be read")
    # an unknown surface is not an empty one: no "removed" tools, nothing breaking, no
    # required_tools failure
    assert report.tools == () and report.tool_diff.removed == () and not report.breaking
    assert report.to_json()["auth_required"] is True


@pytest.mark.parametrize("remote", ["auth_required"], indirect=True)
@pytest.mark.parametrize("headers", [{"Authorization": "Bearer abc123"}, {"X-Api-Key": "k"}])
def test_sign_in_required_with_credentials_given_fails(remote: RemoteServer, headers: dict[str, str]) -> None:
    report = probe(Launch(url=remote.url, headers=headers), SPEC)
    assert not report.passed and not report.auth_required
    [failure] = report.failures
    assert failure.startswith("the server refused the credentials given: 401, WWW-Authenticate: Bearer ")


@pytest.mark.parametrize("remote", ["unauthorized"], indirect=True)
@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer abc123"}])
def test_401_without_a_challenge_fails_either_way(remote: RemoteServer, headers: dict[str, str]) -> None:
    report = probe(Launch(url=remote.url, headers=headers), SPEC)
    assert not report.passed and not report.auth_required
    assert "401" in report.failures[0] and "without a WWW-Authenticate" in report.failures[0]


@pytest.mark.parametrize(("headers", "given"), [
    ({}, False),
    ({"Authorization": "Bearer "}, False),       # "Bearer ${TOKEN:-}" resolved to nothing
    ({"Authorization": "  "}, False),
    ({"X-Request-Id": "r1", "Accept-Language": "en"}, False),
    ({"Authorization": "Bearer t"}, True),
    ({"authorization": "t"}, True),
    ({"X-Api-Key": "k"}, True),
    ({"Cookie": "session=s"}, True),
])
def test_what_counts_as_credentials(headers: dict[str, str], given: bool) -> None:
    assert has_credentials(headers) is given


@pytest.mark.parametrize("remote", ["auth_required"], indirect=True)
def test_fixture_serves_the_metadata_its_challenge_names(remote: RemoteServer) -> None:
    answer = httpx.post(remote.url, json={}, headers={"Accept": "application/json, text/event-stream"})
    assert answer.status_code == 401
    challenge = answer.headers["WWW-Authenticate"]
    assert challenge == f'Bearer resource_metadata="{remote.metadata_url}"'
    metadata = httpx.get(remote.metadata_url)
    assert metadata.status_code == 200 and json.loads(metadata.text)["resource"] == remote.url
