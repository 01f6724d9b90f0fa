"""The registry clients over real HTTP on 127.0.0.1: retries, timeouts, ETags and the
errors a user sees; then the hermetic world's npm registry and PyPI index."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from urllib.parse import urlsplit

import httpx
import pytest

from mcpstate.errors import RegistryError
from mcpstate.httpclient import make_client
from mcpstate.registry import Registries, fetch_catalogs
from mcpstate.registry import npm as npm_client
from mcpstate.registry import pypi as pypi_client
from mcpstate.registry.fetch import Fetcher, map_concurrent
from testing import catalogue
from testing.httpbase import LocalServer, Reply

PACKUMENT = {"name": "@s/p", "dist-tags": {"latest": "1.0.0"},
             "versions": {"1.0.0": {"dist": {"integrity": "sha512-" + "B" * 86 + "=="}}}}


class FakeRegistry(LocalServer):
    """Serves `routes` (path -> replies, the last one repeating)."""

    name = "fake registry"

    def __init__(self) -> None:
        super().__init__()
        self.routes: dict[str, list[Reply]] = {"/@s/p": [Reply.json(PACKUMENT)]}

    def resolve(self, method: str, path: str, headers: dict[str, str]) -> Reply:
        replies = self.routes.get(urlsplit(path).path.replace("%2f", "/"))
        if not replies:
            return Reply.not_found(path)
        return replies.pop(0) if len(replies) > 1 else replies[0]


@pytest.fixture(scope="module")
def fake_server() -> Iterator[FakeRegistry]:
    server = FakeRegistry().start()
    yield server
    server.stop()  # also releases hung requests


@pytest.fixture
def fake(fake_server: FakeRegistry) -> FakeRegistry:
    fake_server.clear_faults()
    fake_server.requests.clear()
    fake_server.routes = FakeRegistry().routes
    return fake_server


class Sleeps(list[float]):
    def __call__(self, seconds: float) -> None:
        self.append(seconds)  # record the backoff instead of waiting it out


@pytest.fixture
def sleeps() -> Sleeps:
    return Sleeps()


@pytest.fixture
def client() -> Iterator[httpx.Client]:
    with make_client(timeout=0.5) as c:
        yield c


def packument(fake: FakeRegistry, client: httpx.Client, sleeps: Sleeps) -> object:
    return npm_client.fetch_catalog(Fetcher(client, sleep=sleeps), fake.origin + "/", "@s/p")


def test_a_500_is_retried_then_the_200_is_used(fake: FakeRegistry, client: httpx.Client,
                                               sleeps: Sleeps) -> None:
    fake.inject("/@s/p", 500)
    catalog = packument(fake, client, sleeps)
    assert catalog.dist_tags == {"latest": "1.0.0"}
    assert fake.hits("/@s/p") == 2 and len(sleeps) == 1 and 0 < sleeps[0] <= 0.2


def test_a_persistent_503_fails_after_a_few_tries(fake: FakeRegistry, client: httpx.Client,
                                                  sleeps: Sleeps) -> None:
    fake.inject("/@s/p", 503, sticky=True)
    with pytest.raises(RegistryError) as err:
        packument(fake, client, sleeps)
    assert f"GET {fake.origin}/@s%2fp answered 503" in str(err.value)
    assert "try again later" in str(err.value)
    assert fake.hits("/@s/p") == 3 and sleeps[1] > sleeps[0] / 2  # backoff grows (with jitter)


def test_retry_after_is_honoured_within_reason(fake: FakeRegistry, client: httpx.Client,
                                               sleeps: Sleeps) -> None:
    fake.routes["/@s/p"] = [Reply(429, b"{}", headers={"Retry-After": "2"}), Reply.json(PACKUMENT)]
    packument(fake, client, sleeps)
    assert sleeps == [2.0]
    fake.routes["/@s/p"] = [Reply(429, b"{}", headers={"Retry-After": "3600"}), Reply.json(PACKUMENT)]
    with pytest.raises(RegistryError, match="asking to wait 3600 s: try again later"):
        packument(fake, client, sleeps)
    assert sleeps == [2.0]  # an hour is not waited for


def test_a_reset_connection_is_retried(fake: FakeRegistry, client: httpx.Client,
                                       sleeps: Sleeps) -> None:
    fake.inject("/@s/p", "reset")
    assert packument(fake, client, sleeps).package == "@s/p"
    assert fake.hits("/@s/p") == 2


def test_an_unreachable_registry_is_a_clear_error(client: httpx.Client, sleeps: Sleeps) -> None:
    with pytest.raises(RegistryError, match=r"cannot reach http://127.0.0.1:9/left-pad: .*tried 3 times"):
        npm_client.fetch_catalog(Fetcher(client, sleep=sleeps), "http://127.0.0.1:9/", "left-pad")


def test_404_says_no_such_package_and_names_the_url(fake: FakeRegistry, client: httpx.Client,
                                                    sleeps: Sleeps) -> None:
    with pytest.raises(RegistryError) as err:
        npm_client.fetch_catalog(Fetcher(client, sleep=sleeps), fake.origin + "/", "@s/missing")
    assert str(err.value) == (f"no such package on the npm registry {fake.origin}/: @s/missing "
                              f"(GET {fake.origin}/@s%2fmissing answered 404)")
    assert sleeps == []  # a 404 is an answer, not a failure to retry


def test_a_hang_is_a_timeout_error_without_retries(fake: FakeRegistry, client: httpx.Client,
                                                   sleeps: Sleeps) -> None:
    fake.inject("/@s/p", "hang", sticky=True)
    with pytest.raises(RegistryError) as err:
        packument(fake, client, sleeps)
    assert f"GET {fake.origin}/@s%2fp timed out (no answer within 0.5 s)" in str(err.value)
    assert "MCPSTATE_NPM_REGISTRY" in str(err.value)
    assert fake.hits("/@s/p") == 1


def test_malformed_json_is_a_clear_error(fake: FakeRegistry, client: httpx.Client,
                                         sleeps: Sleeps) -> None:
    fake.inject("/@s/p", "malformed")
    with pytest.raises(RegistryError, match=rf"{fake.origin}/@s%2fp answered malformed JSON \("):
        packument(fake, client, sleeps)


def test_an_etag_is_revalidated_and_a_304_reuses_the_body(fake: FakeRegistry, client: httpx.Client,
                                                          sleeps: Sleeps) -> None:
    fetcher = Fetcher(client, sleep=sleeps)
    first = npm_client.fetch_catalog(fetcher, fake.origin, "@s/p")
    second = npm_client.fetch_catalog(fetcher, fake.origin, "@s/p")
    sent = [seen.headers.get("if-none-match") for seen in fake.requests]
    assert sent[0] is None and sent[1] and sent[1].startswith('"')
    assert second == first


def test_no_etag_means_no_conditional_request(fake: FakeRegistry, client: httpx.Client,
                                              sleeps: Sleeps) -> None:
    no_etag = Reply.json(PACKUMENT)
    no_etag.etag = False
    fake.routes["/@s/p"] = [no_etag]
    fetcher = Fetcher(client, sleep=sleeps)
    npm_client.fetch_catalog(fetcher, fake.origin, "@s/p")
    npm_client.fetch_catalog(fetcher, fake.origin, "@s/p")
    assert [seen.headers.get("if-none-match") for seen in fake.requests] == [None, None]


def test_pypi_falls_back_to_html_when_the_index_ignores_json(fake: FakeRegistry, client: httpx.Client,
                                                             sleeps: Sleeps) -> None:
    html = '<a href="/f/p-1.0-py3-none-any.whl#sha256=' + "ab" * 32 + '">p-1.0-py3-none-any.whl</a>'
    fake.routes["/simple/p/"] = [Reply(200, html.encode(), "text/html")]
    catalog = pypi_client.fetch_catalog(Fetcher(client, sleep=sleeps), fake.origin + "/simple", "P")
    assert fake.requests[0].headers["accept"].startswith(pypi_client.JSON_TYPE)
    assert catalog.release("1.0").integrity == "sha256:" + "ab" * 32


def test_map_concurrent_runs_in_parallel_keeps_order_and_isolates_errors() -> None:
    barrier = threading.Barrier(4, timeout=5)  # passes only if 4 calls run at once

    def lookup(n: int) -> int:
        barrier.wait()
        if n == 2:
            raise RegistryError("two is bad")
        return n * 10

    results = map_concurrent(lookup, range(4))
    assert results[:2] == [0, 10] and results[3] == 30
    assert isinstance(results[2], RegistryError)


# -- against the hermetic world ----------------------------------------------------


@pytest.fixture
def registries(world: object) -> Iterator[Registries]:
    with make_client() as c:
        yield Registries(Fetcher(c), {"npm": world.npm_url, "pypi": world.pypi_url})


def test_world_scoped_npm_package(world: object, registries: Registries) -> None:
    catalog = registries.catalog("npm", catalogue.NPM_SERVER)
    assert world.npm.requests[-1].path == "/@mcpstate-fixture%2fserver"
    release = catalog.release(catalogue.NPM_LATEST)
    assert release.integrity == world.integrity("npm", catalogue.NPM_SERVER, catalogue.NPM_LATEST)
    assert catalog.dist_tags["beta"] == catalogue.NPM_PRERELEASE
    assert release.published is not None


def test_world_pypi_json_and_html_agree(world: object, registries: Registries) -> None:
    catalog = registries.catalog("pypi", catalogue.PYPI_SERVER)
    page = httpx.get(world.pypi_url + catalogue.PYPI_SERVER + "/").text  # HTML: no JSON asked
    from_html = pypi_client.build_catalog(catalogue.PYPI_SERVER,
                                          pypi_client.parse_html(page, world.pypi_url))
    strip = lambda c: sorted((r.version, r.yanked, r.integrity) for r in c.releases)  # noqa: E731
    assert strip(catalog) == strip(from_html)
    assert all(r.published is not None for r in catalog.releases)   # PEP 700 upload-time
    assert all(r.published is None for r in from_html.releases)     # HTML: unknown


def test_world_pypi_yanked_release(world: object, registries: Registries) -> None:
    catalog = registries.catalog("pypi", catalogue.PYPI_SERVER)
    yanked = catalog.release(catalogue.PYPI_YANKED)
    assert yanked.yanked and yanked.note == "hangs at start"
    assert yanked.integrity == world.integrity("pypi", catalogue.PYPI_SERVER, catalogue.PYPI_YANKED)


def test_world_fetch_catalogs_maps_each_failure_to_its_package(world: object) -> None:
    keys = [("npm", catalogue.NPM_CALENDAR), ("npm", "@mcpstate-fixture/nope"),
            ("pypi", catalogue.PYPI_CALENDAR), ("npm", catalogue.NPM_CALENDAR)]
    found = fetch_catalogs({}, keys, environ=world.env)
    assert len(found) == 3  # the duplicate is fetched once
    assert "no such package on the npm registry" in str(found[("npm", "@mcpstate-fixture/nope")])
    assert {r.version for r in found[("pypi", catalogue.PYPI_CALENDAR)].releases} == set(
        catalogue.CALENDAR_VERSIONS)
    json.dumps([str(v) for v in found.values()])  # errors render as plain messages
