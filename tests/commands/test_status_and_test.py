"""`mcpstate test` and `mcpstate status` against the fixture world; JSON outputs
validate against their schemas; the Prometheus output parses."""

from __future__ import annotations

import json
import time

import jsonschema
import pytest

from mcpstate.lockfile.load import load_schema
from testing.catalogue import NPM_VERSIONS
from tests.applyhelp import lockfile, read_json

pytestmark = pytest.mark.slow


def test_test_command_stages_tests_and_never_swaps(project) -> None:  # type: ignore[no-untyped-def]
    project.write_lockfile(lockfile(npm="healthy"))
    result = project.run("test", "app", "--format", "json", check=True)
    report = json.loads(result.stdout)
    assert report["passed"] is True and report["server"] == "app"
    assert {t["name"] for t in report["tools"]} >= {"echo", "add"}
    assert not project.exists(".mcp.json") and not project.exists(".mcpstate/state.json")
    assert (project.store / "npm" / "@mcpstate-fixture+server@1.0.0" / ".mcpstate-intact").exists()
    assert report["report_path"].startswith(str(project.path / ".mcpstate" / "reports"))


def test_test_command_other_version_fails_with_reason(project) -> None:  # type: ignore[no-untyped-def]
    project.write_lockfile(lockfile(npm="healthy"))
    project.run("apply", "--auto-approve", check=True)
    result = project.run("test", "app", "--version", NPM_VERSIONS["remove_tool"])
    assert result.returncode == 1
    assert "FAILED" in result.stdout and "add" in result.stdout  # the removed tool is named
    assert "@1.0.0/" in read_json(project.path / ".mcp.json")["mcpServers"]["app"]["command"]


def test_status_formats(project) -> None:  # type: ignore[no-untyped-def]
    project.write_lockfile(lockfile(npm="healthy", pypi="healthy"))
    project.run("apply", "--auto-approve", check=True)
    text = project.run("status", check=True).stdout
    assert text.splitlines()[0].split() == ["SERVER", "VERSION", "REVISION", "UP", "STARTUP", "RSS", "TOOLS", "SURFACE",
                                            "DETAIL"]
    doc = json.loads(project.run("status", "--format", "json", check=True).stdout)
    jsonschema.validate(doc, load_schema("status"))
    assert {s["server"]: s["up"] for s in doc["servers"]} == {"app": True, "py": True}
    before = time.time()
    project.run("status", "--format", "prometheus", "--output", "metrics.prom", check=True)
    families = parse_prometheus(project.read("metrics.prom"))
    assert families["mcpstate_server_up"] == {("app", 1.0), ("py", 1.0)}
    assert set(families) >= {"mcpstate_server_startup_seconds", "mcpstate_server_rss_bytes",
                             "mcpstate_server_tools", "mcpstate_server_revision",
                             "mcpstate_last_status_timestamp_seconds"}
    [(_, stamp)] = families["mcpstate_last_status_timestamp_seconds"]
    assert float(stamp) >= before - 1


def parse_prometheus(text: str) -> dict[str, set[tuple[str, float]]]:
    from prometheus_client.parser import text_string_to_metric_families

    out: dict[str, set[tuple[str, float]]] = {}
    for family in text_string_to_metric_families(text):
        assert family.name.startswith("mcpstate_")
        for sample in family.samples:
            out.setdefault(sample.name, set()).add((sample.labels.get("server", ""), float(sample.value)))
    return out


def test_status_reports_a_dead_server_and_exits_1(project) -> None:  # type: ignore[no-untyped-def]
    project.write_lockfile(lockfile(npm="healthy"))
    project.run("apply", "--auto-approve", check=True)
    store = project.store / "npm" / "@mcpstate-fixture+server@1.0.0"
    for script in store.rglob("fixture_server.js"):
        script.write_text("process.exit(3)\n")  # the installed server breaks after the fact
    assert list(store.rglob("fixture_server.js"))
    result = project.run("status", "--format", "json")
    assert result.returncode == 1
    [row] = json.loads(result.stdout)["servers"]
    assert row["up"] is False and row["failures"]


def test_history_and_validate_json_follow_their_schemas(project) -> None:  # type: ignore[no-untyped-def]
    project.write_lockfile(lockfile(npm="healthy"))
    project.run("apply", "--auto-approve", check=True)
    jsonschema.validate(json.loads(project.run("history", "--format", "json", check=True).stdout),
                        load_schema("history"))
    jsonschema.validate(json.loads(project.run("validate", "--format", "json", check=True).stdout),
                        load_schema("validate"))
    project.write_lockfile("version: 1\nservers: {a: {source: nope}}\n")
    bad = project.run("validate", "--format", "json")
    assert bad.returncode == 1
    doc = json.loads(bad.stdout)
    jsonschema.validate(doc, load_schema("validate"))
    assert doc["valid"] is False and "servers.a.source" in doc["errors"][0]
