"""What a server's client entry launches: the store entry's executable (npm, pypi),
the command as written, or the url; with references resolved for the health test."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from mcpstate.errors import InstallError
from mcpstate.home import DataDir
from mcpstate.model import Launch, ServerSpec
from mcpstate.secrets.references import resolve, resolve_all


def entry_launch(spec: ServerSpec, store_path: Path | None, home: DataDir | None = None) -> Launch:
    """The launch as the lockfile writes it: `${VAR}` references unresolved. With the data
    dir `home`, a store executable is written through `${HOME}` (DESIGN §14: the same
    bytes on every machine), which each client spells its own way (targets/)."""
    if spec.source == "remote":
        return Launch(url=spec.url, headers=dict(spec.headers), transport=spec.transport or "http")
    if spec.source == "command":
        command = spec.command
    else:
        path = executable(spec, store_path)
        command = home.portable(path) if home is not None else str(path)
    return Launch(command=command, args=tuple(spec.args), env=dict(spec.env))


def executable(spec: ServerSpec, store_path: Path | None) -> Path:
    assert store_path is not None and spec.package
    if spec.source == "npm":
        from mcpstate.store import npm

        names, path_of = npm.bin_names(store_path, spec.package), npm.bin_path
    else:
        from mcpstate.store import pypi

        names, path_of = pypi.console_scripts(store_path, spec.package), pypi.bin_path
    return path_of(store_path, choose_bin(spec, names))


def choose_bin(spec: ServerSpec, names: list[str]) -> str:
    if spec.bin:
        if spec.bin not in names:
            raise InstallError(f"[{spec.name}] {spec.package} has no executable {spec.bin!r} "
                               f"(it has: {', '.join(names) or 'none'})")
        return spec.bin
    if len(names) == 1:
        return names[0]
    if not names:
        raise InstallError(f"[{spec.name}] {spec.package} declares no executable to run")
    raise InstallError(f"[{spec.name}] {spec.package} has several executables "
                       f"({', '.join(names)}): choose one with bin:")


def linked_names(folder: Path) -> set[str]:
    """The plain names in an installer's bin folder (node_modules/.bin, a venv's bin):
    what a server may be launched as. A declared name like `../../x` is never among them."""
    try:
        return {entry.name for entry in folder.iterdir()}
    except (FileNotFoundError, NotADirectoryError):
        return set()


def resolved(launch: Launch, environ: Mapping[str, str], server: str) -> Launch:
    """The launch with every reference replaced by its value, for probing; an unset
    variable fails here, before anything is swapped."""
    where = f"[{server}]"
    return Launch(
        command=resolve(launch.command, environ, f"{where} command") if launch.command else None,
        args=tuple(resolve(a, environ, f"{where} args") for a in launch.args),
        env=resolve_all(launch.env, environ, f"{where} env"),
        url=resolve(launch.url, environ, f"{where} url") if launch.url else None,
        headers=resolve_all(launch.headers, environ, f"{where} headers"),
        transport=launch.transport, cwd=launch.cwd)
