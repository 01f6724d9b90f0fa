"""Builds what the local registries serve: npm tarballs (real `npm pack` of the Node
fixture server) and wheels (zipped here from the Python fixture server), cached by the
hash of their inputs under `.cache/world/` so only the first run pays for `npm pack`.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import os
import shutil
import subprocess
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

from testing import catalogue
from testing.catalogue import NPM, PYPI, Package, Release

SERVERS = Path(__file__).resolve().parent / "servers"
FORMAT = "1"  # bump to invalidate every cached artifact


@dataclass(frozen=True)
class Artifact:
    source: str
    name: str
    version: str
    path: Path

    @property
    def filename(self) -> str:
        return self.path.name

    def digest(self, algorithm: str) -> bytes:
        return hashlib.new(algorithm, self.path.read_bytes()).digest()

    @property
    def integrity(self) -> str:
        """What mcpstate's lockfile records: npm `sha512-<base64>`, PyPI `sha256:<hex>`."""
        if self.source == NPM:
            return "sha512-" + base64.b64encode(self.digest("sha512")).decode()
        return "sha256:" + self.digest("sha256").hex()


def default_cache_dir() -> Path:
    env = os.environ.get("MCPSTATE_WORLD_CACHE")
    return Path(env) if env else Path(__file__).resolve().parents[1] / ".cache" / "world"


def build_all(cache_dir: Path | None = None) -> dict[tuple[str, str, str], Artifact]:
    """Every catalogue artifact, keyed by (source, name, version); builds only cache misses."""
    cache = cache_dir or default_cache_dir()
    out: dict[tuple[str, str, str], Artifact] = {}
    for artifact in build_npm(cache) + build_pypi(cache):
        out[(artifact.source, artifact.name, artifact.version)] = artifact
    return out


def _key(*parts: bytes) -> str:
    h = hashlib.sha256(FORMAT.encode())
    for part in parts:
        h.update(hashlib.sha256(part).digest())
    return h.hexdigest()[:32]


def _behaviour_json(pkg: Package, release: Release) -> bytes:
    return json.dumps({"package": pkg.name, "version": release.version,
                       "behaviour": release.behaviour}, indent=2).encode() + b"\n"


# -- npm ----------------------------------------------------------------------------

def npm_files(pkg: Package, release: Release) -> dict[str, bytes]:
    """The source folder of one npm version: package.json, the server, its behaviour
    (a library: package.json and index.js)."""
    if pkg.library:
        return _npm_library_files(pkg, release)
    manifest: dict[str, object] = {
        "name": pkg.name, "version": release.version,
        "description": f"mcpstate fixture MCP server ({release.behaviour})",
        "license": "MIT", "bin": {pkg.bin: "fixture_server.js"},
        "files": ["fixture_server.js", "behaviour.json"], "engines": {"node": ">=18"},
    }
    if pkg.depends:
        manifest["dependencies"] = dict(pkg.depends)
    return {"package.json": json.dumps(manifest, indent=2).encode() + b"\n",
            "fixture_server.js": (SERVERS / "fixture_server.js").read_bytes(),
            "behaviour.json": _behaviour_json(pkg, release)}


def _npm_library_files(pkg: Package, release: Release) -> dict[str, bytes]:
    manifest = {"name": pkg.name, "version": release.version, "description": "mcpstate fixture library",
                "license": "MIT", "main": "index.js", "files": ["index.js"]}
    index = f"module.exports = {{ version: {json.dumps(release.version)} }};\n"
    return {"package.json": json.dumps(manifest, indent=2).encode() + b"\n", "index.js": index.encode()}


def build_npm(cache: Path) -> list[Artifact]:
    folder = cache / "npm"
    folder.mkdir(parents=True, exist_ok=True)
    wanted: list[tuple[Package, Release, dict[str, bytes], Path]] = []
    for pkg in catalogue.packages(NPM):
        for release in pkg.releases:
            files = npm_files(pkg, release)
            wanted.append((pkg, release, files, folder / f"{_key(*files.values())}.tgz"))
    missing = [(files, path) for _, _, files, path in wanted if not path.exists()]
    if missing:
        _npm_pack(missing, cache)
    return [Artifact(NPM, pkg.name, release.version, path) for pkg, release, _, path in wanted]


