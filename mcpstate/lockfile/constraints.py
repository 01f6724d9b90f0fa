"""Checks that need the real version libraries; only `mcpstate validate` runs them."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any

from mcpstate.lockfile.rules import Problem

_DIST_TAG = re.compile(r"^[a-z][a-z0-9._-]*$")


def check_constraints(data: Mapping[str, Any]) -> Iterator[Problem]:
    servers = data.get("servers")
    if not isinstance(servers, Mapping):
        return
    for name, server in servers.items():
        update = server.get("update") if isinstance(server, Mapping) else None
        if isinstance(update, Mapping) and isinstance(update.get("constraint"), str):
            message = constraint_problem(server.get("source"), update["constraint"])
            if message:
                yield ("servers", name, "update", "constraint"), message


def constraint_problem(source: Any, constraint: str) -> str | None:
    if source == "npm":
        import semantic_version

        try:
            semantic_version.NpmSpec(constraint)
        except ValueError:
            if not _DIST_TAG.fullmatch(constraint):  # `beta`, `next`: npm dist-tags follow those
                return f"{constraint!r} is not a valid npm version range or dist-tag"
    elif source == "pypi":
        from packaging.specifiers import InvalidSpecifier, SpecifierSet

        try:
            SpecifierSet(constraint)
        except InvalidSpecifier:
            return f"{constraint!r} is not a valid PEP 440 version specifier"
    return None
