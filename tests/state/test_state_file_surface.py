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
