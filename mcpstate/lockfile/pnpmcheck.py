"""The pnpm-lock.yaml rules of the lock-folder check (lockfile/lockcheck.py), pure.

Allowed: lockfile v9 as `pnpm install --lockfile-only` writes it for one registry
dependency. Every package a registry package: `name@version` keys, a `resolution:` of a
sha512 `integrity` and, at most, the registry's own canonical tarball URL for that
name and version (pnpm leaves it out when the registry implies it); no version anywhere
that names another source (`file:`, `link:`, git, `github:`, `workspace:`, a URL); one
importer, `.`, whose one dependency is the server's package at its pin."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

if TYPE_CHECKING:
    from mcpstate.lockfile.lockcheck import Expect, Found

TOP_KEYS = frozenset({"lockfileVersion", "settings", "importers", "packages", "snapshots"})
RESOLUTION_KEYS = frozenset({"integrity", "tarball"})
DEPENDENCY_MAPS = ("dependencies", "optionalDependencies", "devDependencies")
_NAME = re.compile(r"(?:@[a-z0-9~][a-z0-9._~-]*/)?[a-z0-9~][a-z0-9._~-]*", re.IGNORECASE)
_VERSION = re.compile(r"\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?(?:\+[0-9A-Za-z.-]+)?")
_PEERS = re.compile(r"(?:\([^():\s]+\))*")  # pnpm's peer suffix: (zod@4.6.7)(hono@4.13.19)
_SHA512 = re.compile(r"sha512-[A-Za-z0-9+/]{86}==")
# What names another source than the registry, wherever it is written.
_OTHER_SOURCE = re.compile(r"(?:^|[(@\s])(?:file|link|workspace|portal|patch|git|git\+[a-z]+|github|gitlab|"
                           r"bitbucket|gist|https?):", re.IGNORECASE)


def check_pnpm_lock(text: str, expect: Expect) -> Found:
    from mcpstate.lockfile.yamlmarks import MarkedDict, YamlSyntaxError, load_marked, locate

    try:
        doc, duplicates = load_marked(text)
    except YamlSyntaxError as e:
        return [(e.line, "pnpm-lock", e.message)]
    if not isinstance(doc, MarkedDict):
        return [(1, "pnpm-lock", "not a mapping")]
    found: Found = [(line, "pnpm-lock", msg) for (line, _), msg in duplicates]

    def at(*path: Any) -> int:
        return locate(doc, path)[0]

    found += [(at(k), "pnpm-lock", f"the key {k!r} is not allowed (only {', '.join(sorted(TOP_KEYS))})")
              for k in doc if k not in TOP_KEYS]
    if str(doc.get("lockfileVersion")) != "9.0":
        found.append((at("lockfileVersion"), "pnpm-lock", "lockfileVersion must be '9.0'"))
    found += [(at(*path), "version-source", f"{value!r} names another source than the registry")
              for path, value in _strings(doc) if _OTHER_SOURCE.search(value) and path[-1:] != ("tarball",)]
    found += _check_importers(doc, expect, at)
    found += _check_packages(doc, expect, at)
    found += _check_snapshots(doc, at)
    return sorted(set(found))


def _strings(value: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[tuple[Any, ...], str]]:
    """Every key and string value, with the path to it (a key's path ends at itself)."""
    if isinstance(value, dict):
        for key, child in value.items():
            yield (*path, key), str(key)
            yield from _strings(child, (*path, key))
    elif isinstance(value, list):
        for i, child in enumerate(value):
            yield from _strings(child, (*path, i))
    elif isinstance(value, str):
        yield path, value


def split_key(key: str) -> tuple[str, str] | None:
    """`@scope/name@1.2.3(peer@1.0.0)` -> (`@scope/name`, `1.2.3`); None when it is not
    a registry package's name and exact version."""
    base, _, peers = str(key).partition("(")
    name, sep, version = base.rpartition("@")
    if not sep or not _NAME.fullmatch(name) or not _VERSION.fullmatch(version):
        return None
    if peers and not _PEERS.fullmatch("(" + peers):
        return None
    return name, version


def _registry_version(value: object) -> bool:
    """A dependency's locked version: `1.2.3(peers)`, or `alias@1.2.3` for an npm alias."""
    text = str(value)
    base = text.partition("(")[0]
    return bool(_VERSION.fullmatch(base) and _PEERS.fullmatch(text[len(base):])) or split_key(text) is not None


def _check_importers(doc: Any, expect: Expect, at: Any) -> Found:
    importers = doc.get("importers")
    if not isinstance(importers, dict) or list(importers) != ["."]:
        return [(at("importers"), "importer", "there must be one importer, '.'")]
    root = importers["."] if isinstance(importers["."], dict) else {}
    found: Found = [(at("importers", ".", k), "importer", f"the importer's {k!r} is not allowed")
                    for k in root if k != "dependencies"]
    deps = root.get("dependencies")
    if not isinstance(deps, dict) or list(deps) != [expect.package]:
        return found + [(at("importers", ".", "dependencies"), "importer",
                         f"the importer's only dependency must be {expect.package} (the server's package)")]
    entry = deps[expect.package] if isinstance(deps[expect.package], dict) else {}
    pinned = {"specifier": str(entry.get("specifier")), "version": str(entry.get("version")).partition("(")[0]}
    return found + [(at("importers", ".", "dependencies", expect.package, key), "importer",
                     f"{expect.package}'s {key} must be its pin {expect.version}")
                    for key, value in pinned.items() if value != expect.version]


def _check_packages(doc: Any, expect: Expect, at: Any) -> Found:
    packages = doc.get("packages")
    if not isinstance(packages, dict):
        return [(at("packages"), "pnpm-lock", "packages: must be a mapping")]
    found: Found = []
    for key, meta in packages.items():
        parts = split_key(key)
        if parts is None:
            found.append((at("packages", key), "registry-package", f"{key!r} is not a registry package's "
                          "name@version"))
            continue
        found += _check_resolution(key, parts, meta, expect, at)
        meta = meta if isinstance(meta, dict) else {}
        for deps in DEPENDENCY_MAPS:
            found += _check_versions(("packages", key, deps), meta.get(deps), at)
    own = packages.get(f"{expect.package}@{expect.version}")
    integrity = ((own or {}).get("resolution") or {}).get("integrity") if isinstance(own, dict) else None
    if own is None:
        found.append((at("packages"), "own-package", f"{expect.package}@{expect.version} is not locked"))
    elif expect.integrity and integrity != expect.integrity:
        found.append((at("packages", f"{expect.package}@{expect.version}", "resolution"), "own-package",
                      f"its integrity is not the lockfile's integrity: {expect.integrity}"))
    return found


def _check_resolution(key: str, parts: tuple[str, str], meta: Any, expect: Expect, at: Any) -> Found:
    resolution = meta.get("resolution") if isinstance(meta, dict) else None
    where = at("packages", key, "resolution")
    if not isinstance(resolution, dict):
        return [(where, "resolution", f"{key} has no resolution: mapping")]
    found: Found = [(at("packages", key, "resolution", k), "resolution",
                     f"{key}: resolution.{k} is not allowed (only integrity and the registry's tarball)")
                    for k in resolution if k not in RESOLUTION_KEYS]
    if not isinstance(resolution.get("integrity"), str) or not _SHA512.fullmatch(resolution["integrity"]):
        found.append((where, "integrity", f"{key} has no sha512 integrity"))
    tarball = resolution.get("tarball")
    if tarball is not None and tarball != canonical_tarball(expect.registry, *parts):
        found.append((at("packages", key, "resolution", "tarball"), "tarball-host",
                      f"{key}: the tarball {str(tarball)[:200]!r} is not the registry's own "
                      f"({canonical_tarball(expect.registry, *parts)})"))
    return found


def canonical_tarball(registry: str, name: str, version: str) -> str:
    """The tarball URL a registry serves `name@version` at: `<registry>/<name>/-/<base>-<version>.tgz`."""
    parts = urlsplit(registry)
    prefix = f"{parts.scheme}://{parts.netloc}{parts.path.rstrip('/')}/"
    return f"{prefix}{name}/-/{name.rpartition('/')[2]}-{version}.tgz"


def _check_snapshots(doc: Any, at: Any) -> Found:
    snapshots = doc.get("snapshots") or {}
    if not isinstance(snapshots, dict):
        return [(at("snapshots"), "pnpm-lock", "snapshots: must be a mapping")]
    packages = doc.get("packages") if isinstance(doc.get("packages"), dict) else {}
    found: Found = []
    for key, meta in snapshots.items():
        parts = split_key(key)
        if parts is None or f"{parts[0]}@{parts[1]}" not in packages:
            found.append((at("snapshots", key), "registry-package", f"{key!r} is not one of packages:"))
        meta = meta if isinstance(meta, dict) else {}
        for deps in DEPENDENCY_MAPS:
            found += _check_versions(("snapshots", key, deps), meta.get(deps), at)
    return found


def _check_versions(path: tuple[Any, ...], deps: Any, at: Any) -> Found:
    if deps is None:
        return []
    if not isinstance(deps, dict):
        return [(at(*path), "version-source", f"{path[-1]} must be a mapping")]
    return [(at(*path, name), "version-source", f"{name}: {str(v)[:200]!r} is not a registry version")
            for name, v in deps.items() if not _registry_version(v)]
