"""server.json -> lockfile draft, data in, data out: which package or remote is
chosen, arguments, environment, and that no secret is ever written."""

from __future__ import annotations

from typing import Any

import pytest

from mcpstate.errors import RegistryError, UsageError
from mcpstate.importer.serverjson import Exports, draft_from_server_json, server_name, source_of


def server(**more: Any) -> dict[str, Any]:
    return {"name": "io.github.acme/Weather_Tool", "version": "1.0.0", **more}


def npm(identifier: str = "@acme/weather", **more: Any) -> dict[str, Any]:
    return {"registryType": "npm", "identifier": identifier, "version": "2.0.0",
            "transport": {"type": "stdio"}, **more}


def draft(doc: dict[str, Any], name: str = "weather") -> tuple[dict[str, Any], Exports]:
    exports = Exports(name)
    return draft_from_server_json(name, doc, exports).fields, exports


def test_the_first_installable_package_wins_and_records_where_it_came_from() -> None:
    doc = server(packages=[{"registryType": "oci", "identifier": "acme/weather:1"},
                           npm(transport={"type": "streamable-http"}),  # mcpstate launches stdio only
                           {"registryType": "pypi", "identifier": "acme-weather", "version": "3.1"}],
                 remotes=[{"type": "sse", "url": "https://acme.example/sse"}])
    fields, _ = draft(doc)
    assert fields == {"source": "pypi", "package": "acme-weather", "registry_name": doc["name"]}
    assert source_of(doc) == "pypi"


def test_environment_secrets_become_references_and_are_listed() -> None:
    fields, exports = draft(server(packages=[npm(environmentVariables=[
        {"name": "WEATHER_API_KEY", "isSecret": True, "isRequired": True},
        {"name": "ACME_PASSWORD"},  # not marked, but named like a secret
        {"name": "UNITS", "default": "metric"},
        {"name": "REGION", "isRequired": True},
        {"name": "CACHE_DIR"},  # optional, nothing given: left out
        {"name": "DEBUG_HOOK", "value": "ghp_abcdefghijklmnopqrstuvwxyz0123456789"},  # a literal token
    ])]))
    assert fields["env"] == {"WEATHER_API_KEY": "${WEATHER_API_KEY}", "ACME_PASSWORD": "${ACME_PASSWORD}",
                             "UNITS": "metric", "REGION": "${REGION}", "DEBUG_HOOK": "${DEBUG_HOOK}"}
    assert exports.why == {"WEATHER_API_KEY": "secret", "ACME_PASSWORD": "secret",
                           "REGION": "required, no default", "DEBUG_HOOK": "secret"}
    assert "ghp_" not in repr(fields)


def test_package_arguments_become_args_and_runner_options_are_not_passed_on() -> None:
    d = draft_from_server_json("weather", server(packages=[npm(
        runtimeArguments=[{"type": "named", "name": "-y"}, {"type": "named", "name": "--node-options=--x"}],
        packageArguments=[{"type": "positional", "value": "serve"},
                          {"type": "named", "name": "--port", "default": "8080"},
                          {"type": "named", "name": "--token", "isSecret": True},
                          {"type": "named", "name": "--verbose"},  # optional flag: left out
                          {"type": "positional", "valueHint": "data_dir", "isRequired": True}])]),
        exports := Exports("weather"))
    assert d.fields["args"] == ["serve", "--port", "8080", "--token", "${WEATHER_TOKEN}", "${WEATHER_DATA_DIR}"]
    assert exports.why == {"WEATHER_TOKEN": "secret", "WEATHER_DATA_DIR": "required, no default"}
    assert d.parsed is not None and (d.parsed.package, d.parsed.pin) == ("@acme/weather", "2.0.0")
    assert d.notes == ["runtime arguments not kept: --node-options=--x (they are options of the npm "
                       "runner; mcpstate launches the package itself)"]


@pytest.mark.parametrize("kind, transport", [("streamable-http", "http"), ("sse", "sse")])
def test_a_remote_only_server_with_a_secret_header(kind: str, transport: str) -> None:
    doc = server(remotes=[{"type": kind, "url": "https://acme.example/mcp", "headers": [
        {"name": "Authorization", "value": "Bearer {token}",
         "variables": {"token": {"isSecret": True}}},
        {"name": "X-Api-Key", "isSecret": True}]}])
    fields, exports = draft(doc)
    assert fields == {"source": "remote", "registry_name": doc["name"], "url": "https://acme.example/mcp",
                      "transport": transport, "headers": {"Authorization": "Bearer ${WEATHER_TOKEN}",
                                                          "X-Api-Key": "${WEATHER_X_API_KEY}"}}
    assert list(exports.why) == ["WEATHER_TOKEN", "WEATHER_X_API_KEY"]
    assert source_of(doc) == "remote"


def test_nothing_mcpstate_can_run_is_an_error_naming_the_server() -> None:
    doc = server(packages=[{"registryType": "oci", "identifier": "acme/weather:1"}])
    assert source_of(doc) == "-"
    with pytest.raises(RegistryError, match="io.github.acme/Weather_Tool 1.0.0: no npm or PyPI package"):
        draft(doc)


@pytest.mark.parametrize("registry_name, chosen, expected", [
    ("io.github.acme/Weather_Tool", None, "weather_tool"),
    ("com.example/My Server!", None, "my-server"),
    ("io.github.acme/x", "mine", "mine"),
])
def test_server_name(registry_name: str, chosen: str | None, expected: str) -> None:
    assert server_name(registry_name, chosen) == expected


@pytest.mark.parametrize("chosen", ["Mine", "-x", "a" * 65, ""])
def test_an_invalid_as_name_is_refused(chosen: str) -> None:
    with pytest.raises(UsageError, match="--as"):
        server_name("io.github.acme/x", chosen)