def _npm_pack(jobs: list[tuple[dict[str, bytes], Path]], cache: Path) -> None:
    # One `npm pack` for every folder: starting npm costs far more than packing.
    with tempfile.TemporaryDirectory(dir=cache, prefix="pack-") as tmp:
        work = Path(tmp)
        folders = []
        for i, (files, _) in enumerate(jobs):
            src = work / f"src{i}"
            src.mkdir()
            for name, data in files.items():
                (src / name).write_bytes(data)
            if (src / "fixture_server.js").exists():
                (src / "fixture_server.js").chmod(0o755)
            folders.append(str(src))
        (work / "npmrc").write_text("")
        env = {**os.environ, "npm_config_cache": str(cache / "npm-cache"),
               "npm_config_userconfig": str(work / "npmrc"), "npm_config_update_notifier": "false",
               "npm_config_loglevel": "error"}
        proc = subprocess.run(["npm", "pack", "--json", "--pack-destination", str(work), *folders],
                              cwd=work, env=env, capture_output=True, text=True, timeout=300)
        if proc.returncode != 0:
            raise RuntimeError(f"npm pack failed ({proc.returncode}): {proc.stderr[-2000:]}")
        for entry, (_, dest) in zip(json.loads(proc.stdout), jobs):
            os.replace(work / entry["filename"], dest)  # atomic: parallel runs may race


# -- PyPI ---------------------------------------------------------------------------

def wheel_name(pkg: Package, release: Release) -> str:
    return f"{pkg.module}-{release.version}-py3-none-any.whl"


def wheel_files(pkg: Package, release: Release) -> dict[str, bytes]:
    """Every file of one wheel but RECORD, in archive order."""
    mod, info = pkg.module, f"{pkg.module}-{release.version}.dist-info"
    metadata = (f"Metadata-Version: 2.1\nName: {pkg.name}\nVersion: {release.version}\n"
                f"Summary: mcpstate fixture MCP server ({release.behaviour})\n"
                "Requires-Python: >=3.8\n")
    metadata += "".join(f"Requires-Dist: {name}{spec}\n" for name, spec in pkg.depends.items())
    if pkg.library:
        return _wheel_library_files(pkg, release, metadata.replace("MCP server", "library"))
    return {
        f"{mod}/__init__.py": b'"""mcpstate fixture MCP server."""\n',
        f"{mod}/__main__.py": b"from .server import main\n\nraise SystemExit(main())\n",
        f"{mod}/server.py": (SERVERS / "fixture_server.py").read_bytes(),
        f"{mod}/behaviour.json": _behaviour_json(pkg, release),
        f"{info}/METADATA": metadata.encode(),
        f"{info}/WHEEL": b"Wheel-Version: 1.0\nGenerator: mcpstate-testing\n"
                         b"Root-Is-Purelib: true\nTag: py3-none-any\n",
        f"{info}/entry_points.txt": f"[console_scripts]\n{pkg.bin} = {mod}.server:main\n".encode(),
    }


def _wheel_library_files(pkg: Package, release: Release, metadata: str) -> dict[str, bytes]:
    info = f"{pkg.module}-{release.version}.dist-info"
    return {
        f"{pkg.module}/__init__.py": f"VERSION = {release.version!r}\n".encode(),
        f"{info}/METADATA": metadata.encode(),
        f"{info}/WHEEL": b"Wheel-Version: 1.0\nGenerator: mcpstate-testing\n"
                         b"Root-Is-Purelib: true\nTag: py3-none-any\n",
    }


def _wheel_bytes(files: dict[str, bytes], record_path: str) -> bytes:
    record = io.StringIO()
    for name, data in files.items():
        digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
        record.write(f"{name},sha256={digest},{len(data)}\n")
    record.write(f"{record_path},,\n")
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as whl:
        for name, data in [*files.items(), (record_path, record.getvalue().encode())]:
            entry = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))  # reproducible
            entry.external_attr = 0o644 << 16
            whl.writestr(entry, data, zipfile.ZIP_DEFLATED)
    return buf.getvalue()


def build_pypi(cache: Path) -> list[Artifact]:
    out = []
    for pkg in catalogue.packages(PYPI):
        for release in pkg.releases:
            files = wheel_files(pkg, release)
            dest = cache / "pypi" / _key(*files.values()) / wheel_name(pkg, release)
            if not dest.exists():
                dest.parent.mkdir(parents=True, exist_ok=True)
                tmp = dest.with_suffix(f".{os.getpid()}.tmp")
                tmp.write_bytes(_wheel_bytes(files, f"{pkg.module}-{release.version}.dist-info/RECORD"))
                os.replace(tmp, dest)
            out.append(Artifact(PYPI, pkg.name, release.version, dest))
    return out


def clear_cache(cache_dir: Path | None = None) -> None:
    """Remove every cached artifact (to measure a cold start)."""
    shutil.rmtree(cache_dir or default_cache_dir(), ignore_errors=True)
