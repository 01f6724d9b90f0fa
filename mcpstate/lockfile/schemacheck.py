"""A small validator for the subset of JSON Schema that our schemas use.

jsonschema's import alone costs about 0.1 s, the whole budget of `mcpstate plan`;
this walks the same schema in a few milliseconds. tests/test_schemacheck.py holds it
to jsonschema's verdicts and fails if a schema starts using a keyword not handled here."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

Path = tuple[Any, ...]
SUPPORTED = frozenset({
    "$schema", "$id", "$defs", "$ref", "title", "description", "type", "properties",
    "additionalProperties", "required", "enum", "const", "pattern", "minLength",
    "minimum", "exclusiveMinimum", "items", "propertyNames", "oneOf", "format",
})  # "format" is an annotation here, as jsonschema treats it by default
_TYPES: dict[str, tuple[type, ...]] = {
    "object": (dict,), "array": (list,), "string": (str,), "boolean": (bool,),
    "integer": (int,), "number": (int, float), "null": (type(None),),
}
_NAMES = {"object": "a mapping", "array": "a list", "string": "a string", "boolean": "true or false",
          "integer": "a whole number", "number": "a number", "null": "null"}


class SchemaChecker:
    def __init__(self, schema: dict[str, Any]) -> None:
        self.root = schema
        self._patterns: dict[str, re.Pattern[str]] = {}

    def errors(self, instance: Any) -> list[tuple[Path, str]]:
        """Every violation as (path, message), in document order."""
        return list(self._check(self.root, instance, ()))

    def _check(self, schema: dict[str, Any], value: Any, path: Path) -> Iterator[tuple[Path, str]]:
        if "$ref" in schema:
            yield from self._check(self._resolve(schema["$ref"]), value, path)
            return
        if "type" in schema and not _is_any_type(value, schema["type"]):
            yield path, f"expected {_type_names(schema['type'])}, got {describe(value)}"
            return
        if "oneOf" in schema:
            yield from self._check_one_of(schema["oneOf"], value, path)
        yield from self._check_value(schema, value, path)
        if isinstance(value, dict):
            yield from self._check_object(schema, value, path)
        elif isinstance(value, list) and "items" in schema:
            for i, item in enumerate(value):
                yield from self._check(schema["items"], item, (*path, i))

    def _check_value(self, schema: dict[str, Any], value: Any, path: Path) -> Iterator[tuple[Path, str]]:
        if "const" in schema and not _same(value, schema["const"]):
            yield path, f"must be {schema['const']!r}, got {describe(value)}"
        if "enum" in schema and not any(_same(value, e) for e in schema["enum"]):
            yield path, f"{describe(value)} is not one of: {', '.join(map(str, schema['enum']))}"
        if isinstance(value, str):
            if len(value) < schema.get("minLength", 0):
                yield path, "must not be empty"
            if "pattern" in schema and not self._pattern(schema["pattern"]).search(value):
                rule = schema.get("description") or f"matching {schema['pattern']}"
                yield path, f"{value!r} is not {rule}"
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            if "minimum" in schema and value < schema["minimum"]:
                yield path, f"must be at least {schema['minimum']}, got {value}"
            if "exclusiveMinimum" in schema and value <= schema["exclusiveMinimum"]:
                yield path, f"must be more than {schema['exclusiveMinimum']}, got {value}"

    def _check_object(self, schema: dict[str, Any], value: dict[Any, Any], path: Path) -> Iterator[tuple[Path, str]]:
        props = schema.get("properties", {})
        for key in schema.get("required", ()):
            if key not in value:
                yield path, f"missing required key '{key}'"
        names = schema.get("propertyNames")
        extra = schema.get("additionalProperties", True)
        for key, item in value.items():
            if names is not None:
                for _, msg in self._check(names, key, ()):
                    yield (*path, key), msg
            if key in props:
                yield from self._check(props[key], item, (*path, key))
            elif extra is False:
                yield (*path, key), f"unknown key '{key}'" + _suggest(key, props)
            elif isinstance(extra, dict):
                yield from self._check(extra, item, (*path, key))

    def _check_one_of(self, options: list[dict[str, Any]], value: Any, path: Path) -> Iterator[tuple[Path, str]]:
        matches = [not any(True for _ in self._check(option, value, path)) for option in options]
        if matches.count(True) != 1:
            yield path, f"{describe(value)} matches {matches.count(True)} of the allowed forms, not one"

    def _resolve(self, ref: str) -> dict[str, Any]:
        node: Any = self.root
        for part in ref.removeprefix("#/").split("/"):
            node = node[part]
        return node  # type: ignore[no-any-return]

    def _pattern(self, pattern: str) -> re.Pattern[str]:
        if pattern not in self._patterns:
            # matched whole, as DESIGN §4 asks: Python's `$` also matches before a
            # trailing newline, so an anchored pattern ends at \Z instead
            whole = pattern[:-1] + r"\Z" if pattern.endswith("$") and not pattern.endswith(r"\$") else pattern
            self._patterns[pattern] = re.compile(whole)
        return self._patterns[pattern]


def _is_any_type(value: Any, names: str | list[str]) -> bool:
    return any(_is_type(value, n) for n in ([names] if isinstance(names, str) else names))


def _type_names(names: str | list[str]) -> str:
    return " or ".join(_NAMES[n] for n in ([names] if isinstance(names, str) else names))


def _is_type(value: Any, name: str) -> bool:
    if isinstance(value, bool) and name in ("integer", "number"):
        return False
    if name == "integer" and isinstance(value, float):
        return False  # DESIGN §4: integers where the schema says integer; 2.0 is a number
    return isinstance(value, _TYPES[name])


def _same(a: Any, b: Any) -> bool:
    # JSON Schema: true is not 1; and here (DESIGN §4), 1.0 is not 1 either
    if isinstance(a, (bool, float)) or isinstance(b, (bool, float)):
        return type(a) is type(b) and a == b
    return bool(a == b)


def _suggest(key: Any, known: dict[str, Any]) -> str:
    import difflib

    close = difflib.get_close_matches(str(key), list(known), n=1)
    return f" (did you mean '{close[0]}'?)" if close else ""


def describe(value: Any) -> str:
    """A value as a user would recognise it in their YAML."""
    import datetime

    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "nothing (null)"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, (datetime.date, datetime.datetime)):
        return f"a date ({value}; quote it to make it a string)"
    if isinstance(value, float):
        return f"the number {value!r} (quote it to make it a string)"
    if isinstance(value, int):
        return f"the number {value}"
    text = repr(value)
    return text if len(text) <= 80 else f"{text[:60]}... ({len(text):,} characters)"
