"""PyPI installs into a store entry: one virtualenv each. The package's own file is
downloaded first and its sha256 checked, then installed with its dependencies."""

from __future__ import annotations

import hashlib
import os
import re
import sys
import tempfile
from pathlib import Path

from mcpstate.errors import InstallError, IntegrityError
from mcpstate.subproc import run_checked

VENV = "venv"


def install(dest: Path, package: str, version: str, index: str | None,
            expected: str | None, final_dest: Path) -> str:
    """Make `dest/venv` with `package==version`; return its `sha256:` integrity.

    With the integrity known, pip installs exactly the file of that hash (hash-checking
    mode, one pip run); without it, the file is downloaded and hashed first. Either way
    the package goes in alone, then its dependencies, if it declares any. The venv is
    built in staging (`dest`) and moved to `final_dest` later, so its scripts'
    interpreter lines are written for `final_dest` here."""
    run_checked([sys.executable, "-m", "venv", "--without-pip", str(dest / VENV)],
                what="python -m venv", error=InstallError)
    what = f"pip install {package}=={version}"
    if expected:
        _install_pinned(dest, package, version, index, expected)
        integrity = expected
    else:
        with tempfile.TemporaryDirectory(prefix="mcpstate-dl-") as tmp:
            artifact = _download(Path(tmp), package, version, index)
            integrity = "sha256:" + hashlib.sha256(artifact.read_bytes()).hexdigest()
            _pip(["install", "--no-deps", str(artifact)], dest, index, what)
    if _declares_requirements(dest, package):
        _pip(["install", f"{package}=={version}"], dest, index, f"{what} (its dependencies)")
    relocate_scripts(dest / VENV, final_dest / VENV)
    return integrity


def _install_pinned(dest: Path, package: str, version: str, index: str | None, expected: str) -> None:
    with tempfile.TemporaryDirectory(prefix="mcpstate-req-") as tmp:
        requirements = Path(tmp) / "requirements.txt"
        requirements.write_text(f"{package}=={version} --hash={expected}\n")
        try:
            _pip(["install", "--no-deps", "--require-hashes", "-r", str(requirements)], dest, index,
                 f"pip install {package}=={version}")
        except InstallError as e:
            if "HASHES" in str(e) or "Expected sha256" in str(e):
                raise IntegrityError(f"{package} {version}: integrity mismatch: no file of the release "
                                     f"has the lockfile's {expected}; nothing was installed") from None
            raise


def _declares_requirements(dest: Path, package: str) -> bool:
    """Whether the installed package needs anything besides itself (extras aside)."""
    metadata = _dist_info(dest, package) / "METADATA"
    for line in metadata.read_text(errors="replace").splitlines():
        if line.startswith("Requires-Dist:") and "extra ==" not in line:
            return True
        if not line.strip():
            return False  # the headers end at the first blank line
    return False


def _download(tmp: Path, package: str, version: str, index: str | None) -> Path:
    """The file the lockfile's integrity names: a pure-Python wheel when the release
    has one, else its sdist (the rule `mcpstate lock` follows), never a platform wheel
    that would hash differently on another host."""
    base = ["download", "--no-deps", "--no-input", "--dest", str(tmp), f"{package}=={version}"]
    what = f"pip download {package}=={version}"
    try:
        _pip([*base, "--only-binary=:all:", "--platform", "any", "--implementation", "py"],
             None, index, what)
    except InstallError:
        _pip([*base, "--no-binary=:all:"], None, index, what)
    files = sorted(tmp.iterdir())
    if len(files) != 1:
        raise InstallError(f"{what} left {len(files)} files, expected 1")
    return files[0]


def _pip(args: list[str], venv_of: Path | None, index: str | None, what: str) -> None:
    cmd = [sys.executable, "-m", "pip", "--disable-pip-version-check"]
    if venv_of is not None:
        cmd += ["--python", str(venv_of / VENV / "bin" / "python")]
    cmd += [*args, "--quiet"]
    if index:
        cmd += ["--index-url", index]
    run_checked(cmd, what=what, error=InstallError, env={**os.environ, "PIP_NO_INPUT": "1"})


HEADER_BYTES = 512  # pip's script header: `#!python` or, for a long path, a /bin/sh trampoline


def relocate_scripts(venv: Path, final_venv: Path) -> None:
    """Point the scripts' interpreter at where the venv will live once renamed: the `#!`
    line, or the `exec '<python>'` line pip writes under `#!/bin/sh` when the path is
    longer than a `#!` line may be."""
    old = f"{venv}/bin/".encode()
    new = f"{final_venv}/bin/".encode()
    for script in (venv / "bin").iterdir():
        if script.is_symlink() or not script.is_file():
            continue
        data = script.read_bytes()
        head = data[:HEADER_BYTES]
        if data.startswith(b"#!") and old in head:
            script.write_bytes(head.replace(old, new) + data[HEADER_BYTES:])


def missing_files(entry: Path) -> list[str]:
    """What the venv should hold and does not: each file that the RECORD of an
    installed distribution lists (its scripts included)."""
    import csv

    records = sorted((entry / VENV).glob("lib/python*/site-packages/*.dist-info/RECORD"))
    if not records:
        return ["site-packages/*.dist-info/RECORD"]
    missing = []
    for record in records:
        site = record.parent.parent
        for row in csv.reader(record.read_text(errors="replace").splitlines()):
            if row and row[0] and not (site / row[0]).exists():
                missing.append(row[0])
    return missing


def console_scripts(entry: Path, package: str) -> list[str]:
    """The console scripts the package's dist-info declares."""
    points = _dist_info(entry, package) / "entry_points.txt"
    declared = _scripts(points.read_text()) if points.exists() else []
    from mcpstate.store.launch import linked_names

    return sorted(set(declared) & linked_names(entry / VENV / "bin"))


def _dist_info(entry: Path, package: str) -> Path:
    wanted = re.sub(r"[-_.]+", "_", package).lower()
    for info in (entry / VENV).glob("lib/python*/site-packages/*.dist-info"):
        if info.name.split("-")[0].lower().replace(".", "_") == wanted:
            return info
    raise InstallError(f"{package} is not installed in {entry}")


def _scripts(text: str) -> list[str]:
    names, section = [], ""
    for line in text.splitlines():
        line = line.strip()
        if line.startswith("["):
            section = line
        elif section == "[console_scripts]" and "=" in line:
            names.append(line.split("=", 1)[0].strip())
    return sorted(names)


def bin_path(entry: Path, name: str) -> Path:
    return entry / VENV / "bin" / name
