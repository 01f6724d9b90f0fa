"""A static npm registry on 127.0.0.1 that `npm install --registry URL` accepts.

Routes: `/<name>` and `/@scope%2fname` (also `/@scope/name`): the packument, with
`versions`, `dist-tags`, `time`, and per version `dist.tarball`/`shasum`/`integrity`
and `bin`; `/<name>/<version-or-tag>`: one version's manifest; `/<name>/-/<file>.tgz`:
the tarball; `/-/ping`. `tamper(name, version)` makes the packument advertise a wrong
integrity (npm then fails with EINTEGRITY), as the catalogue's `bad_integrity` does.
"""

from __future__ import annotations

import base64
import hashlib
from datetime import datetime
from typing import Any
from urllib.parse import unquote, urlsplit

from testing import catalogue
from testing.catalogue import NPM, Package
from testing.httpbase import Reply
from testing.registrybase import CatalogueServer


def iso(when: datetime) -> str:
    return when.strftime("%Y-%m-%dT%H:%M:%S.000Z")


class NpmRegistry(CatalogueServer):
    name = "npm registry"
    source = NPM

    @property
    def url(self) -> str:
        """The registry URL, with the trailing slash npm expects."""
        return self.origin + "/"

    def packument_path(self, name: str) -> str:
        return "/" + name

    def tarball_url(self, name: str, version: str) -> str:
        return f"{self.origin}/{name}/-/{name.rsplit('/', 1)[-1]}-{version}.tgz"

    def resolve(self, method: str, path: str, headers: dict[str, str]) -> Reply:
        parts = [unquote(p) for p in urlsplit(path).path.strip("/").split("/") if p]
        if parts in ([], ["-", "ping"]):
            return Reply.json({})
        if parts[0].startswith("@") and "/" in parts[0]:  # /@scope%2fname
            parts = parts[0].split("/", 1) + parts[1:]
        scoped = parts[0].startswith("@")
        name_len = 2 if scoped else 1
        name, rest = "/".join(parts[:name_len]), parts[name_len:]
        try:
            pkg = catalogue.package(NPM, name)
        except KeyError:
            return Reply.not_found(name)
        if not rest:
            return Reply.json(self.packument(pkg))
        if len(rest) == 2 and rest[0] == "-":
            return self._tarball(pkg, rest[1])
        if len(rest) == 1:
            version = pkg.dist_tags.get(rest[0], rest[0])
            manifest = self.packument(pkg)["versions"].get(version)
            return Reply.json(manifest) if manifest else Reply.not_found(f"{name}@{rest[0]}")
        return Reply.not_found(path)

    def _tarball(self, pkg: Package, filename: str) -> Reply:
        for release in self.releases(pkg):
            if self.tarball_url(pkg.name, release.version).endswith("/" + filename):
                return Reply(200, self.served(pkg, release.version), "application/octet-stream", etag=False)
        return Reply.not_found(filename)

    def packument(self, pkg: Package) -> dict[str, Any]:
        """The full document npm reads, built fresh so tamper() applies at once."""
        releases = self.releases(pkg)
        times = {r.version: iso(self.now - r.age) for r in releases}
        tags = dict(pkg.dist_tags)
        if pkg.library:  # a library's latest is its newest release on the registry
            tags["latest"] = releases[-1].version
        return {
            "_id": pkg.name, "name": pkg.name, "description": "mcpstate fixture MCP server",
            "dist-tags": tags,
            "versions": {r.version: self.manifest(pkg, r.version) for r in releases},
            "time": {"created": min(times.values()), "modified": max(times.values()), **times},
            "modified": max(times.values()),
        }

    def manifest(self, pkg: Package, version: str) -> dict[str, Any]:
        release = pkg.release(version)
        data = self.served(pkg, version)
        if (pkg.name, version) in self.tampered:
            data += b"tampered"  # hashes of other bytes: npm must refuse the tarball
        manifest: dict[str, Any] = {
            "name": pkg.name, "version": version, "_id": f"{pkg.name}@{version}",
            "description": f"mcpstate fixture MCP server ({release.behaviour})",
            "license": "MIT", "bin": {pkg.bin: "fixture_server.js"}, "engines": {"node": ">=18"},
            "dist": {"tarball": self.tarball_url(pkg.name, version),
                     "shasum": hashlib.sha1(data).hexdigest(),
                     "integrity": "sha512-" + base64.b64encode(hashlib.sha512(data).digest()).decode()},
        }
        if pkg.library:
            del manifest["bin"]
        if pkg.depends:
            manifest["dependencies"] = dict(pkg.depends)
        if release.deprecated:
            manifest["deprecated"] = release.deprecated
        return manifest
