"""What a client config's launch command runs: `npx -y pkg@v` is an npm package,
`uvx pkg==v` a PyPI one, anything else a plain command. Only the command line
is read here; the file formats that hold it are importer.py's business."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import PurePath

from mcpstate.lockfile.rules import NPM_NAME, PYPI_NAME, SEMVER

# Options that change nothing about what runs; any other option keeps the entry a
# plain command, since mcpstate could not reproduce its effect.
NPX_QUIET = {"-y", "--yes", "-q", "--quiet", "--prefer-online", "--prefer-offline"}
UVX_QUIET = {"-q", "--quiet", "--isolated", "--no-cache", "--offline", "-n"}
UVX_VALUED = {"--python", "-p"}  # accepted with a note: the lockfile has no place for them


@dataclass(frozen=True)
class ParsedCommand:
    """A parsed launch. For a package, `pin` is an exact version; `wants` a range or
    dist-tag to resolve (None with no pin: the newest release)."""

    source: str  # "npm", "pypi" or "command"
    command: str
    args: tuple[str, ...] = ()
    package: str | None = None
    pin: str | None = None
    wants: str | None = None
    bin: str | None = None
    note: str | None = None


def parse_command(command: str, args: Sequence[str]) -> ParsedCommand:
    runner = PurePath(command).name.removesuffix(".cmd").removesuffix(".exe")
    if runner == "npx":
        return _npx(command, list(args))
    if runner == "uvx":
        return _uvx(command, list(args))
    if runner == "uv" and list(args[:2]) == ["tool", "run"]:
        return _uvx(command, list(args[2:]))
    return ParsedCommand("command", command, tuple(args))


def _npx(command: str, args: list[str]) -> ParsedCommand:
    package, rest = None, list(args)
    while rest and rest[0].startswith("-"):
        option = rest.pop(0)
        if option in ("-p", "--package") and rest:
            package = rest.pop(0)
        elif option.startswith("--package="):
            package = option.partition("=")[2]
        elif option == "--":
            break
        elif option not in NPX_QUIET:
            return _as_command(command, args, f"npx option {option} is not understood")
    if not rest and package is None:
        return _as_command(command, args, "npx without a package")
    spec = package if package is not None else rest.pop(0)
    bin_name = rest.pop(0) if package is not None and rest else None
    name, _, version = spec[1:].partition("@") if spec.startswith("@") else spec.partition("@")
    name = "@" + name if spec.startswith("@") else name
    if not NPM_NAME.fullmatch(name):
        return _as_command(command, args, f"{spec!r} is not an npm registry package")
    pin, wants = _npm_version(version)
    return ParsedCommand("npm", command, tuple(rest), name, pin, wants, bin_name)


def _npm_version(version: str) -> tuple[str | None, str | None]:
    if version in ("", "latest"):
        return None, None
    return (version, None) if SEMVER.fullmatch(version) else (None, version)


def _uvx(command: str, args: list[str]) -> ParsedCommand:
    source_spec, rest, note = None, list(args), None
    while rest and rest[0].startswith("-"):
        option = rest.pop(0)
        if option == "--from" and rest:
            source_spec = rest.pop(0)
        elif option.startswith("--from="):
            source_spec = option.partition("=")[2]
        elif option in UVX_VALUED and rest:
            note = f"uvx {option} {rest.pop(0)} is not kept: the lockfile has no place for it"
        elif option not in UVX_QUIET:
            return _as_command(command, args, f"uvx option {option} is not understood")
    if not rest:
        return _as_command(command, args, "uvx without a command")
    tool = rest.pop(0)
    parsed = _pypi_spec(source_spec or tool)
    if isinstance(parsed, str):
        return _as_command(command, args, parsed)
    name, pin, wants = parsed
    bin_name = tool if source_spec is not None and tool != name else None
    return ParsedCommand("pypi", command, tuple(rest), name, pin, wants, bin_name, note)


def _pypi_spec(spec: str) -> tuple[str, str | None, str | None] | str:
    """(name, pin, wants) of `pkg`, `pkg==v`, `pkg>=v`, `pkg@v`, `pkg@latest`; or why not."""
    from packaging.requirements import InvalidRequirement, Requirement

    if "@" in spec and "://" not in spec:  # uv's own spelling: pkg@1.2.3, pkg@latest
        name, _, version = spec.partition("@")
        spec = name if version == "latest" else f"{name}=={version}"
    try:
        req = Requirement(spec)
    except InvalidRequirement:
        return f"{spec!r} is not a PyPI requirement"
    if req.url or req.extras or req.marker or not PYPI_NAME.fullmatch(req.name):
        return f"{spec!r} has extras, a URL or a marker, which the lockfile cannot hold"
    specifiers = list(req.specifier)
    if len(specifiers) == 1 and specifiers[0].operator in ("==", "===") \
            and "*" not in specifiers[0].version:
        return req.name, specifiers[0].version, None
    return req.name, None, str(req.specifier) or None


def _as_command(command: str, args: Sequence[str], why: str) -> ParsedCommand:
    return ParsedCommand("command", command, tuple(args), note=f"{why}; kept as a plain command")
