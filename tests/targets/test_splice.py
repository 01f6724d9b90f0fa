"""Entries are spliced into a client config as written: every other byte stays."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from mcpstate.targets import jsonc
from mcpstate.targets.splice import splice_entry

HAND_WRITTEN = """{
  "theme": "dark",
  "mcpServers": {
    "zeta": {"command": "their-server", "args": ["x", "y"]},
    "app": {
      "command": "old"
    }
  },
  "zz": [1, 2, 3]
}
"""


def test_replacing_an_entry_keeps_every_other_byte() -> None:
    out = splice_entry(HAND_WRITTEN, "mcpServers", "app", {"command": "new"}, 2, json.loads)
    assert out is not None
    head, tail = HAND_WRITTEN.split('"app": ')[0], HAND_WRITTEN.split('"old"\n    }')[1]
    assert out.startswith(head) and out.endswith(tail)
    assert json.loads(out)["mcpServers"]["app"] == {"command": "new"}


def test_adding_and_removing_keep_the_rest() -> None:
    added = splice_entry(HAND_WRITTEN, "mcpServers", "new", {"command": "n", "args": []}, 2, json.loads)
    assert added is not None and '"zeta": {"command": "their-server", "args": ["x", "y"]},' in added
    assert list(json.loads(added)["mcpServers"]) == ["zeta", "app", "new"]
    removed = splice_entry(added, "mcpServers", "new", None, 2, json.loads)
    assert removed == HAND_WRITTEN


def test_jsonc_comments_and_trailing_commas_survive() -> None:
    text = '{\n  // team servers\n  "servers": {\n    "one": {"command": "x"}, // keep me\n  },\n}\n'
    out = splice_entry(text, "servers", "two", {"type": "stdio", "command": "y"}, 2, jsonc.parse)
    assert out is not None and "// team servers" in out and "// keep me" in out
    assert list(jsonc.parse(out)["servers"]) == ["one", "two"]


def test_without_a_servers_object_the_caller_writes_anew() -> None:
    assert splice_entry('{"theme": 1}', "mcpServers", "a", {"command": "c"}, 2, json.loads) is None
    assert splice_entry('{"mcpServers": []}', "mcpServers", "a", {"command": "c"}, 2, json.loads) is None


names = st.text(st.characters(min_codepoint=32, max_codepoint=0x2FF), min_size=1, max_size=6)
values = st.recursive(st.one_of(st.none(), st.booleans(), st.integers(), st.text(max_size=5)),
                      lambda c: st.one_of(st.lists(c, max_size=3), st.dictionaries(names, c, max_size=3)),
                      max_leaves=6)
entries = st.dictionaries(names, values, max_size=3)


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(names, entries, max_size=4), names, st.none() | entries,
       st.sampled_from([None, 2, 4, "\t"]), st.dictionaries(names, values, max_size=2))
def test_splice_gives_the_intended_document(servers: dict[str, Any], name: str, entry: Any,
                                            indent: Any, others: dict[str, Any]) -> None:
    doc = {**{k: v for k, v in others.items() if k != "mcpServers"}, "mcpServers": servers}
    text = json.dumps(doc, indent=indent, ensure_ascii=False)
    out = splice_entry(text, "mcpServers", name, entry, indent, json.loads)
    expected = json.loads(text)
    if entry is None:
        expected["mcpServers"].pop(name, None)
    else:
        expected["mcpServers"][name] = entry
    assert out is not None and json.loads(out) == expected
    assert list(json.loads(out)) == list(expected)  # top-level key order kept
