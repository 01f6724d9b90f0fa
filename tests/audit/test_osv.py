"""The OSV client against the fixture world's OSV API: batches, paging, advisories, and
failures that name the URL; and findings built from what it answers."""

from __future__ import annotations

from typing import Any

import pytest

from mcpstate.audit.closures import Closure, Package
from mcpstate.audit.findings import distinct, findings_for, fixed_version
from mcpstate.audit.osv import Osv, open_osv
from mcpstate.errors import RegistryError
from mcpstate.httpclient import make_client
from mcpstate.registry.fetch import Fetcher
from testing import catalogue as cat
from testing import osv_server as adv

SERVER = Package("npm", cat.NPM_SERVER, "1.0.0")
PY = Package("pypi", cat.PYPI_SERVER, "1.0.0")
SAFE = Package("npm", cat.NPM_SERVER, "1.1.0")


def osv_at(url: str) -> Any:
    return open_osv({"MCPSTATE_OSV_URL": url})


def test_one_request_per_batch_and_ids_per_package(world: Any) -> None:
    with osv_at(world.osv_url) as osv:
        affecting = osv.affecting([SERVER, SAFE, PY])
    assert affecting == {SERVER: [adv.GHSA_SERVER_HIGH], PY: [adv.GHSA_PYPI_MODERATE, adv.PYSEC_PYPI_MODERATE]}
    assert world.osv.hits("/v1/querybatch") == 1


def test_more_than_1000_packages_go_in_batches_of_1000(world: Any) -> None:
    many = [Package("npm", f"pkg-{i}", "1.0.0") for i in range(1500)] + [SERVER]
    with osv_at(world.osv_url) as osv:
        assert osv.affecting(many) == {SERVER: [adv.GHSA_SERVER_HIGH]}
    assert world.osv.hits("/v1/querybatch") == 2  # the API refuses more than 1000 queries at once


def test_paged_results_are_followed(world: Any) -> None:
    world.osv.page_size = 1
    with osv_at(world.osv_url) as osv:
        assert osv.affecting([PY, SERVER]) == {
            PY: [adv.GHSA_PYPI_MODERATE, adv.PYSEC_PYPI_MODERATE], SERVER: [adv.GHSA_SERVER_HIGH]}
    assert world.osv.hits("/v1/querybatch") == 2  # the second asks only for PY's second page


def test_advisories_are_fetched_once_each(world: Any) -> None:
    with osv_at(world.osv_url) as osv:
        vulns = osv.vulns([adv.GHSA_SERVER_HIGH, adv.GHSA_TINY_LOW, adv.GHSA_SERVER_HIGH])
    assert list(vulns) == [adv.GHSA_SERVER_HIGH, adv.GHSA_TINY_LOW]
    assert world.osv.hits(f"/v1/vulns/{adv.GHSA_SERVER_HIGH}") == 1


@pytest.mark.parametrize("fault, says", [(500, "answered 500"), ("malformed", "malformed JSON")])
def test_a_failing_query_batch_names_the_url(world: Any, fault: Any, says: str) -> None:
    world.osv.inject("/v1/querybatch", fault, sticky=True)
    with make_client() as client:
        osv = Osv(Fetcher(client, sleep=lambda s: None), world.osv_url)
        with pytest.raises(RegistryError, match=says) as raised:
            osv.affecting([SERVER])
    assert f"{world.osv_url}/v1/querybatch" in str(raised.value)


def test_a_missing_advisory_names_it(world: Any) -> None:
    with osv_at(world.osv_url) as osv, pytest.raises(RegistryError, match="advisory GHSA-none is not in"):
        osv.vulns(["GHSA-none"])


def test_findings_one_per_server_with_aliases_merged_and_the_fix(world: Any) -> None:
    closures = [Closure("a", "npm", (SERVER,), True), Closure("b", "npm", (SERVER, SAFE), True),
                Closure("p", "pypi", (PY,), False)]
    with osv_at(world.osv_url) as osv:
        affecting = osv.affecting([SERVER, SAFE, PY])
        vulns = osv.vulns([i for ids in affecting.values() for i in ids])
    found = findings_for(closures, affecting, vulns)
    assert [(f.server, f.id, f.severity, f.fixed) for f in found] == [
        ("a", adv.GHSA_SERVER_HIGH, "high", "1.1.0"), ("b", adv.GHSA_SERVER_HIGH, "high", "1.1.0"),
        ("p", adv.GHSA_PYPI_MODERATE, "moderate", "1.1.0")]  # PYSEC-... is the same one: an alias


def ranges(*fixed: str, ecosystem: str = "npm", name: str = cat.NPM_SERVER) -> dict[str, Any]:
    events = [{"introduced": "0"}] + [{"fixed": f} for f in fixed]
    return {"id": "X", "affected": [{"package": {"ecosystem": ecosystem, "name": name},
                                     "ranges": [{"type": "SEMVER", "events": events}]}]}


def test_the_fixed_version_is_the_lowest_above_the_locked_one() -> None:
    assert fixed_version(ranges("1.2.5", "2.0.3", "0.9.1"), Package("npm", cat.NPM_SERVER, "2.0.0")) == "2.0.3"
    assert fixed_version(ranges("1.2.5", "2.0.3"), Package("npm", cat.NPM_SERVER, "1.0.0")) == "1.2.5"
    assert fixed_version(ranges(), SERVER) is None
    assert fixed_version(ranges("1.1.0", name="other"), SERVER) is None  # another package's range
    assert fixed_version(ranges("1.1", ecosystem="PyPI", name="Mcpstate_Fixture.Server"), PY) == "1.1"


def test_withdrawn_records_are_dropped() -> None:
    assert distinct([{"id": "A", "withdrawn": "2026-01-01T00:00:00Z"}, {"id": "B"}]) == [{"id": "B"}]
