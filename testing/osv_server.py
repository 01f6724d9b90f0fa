"""An OSV-compatible advisory API on 127.0.0.1 (https://google.github.io/osv.dev/api/):
`POST /v1/querybatch` (ids and `modified` only, results in query order, `{}` for a
package with none, at most 1000 queries, 400 otherwise) and `GET /v1/vulns/{id}`.

Advisories (ADVISORIES below) cover some catalogue packages; testing/README.md lists
them with their affected and fixed versions and how each states its severity.

`page_size` (None: no paging) makes querybatch page each result with `next_page_token`,
as the real API does for packages with many advisories.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import unquote, urlsplit

from testing import catalogue as cat
from testing.httpbase import LocalServer, Reply

MAX_QUERIES = 1000
MODIFIED = "2026-10-01T00:00:00Z"

GHSA_SERVER_HIGH = "GHSA-mcps-0001-hhhh"
GHSA_PYPI_MODERATE = "GHSA-mcps-0002-mmmm"
PYSEC_PYPI_MODERATE = "PYSEC-2026-2"
GHSA_TINY_LOW = "GHSA-mcps-0003-llll"
GHSA_CALENDAR_CRITICAL = "GHSA-mcps-0004-cccc"


def _advisory(vuln_id: str, ecosystem: str, name: str, affected: list[str], fixed: str, summary: str,
              *, severity: str | None = None, cvss: str | None = None, aliases: tuple[str, ...] = ()
              ) -> dict[str, Any]:
    record: dict[str, Any] = {
        "schema_version": "1.6.0", "id": vuln_id, "modified": MODIFIED, "published": MODIFIED,
        "aliases": list(aliases), "summary": summary, "details": f"{summary}.\n\nFixture advisory.",
        "affected": [{"package": {"ecosystem": ecosystem, "name": name},
                      "ranges": [{"type": "SEMVER" if ecosystem == "npm" else "ECOSYSTEM",
                                  "events": [{"introduced": "0"}, {"fixed": fixed}]}],
                      "versions": affected}],
        "references": [{"type": "ADVISORY", "url": f"https://example.invalid/{vuln_id}"}],
    }
    if cvss:
        record["severity"] = [{"type": "CVSS_V3", "score": cvss}]
    if severity:
        record["database_specific"] = {"severity": severity}
    return record


ADVISORIES: dict[str, dict[str, Any]] = {a["id"]: a for a in (
    _advisory(GHSA_SERVER_HIGH, "npm", cat.NPM_SERVER, ["1.0.0"], "1.1.0",
              "Fixture server echoes files outside its root", severity="HIGH",
              cvss="CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H", aliases=("CVE-2026-90001",)),
    _advisory(GHSA_PYPI_MODERATE, "PyPI", cat.PYPI_SERVER, ["1.0.0"], "1.1.0",
              "Fixture server logs its arguments", severity="MODERATE",
              aliases=("CVE-2026-90002", PYSEC_PYPI_MODERATE)),
    _advisory(PYSEC_PYPI_MODERATE, "PyPI", cat.PYPI_SERVER, ["1.0.0"], "1.1.0",
              "Fixture server logs its arguments",
              cvss="CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:L/I:N/A:N", aliases=("CVE-2026-90002",)),
    _advisory(GHSA_TINY_LOW, "npm", cat.NPM_TINY, ["1.0.0"], "1.1.0",
              "Tiny fixture trims whitespace", severity="LOW"),
    _advisory(GHSA_CALENDAR_CRITICAL, "npm", cat.NPM_CALENDAR, ["2026.7.4"], "2026.8.31",
              "Calendar fixture runs any command", cvss="CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"),
)}


class OsvServer(LocalServer):
    name = "OSV API"

    def __init__(self) -> None:
        super().__init__()
        self.page_size: int | None = None

    @property
    def url(self) -> str:
        """The base URL, as MCPSTATE_OSV_URL takes it (the API's paths start with /v1/)."""
        return self.origin

    def reset(self) -> None:
        super().reset()
        self.page_size = None

    def resolve(self, method: str, path: str, headers: dict[str, str]) -> Reply:
        parts = [unquote(p) for p in urlsplit(path).path.strip("/").split("/")]
        if len(parts) == 3 and parts[:2] == ["v1", "vulns"] and parts[2] in ADVISORIES:
            return Reply.json(ADVISORIES[parts[2]])
        return Reply.not_found(path)

    def resolve_post(self, path: str, headers: dict[str, str], body: bytes) -> Reply:
        if urlsplit(path).path != "/v1/querybatch":
            return Reply.not_found(path)
        try:
            queries = json.loads(body)["queries"]
            results = [self._answer(query) for query in queries]
        except (ValueError, KeyError, TypeError, AttributeError) as e:
            return Reply(400, json.dumps({"code": 3, "message": f"Invalid query: {e}"}).encode(), etag=False)
        if len(queries) > MAX_QUERIES:
            return Reply(400, json.dumps({"code": 3, "message": "Too many queries."}).encode(), etag=False)
        reply = Reply.json({"results": results})
        reply.etag = False
        return reply

    def _answer(self, query: dict[str, Any]) -> dict[str, Any]:
        package, version = query["package"], query["version"]
        ids = [vuln_id for vuln_id, record in ADVISORIES.items()
               if any(_matches(affected, package, version) for affected in record["affected"])]
        start = int(query.get("page_token") or 0)
        end = len(ids) if self.page_size is None else start + self.page_size
        result: dict[str, Any] = {}
        if ids[start:end]:
            result["vulns"] = [{"id": i, "modified": MODIFIED} for i in ids[start:end]]
        if end < len(ids):
            result["next_page_token"] = str(end)
        return result


def _matches(affected: dict[str, Any], package: dict[str, Any], version: str) -> bool:
    named = affected["package"]
    if named["ecosystem"] != package["ecosystem"]:
        return False
    same = (cat.normalize_pypi(named["name"]) == cat.normalize_pypi(package["name"])
            if named["ecosystem"] == "PyPI" else named["name"] == package["name"])
    return same and version in affected["versions"]
