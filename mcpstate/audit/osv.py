"""Known vulnerabilities from an OSV API (https://google.github.io/osv.dev/api/):
`POST /v1/querybatch` says which advisory ids affect each package version (ids only),
then `GET /v1/vulns/{id}` gives each advisory once. One pooled client for the run;
one request per batch of at most 1000 queries (the API's cap), a second request only
for the queries whose answer had a `next_page_token`; advisory details concurrently.
Failures are RegistryErrors naming the URL (registry/fetch.py translates httpx)."""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any
from urllib.parse import quote

from mcpstate.audit.closures import ECOSYSTEM, Package
from mcpstate.errors import RegistryError
from mcpstate.httpclient import make_client
from mcpstate.registry.fetch import Answer, Fetcher, map_concurrent

DEFAULT_URL = "https://api.osv.dev"
ENV = "MCPSTATE_OSV_URL"
BATCH = 1000
MAX_PAGES = 20  # a runaway pager must not hold a CI job for ever
TIMEOUT_S = 30.0

Vuln = Mapping[str, Any]


def osv_url(environ: Mapping[str, str]) -> str:
    return (environ.get(ENV) or DEFAULT_URL).rstrip("/")


class Osv:
    """Query batches and advisories of one OSV API over one Fetcher."""

    def __init__(self, fetcher: Fetcher, base_url: str) -> None:
        self.fetcher = fetcher
        self.base_url = base_url.rstrip("/")

    def affecting(self, packages: Sequence[Package]) -> dict[Package, list[str]]:
        """The advisory ids that affect each package version (packages without any left out)."""
        found: dict[Package, list[str]] = {}
        for start in range(0, len(packages), BATCH):
            chunk = packages[start:start + BATCH]
            for package, ids in zip(chunk, self._batch(chunk)):
                if ids:
                    found[package] = ids
        return found

    def _batch(self, packages: Sequence[Package]) -> list[list[str]]:
        ids: list[list[str]] = [[] for _ in packages]
        tokens: dict[int, str | None] = {i: None for i in range(len(packages))}
        for _ in range(MAX_PAGES):
            pending = list(tokens)
            results = self._query([(packages[i], tokens[i]) for i in pending])
            tokens = {}
            for index, result in zip(pending, results):
                ids[index] += _ids(result, self.url)
                if result.get("next_page_token"):
                    tokens[index] = str(result["next_page_token"])
            if not tokens:
                return ids
        raise RegistryError(f"{self.url} kept paging after {MAX_PAGES} pages; is {ENV} an OSV API?")

    def _query(self, queries: Sequence[tuple[Package, str | None]]) -> list[Mapping[str, Any]]:
        body = {"queries": [_query(package, token) for package, token in queries]}
        doc = _json(self.fetcher.post_json(self.url, body), self.url)
        results = doc.get("results") if isinstance(doc, dict) else None
        if not isinstance(results, list) or len(results) != len(queries) or \
                not all(isinstance(r, dict) for r in results):
            raise RegistryError(f"POST {self.url} answered no list of {len(queries)} results; "
                                f"is {ENV} an OSV API?")
        return results

    @property
    def url(self) -> str:
        return f"{self.base_url}/v1/querybatch"

    def vulns(self, ids: Sequence[str]) -> dict[str, Vuln]:
        """Each advisory once, concurrently; the first failure is raised (a partial audit
        that looks complete would be worse than none)."""
        unique = list(dict.fromkeys(ids))
        answers = map_concurrent(self.vuln, unique)
        for answer in answers:
            if isinstance(answer, RegistryError):
                raise answer
        return dict(zip(unique, answers))  # type: ignore[arg-type]

    def vuln(self, vuln_id: str) -> Vuln:
        url = f"{self.base_url}/v1/vulns/{quote(vuln_id, safe='')}"
        answer = self.fetcher.get(url, accept="application/json",
                                  not_found=f"advisory {vuln_id} is not in {self.base_url}")
        doc = _json(answer, url)
        if not isinstance(doc, dict) or doc.get("id") != vuln_id:
            raise RegistryError(f"GET {url} answered no advisory {vuln_id}; is {ENV} an OSV API?")
        return doc


def _query(package: Package, token: str | None) -> dict[str, Any]:
    query: dict[str, Any] = {"package": {"name": package.name, "ecosystem": ECOSYSTEM[package.source]},
                             "version": package.version}
    return {**query, "page_token": token} if token else query


def _ids(result: Mapping[str, Any], url: str) -> list[str]:
    vulns = result.get("vulns") or []
    if not isinstance(vulns, list) or not all(isinstance(v, dict) and isinstance(v.get("id"), str)
                                              for v in vulns):
        raise RegistryError(f"POST {url} answered malformed vulns (expected [{{'id': ...}}])")
    return [v["id"] for v in vulns]


def _json(answer: Answer, url: str) -> Any:
    try:
        return json.loads(answer.body)
    except ValueError as e:  # JSONDecodeError and UnicodeDecodeError
        raise RegistryError(f"{url} answered malformed JSON ({e}); is {ENV} an OSV API?") from None


@contextmanager
def open_osv(environ: Mapping[str, str], timeout: float = TIMEOUT_S) -> Iterator[Osv]:
    """An OSV client over a fresh pooled HTTP client, closed on the way out."""
    hint = f"point {ENV} at a mirror"
    with make_client(timeout=timeout) as client:
        yield Osv(Fetcher(client, mirror_hint=hint), osv_url(environ))
