"""The monitoring examples against the real thing: every metric that the Grafana dashboard
and the Prometheus rules query is one that `mcpstate status --format prometheus` emits
for an applied project, and the rules pass Prometheus's own checker."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from typing import Any

import pytest
import yaml

from testing.pytest_plugin import Project
from tests.examples.tools import EXAMPLES, promql_metrics, require

pytestmark = pytest.mark.slow

DASHBOARD = EXAMPLES / "grafana" / "mcpstate-dashboard.json"
RULES = EXAMPLES / "prometheus" / "alerts.yml"
# Queried by the rules, emitted by node_exporter's systemd collector (examples/README.md).
NODE_EXPORTER = {"node_systemd_unit_state"}


def emitted(project: Project) -> set[str]:
    from prometheus_client.parser import text_string_to_metric_families

    project.run("status", "--format", "prometheus", "--output", "metrics.prom", check=True)
    families = list(text_string_to_metric_families(project.read("metrics.prom")))
    return {sample.name for family in families for sample in family.samples}


def dashboard_queries(board: dict[str, Any]) -> Iterator[str]:
    """Every PromQL expression of the dashboard: panel targets, annotations, and the
    queries of its query variables (`label_values(...)`)."""
    def walk(node: Any) -> Iterator[str]:
        if isinstance(node, dict):
            if isinstance(node.get("expr"), str):
                yield node["expr"]
            for value in node.values():
                yield from walk(value)
        elif isinstance(node, list):
            for value in node:
                yield from walk(value)

    yield from walk({k: v for k, v in board.items() if k != "templating"})
    for variable in board["templating"]["list"]:
        if variable["type"] == "query":
            query = variable["query"]
            yield query["query"] if isinstance(query, dict) else query


def rule_expressions() -> list[str]:
    rules = yaml.safe_load(RULES.read_text(encoding="utf-8"))
    return [rule["expr"] for group in rules["groups"] for rule in group["rules"]]


def test_the_dashboard_and_the_rules_query_only_emitted_metrics(applied: Project) -> None:
    metrics = emitted(applied)
    board = json.loads(DASHBOARD.read_text(encoding="utf-8"))
    queried = {"dashboard": [promql_metrics(q) for q in dashboard_queries(board)],
               "rules": [promql_metrics(e) for e in rule_expressions()]}
    for where, names in queried.items():
        assert all(names), f"a {where} query names no metric: {names}"
        used = set().union(*names)
        assert "mcpstate_server_up" in used, where  # the reader finds names at all
        assert used - metrics <= NODE_EXPORTER, f"{where} queries metrics status never emits"


@pytest.mark.parametrize("expr, names", [
    ('time() - min(mcpstate_last_status_timestamp_seconds{instance=~"$instance"})',
     {"mcpstate_last_status_timestamp_seconds"}),
    ('label_values(mcpstate_server_up{instance=~"$instance"}, server)', {"mcpstate_server_up"}),
    ("changes(a_total[1h]) > 0 unless on (instance, server) changes(b[1h]) > 0", {"a_total", "b"}),
    ("count(mcpstat_server_up == 0) or vector(0)", {"mcpstat_server_up"}),
    ("sum by (server) (x offset 5m) > 500 * 1024", {"x"}),
])
def test_promql_metric_names(expr: str, names: set[str]) -> None:
    assert promql_metrics(expr) == names


def test_the_rules_pass_promtool() -> None:
    promtool = require("promtool", "Debian's prometheus package; `make test` installs it as root")
    proc = subprocess.run([promtool, "check", "rules", str(RULES)], check=False,
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert f"SUCCESS: {len(rule_expressions())} rules found" in proc.stdout


def test_the_alerts_fire_as_their_unit_tests_say() -> None:
    promtool = require("promtool", "Debian's prometheus package; `make test` installs it as root")
    tests = RULES.with_name("alerts_test.yml")
    # The unit tests name alerts.yml relative to themselves, as a user runs them.
    proc = subprocess.run([promtool, "test", "rules", tests.name], check=False, cwd=tests.parent,
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "SUCCESS" in proc.stdout
    covered = {t["alertname"] for test in yaml.safe_load(tests.read_text(encoding="utf-8"))["tests"]
               for t in test["alert_rule_test"]}
    assert covered == {"McpServerDown", "McpStatusStale", "McpServerToolsChangedWithoutApply", "McpServerToolsDrifted"}
