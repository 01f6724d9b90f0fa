"""Registry metadata parsing (no network): npm packuments, PEP 691 JSON and PEP 503
HTML project pages, the PyPI file rule, and where registry URLs come from."""

from __future__ import annotations

import pytest

from mcpstate.errors import RegistryError
from mcpstate.registry import DEFAULTS, registry_urls
from mcpstate.registry.npm import packument_url, parse_packument
from mcpstate.registry.pypi import (DistFile, build_catalog, parse_html, parse_json, pick_file,
                                    project_url)

SHA512 = "sha512-" + "A" * 86 + "=="


@pytest.mark.parametrize("registry, name, url", [
    ("http://127.0.0.1:9/", "@mcpstate-fixture/server", "http://127.0.0.1:9/@mcpstate-fixture%2fserver"),
    ("http://127.0.0.1:9", "left-pad", "http://127.0.0.1:9/left-pad"),
    ("https://mirror.example/npm/", "@a/b", "https://mirror.example/npm/@a%2fb"),
])
def test_packument_url_escapes_the_scope_slash(registry: str, name: str, url: str) -> None:
    assert packument_url(registry, name) == url


@pytest.mark.parametrize("name", ["../etc/passwd", "a b", "@scope/", "@/x", ""])
def test_packument_url_refuses_what_is_not_a_package_name(name: str) -> None:
    with pytest.raises(RegistryError, match="not a valid npm package name"):
        packument_url("http://127.0.0.1:9/", name)


def test_parse_packument_reads_versions_tags_times_and_sha512() -> None:
    data = {"name": "@s/p", "dist-tags": {"latest": "1.0.0", "bad": 3},
            "time": {"created": "2020-01-01T00:00:00.000Z", "1.0.0": "2026-08-31T12:00:00.000Z"},
            "versions": {"1.0.0": {"dist": {"integrity": f"{SHA512} sha1-abc="}},
                         "0.1.0": {"dist": {"shasum": "a" * 40}}}}
    catalog = parse_packument(data, "@s/p", "http://r/@s%2fp")
    new, old = catalog.release("1.0.0"), catalog.release("0.1.0")
    assert catalog.dist_tags == {"latest": "1.0.0"}
    assert new.integrity == SHA512 and new.published.isoformat() == "2026-08-31T12:00:00+00:00"
    # a sha1-only version is not pinned with a sha1, and says why
    assert old.integrity is None and "no sha512" in old.note and old.published is None


@pytest.mark.parametrize("data", [[], {"error": "x"}, {"versions": []}, "<html>"])
def test_parse_packument_refuses_what_is_not_one(data: object) -> None:
    with pytest.raises(RegistryError, match=r"http://r/x is not an npm packument"):
        parse_packument(data, "x", "http://r/x")


def test_project_url_normalises_the_name() -> None:
    assert project_url("http://127.0.0.1:9/simple", "Foo_Bar.baz") == "http://127.0.0.1:9/simple/foo-bar-baz/"


HEX = "0123456789abcdef" * 4


def test_parse_json_reads_hashes_yanked_and_upload_time() -> None:
    data = {"meta": {"api-version": "1.1"}, "name": "pkg", "files": [
        {"filename": "pkg-1.0-py3-none-any.whl", "url": "../../files/pkg-1.0-py3-none-any.whl",
         "hashes": {"sha256": HEX.upper()}, "upload-time": "2026-01-02T03:04:05.000000Z"},
        {"filename": "pkg-1.1.tar.gz", "url": "https://f/pkg-1.1.tar.gz", "hashes": {},
         "yanked": "broken build"}]}
    whl, sdist = parse_json(data, "http://h/simple/pkg/")
    assert whl.url == "http://h/files/pkg-1.0-py3-none-any.whl" and whl.sha256 == HEX
    assert whl.uploaded is not None and not whl.yanked
    assert sdist.yanked and sdist.yank_reason == "broken build" and sdist.sha256 is None


@pytest.mark.parametrize("data", [{"meta": {"api-version": "2.0"}, "files": []}, {"files": []},
                                  {"meta": {"api-version": "1.0"}}, [1]])
