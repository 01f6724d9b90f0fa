"""The local npm registry and PyPI index over HTTP: document shapes, hashes, ETags and
fault injection (what registry-client tests build on)."""

from __future__ import annotations

import base64
import hashlib
import re
from datetime import datetime, timedelta

import httpx
import pytest

from testing import catalogue as cat
from testing.world import World


@pytest.fixture(scope="module")
def http() -> httpx.Client:
    with httpx.Client(timeout=10) as client:
        yield client


def iso(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def test_packument_under_both_spellings(world: World, http: httpx.Client) -> None:
    escaped = http.get(world.npm.origin + "/@mcpstate-fixture%2fserver").json()
    plain = http.get(world.npm.origin + "/@mcpstate-fixture/server").json()
    assert escaped == plain
    assert set(plain["versions"]) == {r.version for r in cat.package(cat.NPM, cat.NPM_SERVER).releases}
    assert plain["dist-tags"] == {"latest": cat.NPM_LATEST, "beta": cat.NPM_PRERELEASE}
    v1 = plain["versions"]["1.0.0"]
    assert v1["bin"] == {cat.NPM_SERVER_BIN: "fixture_server.js"}
    assert v1["dist"]["tarball"].startswith(world.npm.origin + "/")
    assert plain["versions"][cat.NPM_VERSIONS["hang"]]["deprecated"]


def test_tarball_matches_its_advertised_hashes(world: World, http: httpx.Client) -> None:
    dist = http.get(world.npm.origin + "/" + cat.NPM_TINY).json()["versions"]["1.1.0"]["dist"]
    data = http.get(dist["tarball"]).content
    assert dist["shasum"] == hashlib.sha1(data).hexdigest()
    assert dist["integrity"] == "sha512-" + base64.b64encode(hashlib.sha512(data).digest()).decode()
    assert dist["integrity"] == world.integrity(cat.NPM, cat.NPM_TINY, "1.1.0")


def test_version_manifest_and_dist_tag_routes(world: World, http: httpx.Client) -> None:
    latest = http.get(world.npm.origin + "/@mcpstate-fixture%2fserver/latest").json()
    assert latest["version"] == cat.NPM_LATEST
    assert http.get(world.npm.origin + "/nonexistent-package").status_code == 404


def test_publish_times_count_back_from_the_world_clock(world: World, http: httpx.Client) -> None:
    times = http.get(world.npm.origin + "/@mcpstate-fixture%2fcalendar").json()["time"]
    recent, older = iso(times[cat.CALENDAR_RECENT]), iso(times["2026.8.31"])
    assert world.now - timedelta(days=2) < recent <= world.now
    assert older < recent and iso(times["created"]) <= older


def test_tampered_integrity_differs_from_the_tarball(world: World, http: httpx.Client) -> None:
    doc = http.get(world.npm.origin + "/@mcpstate-fixture%2ftampered").json()
    assert doc["versions"]["1.0.0"]["dist"]["integrity"] != world.integrity(cat.NPM, cat.NPM_TAMPERED, "1.0.0")
    world.npm.tamper(cat.NPM_TINY, "1.0.0")
    try:
        bad = http.get(world.npm.origin + "/" + cat.NPM_TINY).json()["versions"]["1.0.0"]["dist"]
        assert bad["integrity"] != world.integrity(cat.NPM, cat.NPM_TINY, "1.0.0")
    finally:
        world.npm.tamper(cat.NPM_TINY, "1.0.0", bad=False)


def test_etag_and_if_none_match(world: World, http: httpx.Client) -> None:
    url = world.npm.origin + "/" + cat.NPM_TINY
    first = http.get(url)
    again = http.get(url, headers={"If-None-Match": first.headers["ETag"]})
    other = http.get(url, headers={"If-None-Match": '"something-else"'})
    assert (again.status_code, again.content) == (304, b"")
    assert other.status_code == 200 and other.json() == first.json()


def test_fault_injection_sequence(world: World, http: httpx.Client) -> None:
    path = "/@mcpstate-fixture/calendar"
    url = world.npm.origin + "/@mcpstate-fixture%2fcalendar"
    before = world.npm.hits(path)
    world.npm.inject(path, 500, 404, "malformed", "ok")
    assert [http.get(url).status_code for _ in range(2)] == [500, 404]
    broken = http.get(url)
    assert broken.status_code == 200
    with pytest.raises(ValueError):
        broken.json()
    assert http.get(url).json()["name"] == cat.NPM_CALENDAR
    assert world.npm.hits(path) - before == 4


def test_fault_hang_reset_and_sticky(world: World, http: httpx.Client) -> None:
    url = world.pypi.origin + "/simple/mcpstate-fixture-calendar/"
    world.pypi.inject("/simple/mcpstate-fixture-calendar/", "hang")
    with pytest.raises(httpx.ReadTimeout):
        http.get(url, timeout=0.3)
    world.pypi.inject("/simple/mcpstate-fixture-calendar", "reset")
    with pytest.raises(httpx.RemoteProtocolError):
        http.get(url)
    world.pypi.inject("/simple/mcpstate-fixture-calendar/", 503, sticky=True)
    assert [http.get(url).status_code for _ in range(3)] == [503, 503, 503]
    world.pypi.clear_faults()
    assert http.get(url).status_code == 200


def test_simple_index_html(world: World, http: httpx.Client) -> None:
    page = http.get(world.pypi.url + "MCPState_Fixture.Server/", headers={"Accept": "text/html"})
    assert page.headers["content-type"].startswith("application/vnd.pypi.simple.v1+html")
    links = re.findall(r'<a href="([^"#]+)#sha256=([0-9a-f]{64})"([^>]*)>([^<]+)</a>', page.text)
    assert len(links) == len(cat.package(cat.PYPI, cat.PYPI_SERVER).releases)
    for url, sha256, attrs, filename in links:
        version = filename.split("-")[1]
        assert ("data-yanked" in attrs) == (version == cat.PYPI_YANKED)
        assert "sha256:" + sha256 == world.integrity(cat.PYPI, cat.PYPI_SERVER, version)
    url, sha256, _, _ = links[0]
    assert hashlib.sha256(http.get(url).content).hexdigest() == sha256


def test_simple_index_pep691_json(world: World, http: httpx.Client) -> None:
    response = http.get(world.pypi.url + "mcpstate-fixture-server/",
                        headers={"Accept": "application/vnd.pypi.simple.v1+json"})
    assert response.headers["content-type"] == "application/vnd.pypi.simple.v1+json"
    doc = response.json()
    yanked = {f["filename"].split("-")[1]: f["yanked"] for f in doc["files"]}
    assert yanked[cat.PYPI_YANKED] == "hangs at start" and yanked["1.0.0"] is False
    assert cat.PYPI_PRERELEASE in doc["versions"]
    assert all(iso(f["upload-time"]) <= world.now for f in doc["files"])
    root = http.get(world.pypi.url, headers={"Accept": "application/vnd.pypi.simple.v1+json"}).json()
    assert {p["name"] for p in root["projects"]} >= {cat.PYPI_SERVER, cat.PYPI_CALENDAR}


def test_pypi_json_api(world: World, http: httpx.Client) -> None:
    doc = http.get(f"{world.pypi.origin}/pypi/{cat.PYPI_CALENDAR}/json").json()
    assert doc["info"]["version"] == cat.CALENDAR_RECENT
    server = http.get(f"{world.pypi.origin}/pypi/{cat.PYPI_SERVER}/json").json()
    assert server["info"]["version"] == cat.PYPI_LATEST
    assert server["releases"][cat.PYPI_YANKED][0]["yanked"] is True
