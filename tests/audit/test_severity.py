"""Severity words from OSV records: the database's own word first, else the CVSS v3 base
score computed from the vector (values checked against the CVSS v3.1 calculator)."""

from __future__ import annotations

from typing import Any

import pytest

from mcpstate.audit.findings import at_or_above
from mcpstate.audit.severity import cvss3_base_score, rank, severity_of


@pytest.mark.parametrize("vector, score", [
    ("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", 9.8),
    ("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H", 7.5),
    ("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:L/I:N/A:N", 5.3),
    ("CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:C/C:L/I:L/A:N", 6.1),  # scope changed: the classic XSS
    ("CVSS:3.0/AV:L/AC:H/PR:H/UI:R/S:U/C:L/I:N/A:N", 1.8),  # 1.4124 + 0.3330, rounded up
    ("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:N", 0.0),
])
def test_cvss3_base_scores(vector: str, score: float) -> None:
    assert cvss3_base_score(vector) == score


def test_an_incomplete_vector_has_no_score() -> None:
    assert cvss3_base_score("CVSS:3.1/AV:N/AC:L") is None


def record(**fields: Any) -> dict[str, Any]:
    return {"id": "X-1", **fields}


@pytest.mark.parametrize("fields, word", [
    ({"database_specific": {"severity": "HIGH"}}, "high"),
    ({"database_specific": {"severity": "MEDIUM"}}, "moderate"),
    ({"affected": [{"database_specific": {"severity": "CRITICAL"}}]}, "critical"),
    ({"severity": [{"type": "CVSS_V3", "score": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:L/I:N/A:N"}]}, "moderate"),
    ({"severity": [{"type": "CVSS_V3", "score": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"}]}, "critical"),
    ({"severity": [{"type": "CVSS_V3", "score": "3.1"}]}, "low"),
    ({"severity": [{"type": "CVSS_V4", "score": "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H"}]}, "unknown"),
    ({}, "unknown"),
    # the database's word wins over a vector that would say otherwise
    ({"database_specific": {"severity": "LOW"},
      "severity": [{"type": "CVSS_V3", "score": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"}]}, "low"),
])
def test_severity_of_a_record(fields: dict[str, Any], word: str) -> None:
    assert severity_of(record(**fields)) == word


def test_fail_on_thresholds_and_unknown_ranked_as_moderate() -> None:
    assert at_or_above(["moderate", "low"], "high") is False
    assert at_or_above(["moderate", "high"], "high") is True
    assert at_or_above(["critical"], "low") is True
    assert at_or_above(["unknown"], "moderate") and not at_or_above(["unknown"], "high")
    assert rank("low") < rank("moderate") < rank("high") < rank("critical")
