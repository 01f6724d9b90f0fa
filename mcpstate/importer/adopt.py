"""Client config entries -> lockfile servers, for `mcpstate import` and `init`.

Each client's file is read by clients.py into one entry shape; the launch command
line is commandline.py's. Packages are resolved against catalogs the caller fetched, so
everything here is data in, data out. Literal secrets become `${VAR}` references:
the lockfile is reviewed in public, the client config is not.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from mcpstate.importer.commandline import ParsedCommand, parse_command
from mcpstate.errors import RegistryError, TargetError, UsageError
from mcpstate.registry.versions import Catalog, latest, wanted
from mcpstate.secrets.detect import Finding, env_name, rewrite, scan_args, scan_value, variable

_KNOWN_KEYS = {"command", "args", "env", "type", "url", "headers"}


@dataclass
class Draft:
    """One server on its way into the lockfile."""

    name: str
    original: str
    fields: dict[str, Any]
    parsed: ParsedCommand | None = None
    notes: list[str] = field(default_factory=list)


@dataclass
class Secrets:
    """Variables that now hold secrets formerly written in the config: var -> value."""

    values: dict[str, str] = field(default_factory=dict)
    users: dict[str, list[str]] = field(default_factory=dict)

    def reference(self, server: str, name: str, value: str) -> str:
        """`${VAR}` for a secret; VAR is `name`, or named after the server too when
        another server's different secret already took `name`."""
        var, own, n = env_name(name), env_name(server), 1
        base = var if var.startswith(own + "_") else f"{own}_{var}"
        while self.values.get(var, value) != value:
            n += 1
            var = base if n == 2 else f"{base}_{n - 1}"
        self.values[var] = value
        if server not in self.users.setdefault(var, []):
            self.users[var].append(server)
        return f"${{{var}}}"

    def rewrite(self, server: str, value: str, findings: Sequence[Finding]) -> str:
        """`value` with each literal secret found in it replaced by a reference."""
        return rewrite(value, findings, lambda f, literal: self.reference(server, variable(f, server), literal))


def lockfile_name(original: str, taken: set[str]) -> str:
    """A valid, unused lockfile server name for a config entry's name."""
    base = re.sub(r"[^a-z0-9._-]+", "-", original.lower()).strip("-._")[:60] or "server"
    name, n = base, 2
    while name in taken:
        name, n = f"{base}-{n}", n + 1
    return name


def draft_server(name: str, original: str, entry: Mapping[str, Any], secrets: Secrets) -> Draft:
    """The lockfile fields of one config entry, before any registry is asked."""
    draft = Draft(name, original, {})
    if name != original:
        draft.notes.append(f"renamed from {original!r} (a lockfile name is lowercase "
                           f"[a-z0-9._-]); the entry {original!r} in the config stays unmanaged")
    unknown = sorted(set(entry) - _KNOWN_KEYS)
    if unknown:
        draft.notes.append(f"ignored: {', '.join(unknown)} (not kept by the lockfile)")
    if entry.get("type") in ("http", "sse") or ("url" in entry and "command" not in entry):
        draft.fields = _remote(name, entry, secrets)
    elif isinstance(entry.get("command"), str):
        draft.parsed = parse_command(entry["command"], [str(a) for a in entry.get("args", [])])
        draft.fields = _local(name, draft.parsed, entry, secrets)
        draft.notes += [draft.parsed.note] if draft.parsed.note else []
    else:
        raise TargetError(f"{original}: an entry needs a \"command\" or a \"url\"")
    return draft


def _remote(name: str, entry: Mapping[str, Any], secrets: Secrets) -> dict[str, Any]:
    url = str(entry.get("url", ""))
    fields: dict[str, Any] = {"source": "remote", "url": secrets.rewrite(name, url, scan_value(url))}
    if entry.get("type") == "sse":
        fields["transport"] = "sse"
    headers = _referenced(name, entry.get("headers"), secrets, headers=True)
    return {**fields, **({"headers": headers} if headers else {})}


def _local(name: str, parsed: ParsedCommand, entry: Mapping[str, Any], secrets: Secrets) -> dict[str, Any]:
    fields: dict[str, Any] = {"source": parsed.source}
    if parsed.source == "command":
        fields["command"] = parsed.command
    else:
        fields["package"] = parsed.package
        fields.update({"bin": parsed.bin} if parsed.bin else {})
    fields.update({"args": _referenced_args(name, parsed.args, secrets)} if parsed.args else {})
    env = _referenced(name, entry.get("env"), secrets, headers=False)
    return {**fields, **({"env": env} if env else {})}


def _referenced(server: str, values: Any, secrets: Secrets, headers: bool) -> dict[str, str]:
    """`values` with every literal secret replaced by a `${VAR}` reference. An env
    value's variable is its key (`API_KEY`); a header's is named after the server too
    (`Authorization` of github: GITHUB_TOKEN)."""
    out = {}
    for key, value in (values or {}).items():
        value = str(value)
        out[str(key)] = secrets.rewrite(server, value, scan_value(value, str(key), key_prefix=headers))
    return out


def _referenced_args(server: str, args: Sequence[str], secrets: Secrets) -> list[str]:
    """Only the secret part of an argument becomes a reference: `--token=${GITHUB_TOKEN}`."""
    found: dict[int, list[Finding]] = {}
    for i, finding in scan_args(args):
        found.setdefault(i, []).append(finding)
    return [secrets.rewrite(server, arg, found.get(i, [])) for i, arg in enumerate(args)]


def resolve(draft: Draft, catalog: Catalog | RegistryError | None, now: datetime) -> Draft:
    """Pin a package draft to an exact version with its integrity."""
    parsed = draft.parsed
    if parsed is None or parsed.source == "command" or catalog is None:
        return draft
    if isinstance(catalog, RegistryError):
        raise RegistryError(f"{draft.name}: {catalog}")
    try:
        version = parsed.pin or (wanted(parsed.wants, catalog, now=now) if parsed.wants
                                 else latest(catalog, now=now))
    except ValueError as exc:
        raise UsageError(f"{draft.name}: {exc}") from None
    release = catalog.release(version) if version else None
    if release is None or release.integrity is None:
        why = release.note if release else f"no release matches {parsed.pin or parsed.wants or 'latest'}"
        raise RegistryError(f"{draft.name}: cannot pin {parsed.package}: {why}")
    # A dist-tag is not kept as update.constraint: `validate` accepts only ranges there.
    keep = parsed.wants if parsed.wants not in catalog.dist_tags else None
    _pin(draft, parsed, release.version, release.integrity, keep)
    return draft


def _pin(draft: Draft, parsed: ParsedCommand, version: str, integrity: str, constraint: str | None) -> None:
    fields = draft.fields
    head = {k: fields[k] for k in ("source", "package")}
    tail = {k: v for k, v in fields.items() if k not in head}
    update = {"update": {"constraint": constraint}} if constraint else {}
    draft.fields = {**head, "version": version, "integrity": integrity, **tail, **update}
    if parsed.pin is None:
        asked = f"{parsed.wants!r}" if parsed.wants else "no version"
        draft.notes.append(f"{parsed.package} had {asked}: pinned to {version}")
