"""One severity word per advisory: low, moderate, high or critical (npm's and GitHub's
scale), or unknown.

An OSV record says it in one of two ways, taken in this order:
1. `database_specific.severity` (the GitHub Advisory Database writes LOW, MODERATE,
   HIGH, CRITICAL; MEDIUM is read as moderate), on the record or on an `affected` entry;
2. a CVSS v3.x vector in `severity[]` (type CVSS_V3), whose base score is computed here
   (CVSS v3.1 specification, §7) and banded as CVSS's qualitative scale does:
   0.1-3.9 low, 4.0-6.9 moderate (CVSS's "medium"), 7.0-8.9 high, 9.0-10.0 critical.
   A plain number in `score` is banded the same way.
CVSS v2 and v4 vectors alone give `unknown`: v4's score needs a large lookup table, and
every record of the GitHub database also carries (1). For `--fail-on`, unknown ranks
as moderate, so an advisory that states no severity is not let through by
`--fail-on moderate` or below.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

LEVELS = ("low", "moderate", "high", "critical")
UNKNOWN = "unknown"
_WORDS = {"low": "low", "moderate": "moderate", "medium": "moderate", "high": "high",
          "critical": "critical"}

_AV = {"N": 0.85, "A": 0.62, "L": 0.55, "P": 0.2}
_AC = {"L": 0.77, "H": 0.44}
_PR = {"N": (0.85, 0.85), "L": (0.62, 0.68), "H": (0.27, 0.5)}  # (scope unchanged, changed)
_UI = {"N": 0.85, "R": 0.62}
_CIA = {"H": 0.56, "L": 0.22, "N": 0.0}


def rank(severity: str) -> int:
    """Order for --fail-on: low 0 ... critical 3; unknown as moderate."""
    return LEVELS.index(severity) if severity in LEVELS else LEVELS.index("moderate")


def severity_of(vuln: Mapping[str, Any]) -> str:
    """The record's severity word (see the module docstring for the order)."""
    stated = _stated(vuln)
    if stated:
        return stated
    scores = [score for score in map(_score, _entries(vuln)) if score is not None]
    return band(max(scores)) if scores else UNKNOWN


def _stated(vuln: Mapping[str, Any]) -> str | None:
    places = [vuln, *(a for a in vuln.get("affected") or () if isinstance(a, Mapping))]
    words = [_WORDS.get(str(_specific(place).get("severity", "")).lower()) for place in places]
    found = [word for word in words if word]
    return max(found, key=rank) if found else None


def _specific(place: Mapping[str, Any]) -> Mapping[str, Any]:
    specific = place.get("database_specific")
    return specific if isinstance(specific, Mapping) else {}


def _entries(vuln: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    places = [vuln, *(a for a in vuln.get("affected") or () if isinstance(a, Mapping))]
    return [entry for place in places for entry in place.get("severity") or () if isinstance(entry, Mapping)]


def _score(entry: Mapping[str, Any]) -> float | None:
    score = str(entry.get("score", ""))
    try:
        return float(score)
    except ValueError:
        pass
    return cvss3_base_score(score) if score.startswith("CVSS:3.") else None


def band(score: float) -> str:
    """CVSS's qualitative rating of a base score, in audit's words."""
    if score >= 9.0:
        return "critical"
    if score >= 7.0:
        return "high"
    if score >= 4.0:
        return "moderate"
    return "low"


def cvss3_base_score(vector: str) -> float | None:
    """The CVSS v3.x base score of `vector`, or None when it is not a complete v3 vector."""
    metrics = dict(part.split(":", 1) for part in vector.split("/")[1:] if ":" in part)
    try:
        changed = {"U": False, "C": True}[metrics["S"]]
        iss = 1 - math.prod(1 - _CIA[metrics[key]] for key in ("C", "I", "A"))
        exploitability = (8.22 * _AV[metrics["AV"]] * _AC[metrics["AC"]]
                          * _PR[metrics["PR"]][changed] * _UI[metrics["UI"]])
    except KeyError:
        return None
    impact = 7.52 * (iss - 0.029) - 3.25 * (iss - 0.02) ** 15 if changed else 6.42 * iss
    if impact <= 0:
        return 0.0
    total = 1.08 * (impact + exploitability) if changed else impact + exploitability
    return _roundup(min(total, 10.0))


def _roundup(value: float) -> float:
    """CVSS v3.1's Roundup: the smallest one-decimal number >= value, free of float noise."""
    scaled = round(value * 100_000)
    if scaled % 10_000 == 0:
        return scaled / 100_000
    return (math.floor(scaled / 10_000) + 1) / 10.0