def test_parse_json_refuses_unknown_shapes(data: object) -> None:
    with pytest.raises(RegistryError, match="not a PEP 691 project page"):
        parse_json(data, "http://h/simple/pkg/")


def test_parse_html_reads_anchors_fragments_and_data_yanked() -> None:
    page = f"""<!DOCTYPE html><html><body>
    <a href="/files/pkg-1.0-py3-none-any.whl#sha256={HEX}" data-requires-python="&gt;=3.8">pkg-1.0-py3-none-any.whl</a><br/>
    <a href="pkg-1.1.tar.gz#md5=abc" data-yanked="">pkg-1.1.tar.gz</a>
    <a href="https://f/pkg-1.2.zip#sha256={HEX}" data-yanked="bad &amp; broken">pkg-1.2.zip</a>
    </body></html>"""
    whl, tgz, zipped = parse_html(page, "http://h/simple/pkg/")
    assert (whl.url, whl.sha256, whl.yanked) == ("http://h/files/pkg-1.0-py3-none-any.whl", HEX, False)
    assert (tgz.url, tgz.sha256, tgz.yanked, tgz.yank_reason) == ("http://h/simple/pkg/pkg-1.1.tar.gz", None, True, None)
    assert zipped.yank_reason == "bad & broken"


def dist(filename: str, yanked: bool = False) -> DistFile:
    return DistFile(filename, f"http://h/{filename}", HEX, yanked)


@pytest.mark.parametrize("files, chosen", [
    (["p-1.0-cp311-cp311-manylinux_2_17_x86_64.whl", "p-1.0.tar.gz", "p-1.0-py3-none-any.whl"],
     "p-1.0-py3-none-any.whl"),
    (["p-1.0-py2.py3-none-any.whl", "p-1.0.tar.gz"], "p-1.0-py2.py3-none-any.whl"),
    (["p-1.0-py2-none-any.whl", "p-1.0.zip", "p-1.0.tar.gz"], "p-1.0.tar.gz"),
    (["p-1.0-cp311-abi3-win_amd64.whl", "p-1.0.zip"], "p-1.0.zip"),
    (["p-1.0-cp311-cp311-win_amd64.whl"], None),
])
def test_pick_file_prefers_a_universal_wheel_then_an_sdist(files: list[str], chosen: str | None) -> None:
    picked = pick_file([dist(f) for f in files])
    assert (picked.filename if picked else None) == chosen


def test_pick_file_skips_yanked_files_unless_all_are() -> None:
    files = [dist("p-1.0-py3-none-any.whl", yanked=True), dist("p-1.0.tar.gz")]
    assert pick_file(files).filename == "p-1.0.tar.gz"
    assert pick_file([files[0]]).filename == "p-1.0-py3-none-any.whl"


def test_build_catalog_groups_files_by_version_and_marks_yanked_releases() -> None:
    catalog = build_catalog("My_Pkg", [
        dist("my_pkg-1.0-py3-none-any.whl"), dist("my_pkg-1.0.tar.gz"),
        dist("my_pkg-1.1.tar.gz", yanked=True), dist("other-9.0.tar.gz"), dist("my_pkg-1.2.exe"),
        dist("my_pkg-2.0-cp311-cp311-manylinux_2_17_x86_64.whl")])
    assert sorted(r.version for r in catalog.releases) == ["1.0", "1.1", "2.0"]
    assert catalog.release("1.0").integrity == f"sha256:{HEX}"
    assert catalog.release("1.1").yanked
    assert catalog.release("2.0").integrity is None
    assert "only platform wheels" in catalog.release("2.0").note


def test_registry_urls_env_wins_over_lockfile_over_defaults() -> None:
    lockfile = {"npm": "https://npm.corp/", "pypi": "https://pypi.corp/simple/"}
    env = {"MCPSTATE_NPM_REGISTRY": "http://127.0.0.1:1/"}
    assert registry_urls({}, {}) == DEFAULTS
    assert registry_urls(lockfile, env) == {"npm": "http://127.0.0.1:1/", "pypi": "https://pypi.corp/simple/"}
