"""PyPI metadata from a simple index: PEP 691 JSON when the index speaks it, else
the PEP 503 HTML page (one request: the Accept header lets the index choose).

The pinned file (the integrity rule): of a version's files, those not yanked (all
of them when every one is yanked, as pip still installs a yanked `==` pin), the
first universal wheel by name (a tag `py3*-none-any`), else the first sdist
(`.tar.gz` before `.zip`). Its sha256 is the integrity, `sha256:<hex>`; the
installer must install that very file (`pick_file` says which), not whatever
wheel pip would prefer on this machine, or the hash would not be reproducible
across hosts. A version with only platform wheels has no integrity.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urldefrag, urljoin, urlsplit

from mcpstate.errors import RegistryError
from mcpstate.lockfile.rules import PYPI_NAME
from mcpstate.registry.fetch import Fetcher
from mcpstate.registry.npm import parse_time
from mcpstate.registry.versions import Catalog, Release

JSON_TYPE = "application/vnd.pypi.simple.v1+json"
ACCEPT = f"{JSON_TYPE}, application/vnd.pypi.simple.v1+html;q=0.2, text/html;q=0.1"


@dataclass(frozen=True)
class DistFile:
    filename: str
    url: str
    sha256: str | None
    yanked: bool = False
    yank_reason: str | None = None
    uploaded: datetime | None = None


def normalize(name: str) -> str:
    """PEP 503 name normalisation: `Foo.Bar_baz` is `foo-bar-baz`."""
    return re.sub(r"[-_.]+", "-", name).lower()


def project_url(index: str, name: str) -> str:
    if not PYPI_NAME.fullmatch(name):
        raise RegistryError(f"{name!r} is not a valid PyPI project name")
    return index.rstrip("/") + "/" + normalize(name) + "/"


def fetch_catalog(fetcher: Fetcher, index: str, name: str) -> Catalog:
    url = project_url(index, name)
    answer = fetcher.get(url, accept=ACCEPT,
                         not_found=f"no such package on the PyPI index {index}: {name}")
    if "json" in answer.content_type:
        files = parse_json(answer.json(), answer.url)
    else:
        files = parse_html(answer.body.decode("utf-8", errors="replace"), answer.url)
    return build_catalog(name, files)


def parse_json(data: Any, url: str) -> list[DistFile]:
    """The files of a PEP 691 project page (with PEP 700 `upload-time` when given)."""
    meta = data.get("meta") if isinstance(data, dict) else None
    api = meta.get("api-version") if isinstance(meta, dict) else None
    if not isinstance(api, str) or not api.startswith("1.") or not isinstance(data.get("files"), list):
        raise RegistryError(f"{url} is not a PEP 691 project page (api-version 1.x with "
                            "\"files\"); is the PyPI index URL right?")
    return [_json_file(f, url) for f in data["files"] if isinstance(f, dict) and "filename" in f]


def _json_file(entry: dict[str, Any], page_url: str) -> DistFile:
    hashes = entry.get("hashes")
    digest = hashes.get("sha256") if isinstance(hashes, dict) else None
    yanked = entry.get("yanked", False)
    return DistFile(str(entry["filename"]), urljoin(page_url, str(entry.get("url", ""))),
                    _sha256(digest), bool(yanked),
                    yanked if isinstance(yanked, str) and yanked else None,
                    parse_time(entry.get("upload-time")))


def parse_html(text: str, url: str) -> list[DistFile]:
    """The files of a PEP 503 project page: `<a href="...#sha256=..." data-yanked>`."""
    parser = _Anchors()
    parser.feed(text)
    parser.close()
    return [_html_file(attrs, label, url) for attrs, label in parser.anchors]


def _html_file(attrs: dict[str, str | None], label: str, page_url: str) -> DistFile:
    link, fragment = urldefrag(urljoin(page_url, attrs.get("href") or ""))
    algo, _, digest = fragment.partition("=")
    filename = label.strip() or urlsplit(link).path.rsplit("/", 1)[-1]
    yanked = "data-yanked" in attrs
    return DistFile(filename, link, _sha256(digest) if algo == "sha256" else None, yanked,
                    attrs.get("data-yanked") or None if yanked else None)


def _sha256(digest: Any) -> str | None:
    ok = isinstance(digest, str) and re.fullmatch(r"[0-9a-fA-F]{64}", digest)
    return digest.lower() if ok else None


class _Anchors(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.anchors: list[tuple[dict[str, str | None], str]] = []
        self._open: dict[str, str | None] | None = None
        self._text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "a":
            self._open, self._text = dict(attrs), []

    def handle_data(self, data: str) -> None:
        if self._open is not None:
            self._text.append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "a" and self._open is not None:
            self.anchors.append((self._open, "".join(self._text)))
            self._open = None


def build_catalog(name: str, files: Iterable[DistFile]) -> Catalog:
    """One Release per version found in the file names; files of other projects,
    and names that are neither a wheel nor an sdist, are ignored."""
    by_version: dict[str, list[DistFile]] = defaultdict(list)
    for dist in files:
        version = file_version(dist.filename, name)
        if version is not None:
            by_version[version].append(dist)
    return Catalog("pypi", name, tuple(_release(v, fs) for v, fs in by_version.items()))


def _release(version: str, files: list[DistFile]) -> Release:
    yanked = all(f.yanked for f in files)
    times = [f.uploaded for f in files if f.uploaded is not None]
    chosen = pick_file(files)
    integrity = f"sha256:{chosen.sha256}" if chosen and chosen.sha256 else None
    note = next((f.yank_reason for f in files if f.yank_reason), None) if yanked else None
    if integrity is None:
        note = (f"the index gives no sha256 for {chosen.filename}" if chosen else
                "no universal (py3-none-any) wheel and no sdist: only platform wheels")
    return Release(version, min(times, default=None), yanked, integrity, note)


def pick_file(files: list[DistFile]) -> DistFile | None:
    """The file mcpstate pins and installs for one version (the rule is in the module doc)."""
    pool = [f for f in files if not f.yanked] or files
    wheels = sorted((f for f in pool if _universal_wheel(f.filename)), key=lambda f: f.filename)
    sdists = sorted((f for f in pool if f.filename.endswith((".tar.gz", ".zip"))),
                    key=lambda f: (not f.filename.endswith(".tar.gz"), f.filename))
    return next(iter(wheels + sdists), None)


def _universal_wheel(filename: str) -> bool:
    from packaging.utils import InvalidWheelFilename, parse_wheel_filename

    if not filename.endswith(".whl"):
        return False
    try:
        tags = parse_wheel_filename(filename)[3]
    except InvalidWheelFilename:
        return False
    return any(t.interpreter.startswith("py3") and t.abi == "none" and t.platform == "any"
               for t in tags)


def file_version(filename: str, project: str) -> str | None:
    """The version a wheel or sdist file name carries, when it belongs to `project`."""
    from packaging.utils import (InvalidSdistFilename, InvalidWheelFilename,
                                 parse_sdist_filename, parse_wheel_filename)

    try:
        if filename.endswith(".whl"):
            name, version, _, _ = parse_wheel_filename(filename)
        else:
            name, version = parse_sdist_filename(filename)
    except (InvalidWheelFilename, InvalidSdistFilename):
        return None
    return str(version) if normalize(name) == normalize(project) else None
