"""Client config files in TOML (Codex's `config.toml`): server entries are the tables
under one key (`[mcp_servers.NAME]`). Read with the standard library; written with
tomlkit, which keeps every comment, key and table that mcpstate does not manage.

Both are imported only here, and only when a TOML target is read or written, so a
`plan` without one never pays for them."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from mcpstate.errors import TargetError
from mcpstate.targets.jsonfile import TargetDoc


def parse(text: str) -> dict[str, Any]:
    import tomllib

    return tomllib.loads(text)


def read_doc(path: Path, key: str) -> TargetDoc:
    """Read a TOML target; a missing one is an empty document."""
    import tomllib

    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return TargetDoc(path, key, None, {}, parse=parse)
    except OSError as e:
        raise TargetError(f"{path}: cannot read: {e.strerror}") from None
    try:
        doc = tomllib.loads(raw.decode("utf-8"))
    except UnicodeDecodeError as e:
        raise TargetError(f"{path}: not UTF-8 text (byte {e.start})") from None
    except tomllib.TOMLDecodeError as e:
        raise TargetError(f"{path}: invalid TOML: {e}") from None
    servers = doc.get(key, {})
    if not isinstance(servers, dict) or not all(isinstance(v, dict) for v in servers.values()):
        raise TargetError(f"{path}: {key}: expected tables of servers ([{key}.NAME])")
    return TargetDoc(path, key, raw, doc, None, parse)


def with_entry(doc: TargetDoc, name: str, entry: dict[str, Any] | None) -> bytes:
    """The file's bytes with `[<key>.<name>]` set to `entry` (removed when None); every
    other table, key and comment as it was."""
    import tomlkit

    document = tomlkit.parse(doc.raw.decode("utf-8") if doc.raw is not None else "")
    servers = document.get(doc.key)
    if servers is None:
        if entry is None:
            return doc.raw or b""
        servers = tomlkit.table(is_super_table=True)  # `[mcp_servers.NAME]`, no bare header
        document[doc.key] = servers
    if entry is None:
        servers.pop(name, None)
        if not servers and servers.is_super_table():  # only `[mcp_servers.NAME]` headers made it
            del document[doc.key]
    else:
        servers[name] = _table(entry)
    text = tomlkit.dumps(document)
    if text.endswith("\n\n") and not (doc.raw or b"").endswith(b"\n\n"):
        text = text[:-1]  # our table came last: no blank line after it
    _verify(doc, name, entry, text)
    return text.encode()


def _table(entry: dict[str, Any]) -> Any:
    """A server's table: its mappings (env, headers) inline, as people write them."""
    import tomlkit

    table = tomlkit.table()
    for key, value in entry.items():
        if isinstance(value, dict):
            inline = tomlkit.inline_table()
            inline.update(value)
            value = inline
        table[key] = value
    table.add(tomlkit.nl())  # a blank line before whatever table follows, as people leave one
    return table


def _verify(doc: TargetDoc, name: str, entry: dict[str, Any] | None, text: str) -> None:
    expected = {k: (dict(v) if k == doc.key else v) for k, v in doc.doc.items()}
    servers = dict(expected.get(doc.key, {}))
    if entry is None:
        servers.pop(name, None)
    else:
        servers[name] = entry
    expected[doc.key] = servers
    found = parse(text)
    found.setdefault(doc.key, {})
    if found != expected:
        raise TargetError(f"{doc.path}: mcpstate could not edit [{doc.key}.{name}] in place "
                          "without changing other keys; nothing was written (a bug: please report it)")
