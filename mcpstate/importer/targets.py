"""Which target an imported file becomes, and adding it to the lockfile's `targets:`.

A file inside the project is a project-scoped target there (its path written out, as
`init` does); the client's user file a user-scoped one (`{client: claude-code, scope: user}`: the path stays implicit, so the
lockfile holds no home folder). The lockfile's text gets one flow-style line appended
to its block `targets:` list, every other byte kept, checked by parsing it again."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from mcpstate.lockfile.edit import load_nodes, mapping_value, refuse, verify
from mcpstate.model import PROJECT_PATHS, USER_PATHS, Target, default_path, default_scope
from mcpstate.targets import resolve_path


def target_for(project_dir: Path, path: Path, client: str) -> dict[str, str]:
    """The lockfile's target for a client file read from `path`."""
    if _same_file(path, resolve_path(project_dir, Target(client, default_path(client, "user")))):
        return {"client": client, "scope": "user"}
    try:
        relative = path.resolve().relative_to(project_dir.resolve()).as_posix()
    except ValueError:  # somewhere else: the client's usual file takes its servers
        return _default(client)
    if client not in PROJECT_PATHS:
        return {"client": client, "scope": "user", "path": relative}
    return {"client": client, "path": relative}


def _default(client: str) -> dict[str, str]:
    if client in PROJECT_PATHS:
        return {"client": client, "path": PROJECT_PATHS[client]}
    return {"client": client, "scope": "user"}


def _same_file(a: Path, b: Path) -> bool:
    return os.path.realpath(a) == os.path.realpath(b)


def flow(target: Mapping[str, str]) -> str:
    return "{" + ", ".join(f"{k}: {v}" for k, v in target.items()) + "}"


def add_target(text: str, target: Mapping[str, str]) -> str:
    """`text` with `target` in `targets:`, unless the client has a target of that scope
    already (whichever file: the user chose it). A lockfile without `targets:` meant
    claude-code's `.mcp.json`: it keeps it, written out."""
    root, before = load_nodes(text)
    data = before if isinstance(before, dict) else {}
    listed = data.get("targets") or []
    if any(_same_target(t, target) for t in listed or _IMPLICIT if isinstance(t, Mapping)):
        return text
    node = mapping_value(root, "targets", "")
    if node is None:  # the implicit target stays, written out
        listed = [dict(t) for t in _IMPLICIT]
        result = _with_new_list(text, [*listed, dict(target)])
    else:
        result = _appended(text, node, target)
    verify(result, {**data, "targets": [*listed, dict(target)]}, "append")
    return result


_IMPLICIT = ({"client": "claude-code", "path": ".mcp.json"},)  # no `targets:` (DESIGN §4)


def _same_target(found: Mapping[str, Any], wanted: Mapping[str, str]) -> bool:
    return _key(found)[:2] == _key(wanted)[:2]


def _key(target: Mapping[str, Any]) -> tuple[Any, ...]:
    """(client, scope, path) with the defaults filled in."""
    client = target.get("client")
    if client not in USER_PATHS:
        return client, target.get("scope"), target.get("path")
    scope = target.get("scope") or default_scope(client)
    return client, scope, target.get("path") or default_path(client, scope)


def _with_new_list(text: str, targets: list[dict[str, str]]) -> str:
    """`targets:` inserted after the `version:` line (else at the top)."""
    lines = text.splitlines(keepends=True)
    at = next((i + 1 for i, line in enumerate(lines) if line.startswith("version:")), 0)
    block = "targets:\n" + "".join(f"  - {flow(t)}\n" for t in targets)
    if at and not lines[at - 1].endswith("\n"):
        block = "\n" + block
    return "".join(lines[:at]) + block + "".join(lines[at:])


def _appended(text: str, node: yaml.Node, target: Mapping[str, str]) -> str:
    if not isinstance(node, yaml.SequenceNode) or node.flow_style or not node.value:
        refuse("targets is not a block list (- {client: ...} lines); add the target by hand: "
               f"- {flow(target)}")
    first, last = node.value[0], node.value[-1]
    dash = first.start_mark.column - 2  # `- {client: ...}`: the item starts after "- "
    while isinstance(last, yaml.MappingNode) and not last.flow_style and last.value:
        last = last.value[-1][1]  # a block mapping ends at the next token: its last value does not
    at = text.find("\n", last.end_mark.index)
    at = len(text) if at == -1 else at + 1
    line = f"{' ' * max(dash, 0)}- {flow(target)}\n"
    prefix = "" if at == 0 or text[at - 1] == "\n" else "\n"
    return text[:at] + prefix + line + text[at:]
