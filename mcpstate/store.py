"""The store: immutable installs under `<state>/store/<source>/<name>@<version>/`.

An entry is intact once its marker file exists; the marker is written last, so a
half-made entry is never mistaken for a good one."""

from __future__ import annotations

from pathlib import Path

MARKER = ".mcpstate-intact"


def entry_dirname(package: str, version: str) -> str:
    """`@scope/name` is written `@scope+name`, so an entry is one folder."""
    return f"{package.replace('/', '+')}@{version}"


def entry_path(state_dir: Path, source: str, package: str, version: str) -> Path:
    return Path(state_dir) / "store" / source / entry_dirname(package, version)


def is_intact(path: Path | str) -> bool:
    return (Path(path) / MARKER).is_file()
