"""npm installs into a store entry: a generated package.json naming the exact version,
`npm install` without scripts unless allowed; its package-lock.json stays in the entry."""

from __future__ import annotations

import json
import os
from pathlib import Path

from mcpstate.errors import InstallError
from mcpstate.subproc import run_checked


def install(dest: Path, package: str, version: str, registry: str | None,
            allow_scripts: bool = False) -> str:
    """Install `package@version` into `dest`; return the integrity npm recorded."""
    manifest = {"name": "mcpstate-store-entry", "version": "0.0.0", "private": True,
                "dependencies": {package: version}}
    (dest / "package.json").write_text(json.dumps(manifest, indent=2) + "\n")
    cmd = ["npm", "install", "--no-audit", "--no-fund", "--omit=dev", "--no-update-notifier",
           "--loglevel=error", "--save-exact"]
    if not allow_scripts:
        cmd.append("--ignore-scripts")
    if registry:
        cmd.append(f"--registry={registry}")
    env = {**os.environ, "npm_config_yes": "false"}
    run_checked(cmd, what=f"npm install {package}@{version}", error=InstallError, cwd=dest, env=env)
    return installed_integrity(dest, package)


def installed_integrity(dest: Path, package: str) -> str:
    try:
        lock = json.loads((dest / "package-lock.json").read_text())
        return str(lock["packages"][f"node_modules/{package}"]["integrity"])
    except (OSError, ValueError, KeyError) as e:
        raise InstallError(f"npm left no integrity for {package} in package-lock.json ({e})") from None


def missing_files(dest: Path, package: str) -> list[str]:
    """What the install should hold and does not: a package of the closure that
    package-lock.json records (dev and optional ones aside: they may be left out), or
    an executable the package declares."""
    if (dest / "pnpm-lock.yaml").is_file():  # a locked closure: pnpm's frozen install is all or
        wanted = [f"node_modules/{package}"]  # nothing; the package and its executables must be there
    else:
        try:
            packages = json.loads((dest / "package-lock.json").read_text())["packages"]
        except (OSError, ValueError, KeyError, TypeError) as e:
            return [f"package-lock.json ({e})"]
        skipped = ("dev", "optional", "devOptional", "link", "extraneous")
        wanted = [key for key, meta in packages.items()
                  if key and not (isinstance(meta, dict) and any(meta.get(k) for k in skipped))]
    missing = [f"{key}/package.json" for key in wanted if not (dest / key / "package.json").is_file()]
    if not missing:
        missing = [f"node_modules/.bin/{name}" for name in bin_names(dest, package)
                   if not bin_path(dest, name).is_file()]
    return missing


def bin_names(dest: Path, package: str) -> list[str]:
    """The executables a package declares, as npm links them in node_modules/.bin."""
    try:
        meta = json.loads((dest / "node_modules" / package / "package.json").read_text())
    except (OSError, ValueError) as e:
        raise InstallError(f"cannot read {package}'s package.json in the store ({e})") from None
    from mcpstate.store.launch import linked_names

    declared = meta.get("bin") or {}
    names = [package.rsplit("/", 1)[-1]] if isinstance(declared, str) else list(declared)
    # as npm linked them: a declared name like `../../x` is no link in .bin, never a path
    return sorted(set(names) & linked_names(dest / "node_modules" / ".bin"))


def bin_path(entry: Path, name: str) -> Path:
    return entry / "node_modules" / ".bin" / name
