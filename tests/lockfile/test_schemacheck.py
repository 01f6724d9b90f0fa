"""The fast schema checker gives jsonschema's verdicts on our schemas."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from mcpstate.lockfile.load import load_schema
from mcpstate.lockfile.schemacheck import SUPPORTED, SchemaChecker
from tests.lockfile.test_load import BROKEN

ROOT = Path(__file__).parents[2]



def _strict_integer(checker: object, instance: object) -> bool:
    return isinstance(instance, int) and not isinstance(instance, bool)


def _strict_const(validator: Any, const: Any, instance: Any, schema: Any) -> Any:
    same = type(const) is type(instance) and const == instance if isinstance(const, (bool, float)) or \
        isinstance(instance, (bool, float)) else const == instance
    if not same:
        yield jsonschema.ValidationError(f"{const!r} was expected")


# jsonschema, with DESIGN §4's one difference: integers where the schema says integer
# (2.0 is a number, not an integer) and a const 1 that 1.0 does not satisfy
Strict = jsonschema.validators.extend(
    jsonschema.Draft202012Validator,
    validators={"const": _strict_const},
    type_checker=jsonschema.Draft202012Validator.TYPE_CHECKER.redefine("integer", _strict_integer))


def keywords(node: Any, under_properties: bool = False) -> set[str]:
    found: set[str] = set()
    if isinstance(node, dict):
        for key, value in node.items():
            if not under_properties:
                found.add(key)
            found |= keywords(value, under_properties=key in ("properties", "$defs") and not under_properties)
    elif isinstance(node, list):
        for item in node:
            found |= keywords(item)
    return found


def test_schema_uses_only_supported_keywords() -> None:
    assert keywords(load_schema("lockfile")) <= SUPPORTED


def verdicts(doc: Any) -> tuple[bool, bool]:
    ours = not SchemaChecker(load_schema("lockfile")).errors(doc)
    theirs = Strict(load_schema("lockfile")).is_valid(doc)
    return ours, theirs


def test_same_verdicts_on_the_corpus() -> None:
    docs = [yaml.safe_load((ROOT / "lockfile.example.yaml").read_text())]
    for text, *_ in BROKEN:
        try:
            docs.append(yaml.safe_load(text))
        except yaml.YAMLError:
            continue
    for doc in docs:
        ours, theirs = verdicts(doc)
        assert ours == theirs, doc


def test_errors_are_found_where_jsonschema_finds_them() -> None:
    doc = {"version": 1, "servers": {"a": {"source": "npm", "args": [1], "test": {"timeout_s": -1}}},
           "extra": True}
    ours = {tuple(p) for p, _ in SchemaChecker(load_schema("lockfile")).errors(doc)}
    theirs = {tuple(e.absolute_path) for e in
              Strict(load_schema("lockfile")).iter_errors(doc)}
    # jsonschema reports an unknown key at its parent; we point at the key itself
    assert {p[:-1] if p and p[-1] == "extra" else p for p in ours} == theirs


scalars = st.one_of(st.none(), st.booleans(), st.integers(-3, 3), st.floats(-2, 2, allow_nan=False),
                    st.sampled_from(["", "npm", "pypi", "remote", "command", "1.0.0", "https://x/", "fail",
                                     "sha256:" + "a" * 64, "claude-code", "Bad Name", "x"]))
keys = st.sampled_from(["version", "servers", "targets", "source", "package", "url", "args", "env",
                        "test", "timeout_s", "on_breaking", "client", "path", "a", "b-1", "Bad",
                        "smoke", "tool", "retention", "keep_versions", "registries", "npm", "protected"])
documents = st.recursive(scalars, lambda children: st.one_of(
    st.lists(children, max_size=3), st.dictionaries(keys, children, max_size=4)), max_leaves=12)


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(keys, documents, max_size=4))
def test_same_verdicts_on_random_documents(doc: dict[str, Any]) -> None:
    ours, theirs = verdicts(doc)
    assert ours == theirs


@settings(max_examples=150, deadline=None)
@given(st.dictionaries(keys, documents, max_size=3))
def test_same_verdicts_on_random_servers(server: dict[str, Any]) -> None:
    ours, theirs = verdicts({"version": 1, "servers": {"s": {"source": "npm", **server}}})
    assert ours == theirs


def test_plan_schema_uses_only_supported_keywords() -> None:
    assert keywords(load_schema("plan")) <= SUPPORTED


plan_values = st.one_of(scalars, st.lists(scalars, max_size=2), st.dictionaries(keys, scalars, max_size=2))


@settings(max_examples=200, deadline=None)
@given(st.data())
def test_same_verdicts_on_damaged_plans(data: st.DataObject) -> None:
    """A saved plan is checked with the plan schema: the same verdicts as jsonschema."""
    from tests.render.test_render import sample_doc

    doc = json.loads(json.dumps(sample_doc()))
    node = doc
    for _ in range(data.draw(st.integers(0, 3))):  # walk down a little, then damage
        children = list(node.items()) if isinstance(node, dict) else list(enumerate(node))
        if not children:
            break
        key, child = data.draw(st.sampled_from(children))
        if not isinstance(child, (dict, list)):
            break
        node = child
    if isinstance(node, dict) and node:
        node[data.draw(st.sampled_from(sorted(node)))] = data.draw(plan_values)
    ours = not SchemaChecker(load_schema("plan")).errors(doc)
    theirs = Strict(load_schema("plan")).is_valid(doc)
    assert ours == theirs
