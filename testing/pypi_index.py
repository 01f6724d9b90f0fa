"""A PEP 503 simple index on 127.0.0.1 that `pip install --index-url URL` accepts.

Routes: `/simple/` and `/simple/<name>/` as HTML (`<a href="...#sha256=<hex>">`, with
`data-yanked` and `data-requires-python`) or as PEP 691 JSON when the Accept header asks
for `application/vnd.pypi.simple.v1+json` (with PEP 700 `upload-time` and `versions`);
`/files/<wheel>`; and `/pypi/<name>/json`, the shape of PyPI's JSON API.
`tamper(name, version)` makes the index advertise a wrong sha256 (pip then refuses).
"""

from __future__ import annotations

import hashlib
import html
from datetime import datetime
from typing import Any
from urllib.parse import unquote, urlsplit

from testing import catalogue
from testing.catalogue import PYPI, Package, Release
from testing.httpbase import Reply
from testing.registrybase import CatalogueServer

JSON_TYPE = "application/vnd.pypi.simple.v1+json"
HTML_TYPE = "application/vnd.pypi.simple.v1+html"
REQUIRES_PYTHON = ">=3.8"


def iso(when: datetime) -> str:
    return when.strftime("%Y-%m-%dT%H:%M:%S.000000Z")


class PypiIndex(CatalogueServer):
    name = "pypi index"
    source = PYPI

    @property
    def url(self) -> str:
        """The index URL for pip's --index-url (PEP 503 root, trailing slash)."""
        return self.origin + "/simple/"

    def project_path(self, name: str) -> str:
        return f"/simple/{catalogue.normalize_pypi(name)}/"

    def resolve(self, method: str, path: str, headers: dict[str, str]) -> Reply:
        parts = [unquote(p) for p in urlsplit(path).path.strip("/").split("/") if p]
        wants_json = JSON_TYPE in headers.get("accept", "")
        if parts == ["simple"]:
            return self._root(wants_json)
        if len(parts) == 2 and parts[0] == "simple":
            return self._project(parts[1], wants_json)
        if len(parts) == 2 and parts[0] == "files":
            return self._file(parts[1])
        if len(parts) == 3 and parts[0] == "pypi" and parts[2] == "json":
            return self._json_api(parts[1])
        return Reply.not_found(path)

    def _root(self, wants_json: bool) -> Reply:
        names = [pkg.name for pkg in catalogue.packages(PYPI)]
        if wants_json:
            return Reply.json({"meta": {"api-version": "1.1"}, "projects": [{"name": n} for n in names]},
                              content_type=JSON_TYPE)
        links = "".join(f'<a href="/simple/{catalogue.normalize_pypi(n)}/">{n}</a>\n' for n in names)
        return Reply(200, _page("Simple index", links), "text/html")

    def _project(self, name: str, wants_json: bool) -> Reply:
        try:
            pkg = catalogue.package(PYPI, name)
        except KeyError:
            return Reply.not_found(name)
        files = self.files(pkg)
        if wants_json:
            return Reply.json({"meta": {"api-version": "1.1"}, "name": catalogue.normalize_pypi(pkg.name),
                               "versions": [r.version for r in self.releases(pkg)], "files": files},
                              content_type=JSON_TYPE)
        links = "".join(_anchor(f) for f in files)
        return Reply(200, _page(f"Links for {pkg.name}", links), HTML_TYPE)

    def _file(self, filename: str) -> Reply:
        for artifact in self.artifacts.values():
            if artifact.source == PYPI and artifact.filename == filename:
                if (artifact.name, artifact.version) in self.held:
                    break
                pkg = catalogue.package(PYPI, artifact.name)
                return Reply(200, self.served(pkg, artifact.version), "application/octet-stream", etag=False)
        return Reply.not_found(filename)

    def files(self, pkg: Package) -> list[dict[str, Any]]:
        """PEP 691 file entries, one wheel per release, oldest first."""
        out = []
        for release in self.releases(pkg):
            artifact = self.artifacts[(PYPI, pkg.name, release.version)]
            data = self.served(pkg, release.version)
            if (pkg.name, release.version) in self.tampered:
                data += b"tampered"
            out.append({
                "filename": artifact.filename, "url": f"{self.origin}/files/{artifact.filename}",
                "hashes": {"sha256": hashlib.sha256(data).hexdigest()},
                "requires-python": REQUIRES_PYTHON, "size": len(data),
                "upload-time": iso(self.now - release.age),
                "yanked": release.yanked if release.yanked else False,
            })
        return out

    def other_bytes(self, data: bytes) -> bytes:
        """A swapped wheel is still a valid wheel, with one more module: an installer
        must refuse it for its hash, not because it cannot read it."""
        import io
        import zipfile

        out = io.BytesIO()
        with zipfile.ZipFile(io.BytesIO(data)) as old, zipfile.ZipFile(out, "w") as new:
            for item in old.infolist():
                new.writestr(item, old.read(item))
            new.writestr("injected.py", b"print('swapped by the registry')\n")
        return out.getvalue()

    def _json_api(self, name: str) -> Reply:
        try:
            pkg = catalogue.package(PYPI, name)
        except KeyError:
            return Reply.not_found(name)
        releases = {f["filename"].split("-")[1]: [{
            "filename": f["filename"], "url": f["url"], "digests": f["hashes"],
            "requires_python": f["requires-python"], "size": f["size"],
            "upload_time_iso_8601": f["upload-time"], "yanked": bool(f["yanked"]),
            "yanked_reason": f["yanked"] or None, "packagetype": "bdist_wheel"}]
            for f in self.files(pkg)}
        latest = _latest(self.releases(pkg))
        return Reply.json({"info": {"name": pkg.name, "version": latest, "requires_python": REQUIRES_PYTHON},
                           "releases": releases, "urls": releases[latest]})


def _latest(releases: tuple[Release, ...]) -> str:
    # The catalogue lists releases oldest first; a letter marks a PEP 440 pre-release.
    stable = [r.version for r in releases if not r.yanked and not any(c.isalpha() for c in r.version)]
    return stable[-1]


def _anchor(f: dict[str, Any]) -> str:
    attrs = f' data-requires-python="{html.escape(f["requires-python"])}"'
    if f["yanked"] is not False:
        attrs += f' data-yanked="{html.escape(f["yanked"])}"'
    href = f'{f["url"]}#sha256={f["hashes"]["sha256"]}'
    return f'<a href="{html.escape(href)}"{attrs}>{html.escape(f["filename"])}</a><br/>\n'


def _page(title: str, body: str) -> bytes:
    return (f'<!DOCTYPE html>\n<html><head><meta name="pypi:repository-version" content="1.1">'
            f"<title>{html.escape(title)}</title></head>\n<body><h1>{html.escape(title)}</h1>\n"
            f"{body}</body></html>\n").encode()
