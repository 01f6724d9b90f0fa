"""state.json keeps the surface each revision was tested with, for the plan's surface diff."""

from __future__ import annotations

import pytest

from mcpstate.model import AppliedServer, State
from mcpstate.state.file import load_state, save_state
from mcpstate.state.layout import StateDir


def test_the_surface_survives_a_write_and_a_read(tmp_path) -> None:
    surface = ({"name": "echo", "description": "Echo", "inputSchema": {"type": "object"}},)
    server = AppliedServer(name="a", revision=1, source="command", package=None, version=None, integrity=None,
                           store_path=None, entries={}, config={}, surface=surface)
    sd = StateDir(tmp_path / ".mcpstate")
    save_state(sd, State(servers={"a": server}))
    assert load_state(sd).servers["a"].surface == surface


@pytest.mark.parametrize("bad", [{}, [1], [{"description": "no name"}]])
def test_a_surface_that_is_not_a_list_of_named_tools_is_refused(tmp_path, bad) -> None:
    import json

    sd = StateDir(tmp_path / ".mcpstate")
    server = AppliedServer(name="a", revision=1, source="command", package=None, version=None, integrity=None,
                           store_path=None, entries={}, config={})
    save_state(sd, State(servers={"a": server}))
    doc = json.loads(sd.state_file.read_text())
    doc["servers"]["a"]["surface"] = bad
    sd.state_file.write_text(json.dumps(doc))
    with pytest.raises(Exception, match="surface"):
        load_state(sd)


def test_tools_is_the_digest_and_an_older_tool_list_is_read_as_the_surface(tmp_path) -> None:
    import json

    sd = StateDir(tmp_path / ".mcpstate")
    digest = "sha256-" + "a" * 64
    server = AppliedServer(name="a", revision=1, source="command", package=None, version=None, integrity=None,
                           store_path=None, entries={}, config={}, tools=digest)
    save_state(sd, State(servers={"a": server}))
    doc = json.loads(sd.state_file.read_text())
    assert doc["servers"]["a"]["tools"] == digest and load_state(sd).servers["a"].tools == digest

    # as states before the digest wrote it: ToolInfo entries under `tools`, no surface
    doc["servers"]["a"]["tools"] = [{"name": "echo", "description": "Echo", "input_schema_sha256": "0" * 64,
                                     "input_schema": {"type": "object"}}, {"name": "add", "description": ""}]
    doc["servers"]["a"].pop("surface", None)
    sd.state_file.write_text(json.dumps(doc))
    old = load_state(sd).servers["a"]
    assert old.tools is None
    assert old.surface == ({"name": "echo", "description": "Echo", "inputSchema": {"type": "object"}},
                           {"name": "add"})
    save_state(sd, State(servers={"a": old}))  # written back in the new form
    assert json.loads(sd.state_file.read_text())["servers"]["a"]["tools"] is None


def test_tools_that_is_neither_a_digest_nor_a_list_is_refused(tmp_path) -> None:
    import json

    sd = StateDir(tmp_path / ".mcpstate")
    save_state(sd, State(servers={"a": AppliedServer(name="a", revision=1, source="command", package=None,
                                                     version=None, integrity=None, store_path=None,
                                                     entries={}, config={})}))
    doc = json.loads(sd.state_file.read_text())
    doc["servers"]["a"]["tools"] = 5
    sd.state_file.write_text(json.dumps(doc))
    with pytest.raises(Exception, match="tools must be a surface digest"):
        load_state(sd)
