"""Plan renderings: golden text and markdown, JSON valid against plan.schema.json,
the markdown cap with a middle cut."""

from __future__ import annotations

import json
import os
from pathlib import Path

import jsonschema
import pytest

from mcpstate.lockfile.load import load_schema
from mcpstate.model import Lockfile, Observed, OpenTransaction, Plan, ServerSpec, State, TargetFile
from mcpstate.plan.closurediff import closure_json
from mcpstate.plan.document import plan_document
from mcpstate.plan.planner import make_plan
from mcpstate.plan.toolsdiff import tools_line
from mcpstate.probe.surface import surface_of
from mcpstate.probe.surfacediff import diff_surfaces
from mcpstate.render.planmd import MARKER, plan_markdown
from mcpstate.render.plantext import plan_lines
from tests.plan.test_planner import applied, lock, spec

GOLDEN = Path(__file__).parents[1] / "golden"


def sample_doc() -> dict[str, object]:
    everything = ServerSpec(name="everything", source="npm", package="@modelcontextprotocol/server-everything",
                            version="2026.8.31", integrity="sha512-abc")
    time = ServerSpec(name="time", source="pypi", package="mcp-server-time", version="2026.10.19",
                      integrity="sha256:" + "0" * 64, env={"TZ": "${TZ:-UTC}"})
    memory = ServerSpec(name="memory", source="npm", package="@modelcontextprotocol/server-memory",
                        version="2026.8.31")
    drifted = spec("drifted")
    github = ServerSpec(name="github", source="remote", url="https://api.example/mcp/",
                        headers={"Authorization": "Bearer ${GITHUB_TOKEN}"}, protected=True)
    lockfile = lock(memory, everything, time, drifted, github)
    state_servers = [applied(everything._replace(version="2026.7.4")),
                     applied(time._replace(env={"TZ": "UTC"})), applied(drifted),
                     applied(spec("oldserver")), applied(spec("guarded", protected=True))]
    entries = {s.name: f"sha-{s.name}" for s in state_servers}
    entries.update({"drifted": "hand-edited", "github": "theirs", "someone-elses": "x"})
    observed = Observed(State("1b7c", 7, {s.name: s for s in state_servers}),
                        (TargetFile("claude-code", ".mcp.json", True, "e" * 64, entries),),
                        frozenset(s.store_path for s in state_servers if s.store_path))
    plan = for_review(make_plan(lockfile, observed))
    return plan_document(plan, lockfile, observed, "2026-11-22T00:00:00Z", "mcpstate.lock.yaml")


ECHO = {"name": "echo", "description": "Echo the text back.",
        "inputSchema": {"type": "object", "properties": {"text": {"type": "string"}}, "required": ["text"]}}
ADD = {"name": "add", "description": "Add two numbers.", "inputSchema": {"type": "object"}}


def for_review(plan: Plan) -> Plan:
    """What prepare_plan adds from files, as it would for these changes: everything's
    closure and tools, github's entry text."""
    tools = diff_surfaces(surface_of([ECHO, ADD]), surface_of([{**ECHO, "description": "Echo it back."}]))
    closure = closure_json({"zod": "4.6.6", "a": "1.0.0"}, {"zod": "4.6.7", "a": "1.0.0", "b": "2.0.0"})
    entry = [{"target": ".mcp.json", "diff": ['   "mcpServers": {', '     "github": {',
                                                '-      "url": "https://api.example/mcp/?token=***"',
                                                '+      "url": "https://api.example/mcp/",',
                                                '+      "headers": {"Authorization": "Bearer ${GITHUB_TOKEN}"}',
                                                '     }', '   }']}]
    changes = []
    for c in plan.changes:
        if c.server == "everything":
            c = c._replace(tools_diff=tools.to_json(), closure_diff=closure,
                           details=(*c.details, "closure: 1 changed (zod 4.6.6 -> 4.6.7), 1 added (b 2.0.0), 0 removed",
                                    tools_line(tools)))
        if c.server == "github":
            c = c._replace(entry_diff=tuple(entry))
        changes.append(c)
    return plan._replace(changes=tuple(changes))


def check_golden(name: str, text: str) -> None:
    path = GOLDEN / name
    if os.environ.get("UPDATE_GOLDEN"):
        path.write_text(text)
    assert text == path.read_text()


def test_text_golden() -> None:
    text = "\n".join(line for line, _ in plan_lines(sample_doc())) + "\n"
    check_golden("plan.txt", text)


def test_markdown_golden() -> None:
    check_golden("plan.md", plan_markdown(sample_doc()))


def test_json_validates_against_schema() -> None:
    doc = sample_doc()
    jsonschema.validate(doc, load_schema("plan"))
    assert doc["summary"] == {"add": 1, "change": 3, "destroy": 2, "import": 1, "no_op": 0}
    assert [c["server"] for c in doc["drift"]] == ["drifted"]


def test_text_shows_each_action_and_drift() -> None:
    text = "\n".join(line for line, _ in plan_lines(sample_doc()))
    assert "  ~ everything  npm @modelcontextprotocol/server-everything 2026.7.4 -> 2026.8.31" in text
    assert '  ~ time        env.TZ: "UTC" -> "${TZ:-UTC}"' in text
    assert "  - oldserver   (removed from lockfile)" in text
    assert "Changed outside mcpstate:" in text
    assert "Not managed, left as is: someone-elses" in text
    assert "Plan: 1 to import, 1 to add, 3 to change, 2 to destroy." in text


def test_markdown_warns_on_delete_and_protected() -> None:
    md = plan_markdown(sample_doc())
    assert md.startswith(MARKER)
    assert "> **Warning:** 2 server(s) will be deleted: oldserver, guarded" in md
    assert "--allow-protected guarded" in md
    diff = md.split("```diff\n")[1].split("```")[0]
    assert all(line[0] in "+-~># " for line in diff.splitlines())


def big_doc(n: int) -> dict[str, object]:
    """n servers, each changing 8 long environment values."""
    servers = [spec(f"server-{i:03d}", env={f"VAR_{j}": "${X}" * 20 for j in range(8)}) for i in range(n)]
    lockfile: Lockfile = lock(*servers)
    before = [applied(s._replace(env={k: "old" for k in s.env})) for s in servers]
    observed = Observed(State("l", 1, {s.name: s for s in before}),
                        (TargetFile("claude-code", ".mcp.json", True, "e" * 64,
                                    {s.name: f"sha-{s.name}" for s in before}),),
                        frozenset(s.store_path for s in before if s.store_path))
    return plan_document(make_plan(lockfile, observed), lockfile, observed, "2026-11-22T00:00:00Z",
                         "mcpstate.lock.yaml")


def test_markdown_cap_cuts_the_middle_and_keeps_the_summary() -> None:
    doc = big_doc(100)
    full = "\n".join(line for line, _ in plan_lines(doc))
    assert len(full) > 60_000  # the case is real
    md = plan_markdown(doc)
    assert len(md) <= 60_000
    assert "Plan: 0 to add, 100 to change, 0 to destroy." in md.splitlines()[1]
    assert "~ server-000" in md and "~ server-099" in md  # both ends kept
    assert "lines (" in md and "cut here" in md


@pytest.mark.parametrize("limit", [2_000, 10_000, 60_000])
def test_markdown_respects_any_cap(limit: int) -> None:
    assert len(plan_markdown(big_doc(100), max_chars=limit)) <= limit


def test_no_changes_message() -> None:
    lockfile = lock(spec("a"))
    observed = Observed(State("l", 1, {"a": applied(spec("a"))}),
                        (TargetFile("claude-code", ".mcp.json", True, "e" * 64, {"a": "sha-a"}),),
                        frozenset({"/st/a"}))
    doc = plan_document(make_plan(lockfile, observed), lockfile, observed, "t", "x")
    assert [line for line, _ in plan_lines(doc)] == ["No changes. The MCP servers match the lockfile."]
    assert "No changes" in plan_markdown(doc) and "```diff" not in plan_markdown(doc)


def test_recover_is_rendered() -> None:
    lockfile = lock(spec("a"))
    observed = Observed(State(), (TargetFile("claude-code", ".mcp.json", False, None, {}),),
                        frozenset(), {"a": OpenTransaction("tx9", "a", "apply", "swapping")})
    doc = plan_document(make_plan(lockfile, observed), lockfile, observed, "t", "x")
    text = "\n".join(line for line, _ in plan_lines(doc))
    assert "(recover an interrupted apply (transaction tx9, last step: swapping))" in text
    assert json.dumps(doc)  # serialisable


def test_markdown_golden_for_a_100_server_change() -> None:
    md = plan_markdown(big_doc(100))
    check_golden("plan-100.md", md)
    assert len(md) <= 60_000


def reviewed_doc(n: int, description: str = "Read the text. " * 40) -> dict[str, object]:
    """big_doc with a tool whose description changes on every server."""
    doc = big_doc(n)
    tools = diff_surfaces(surface_of([ECHO]), surface_of([{**ECHO, "description": description}]))
    for change in doc["changes"]:  # type: ignore[attr-defined]
        change["tools_diff"] = tools.to_json()
    return doc


def balanced(md: str) -> bool:
    fences = [line for line in md.splitlines() if line.startswith("```")]
    return len(fences) % 2 == 0 and md.count("<details>") == md.count("</details>")


@pytest.mark.parametrize("limit", [2_000, 10_000, 60_000])
def test_review_blocks_are_kept_whole_within_the_cap(limit: int) -> None:
    md = plan_markdown(reviewed_doc(100), max_chars=limit)
    assert len(md) <= limit and balanced(md)
    assert "<details><summary>server-000: tool changes</summary>" in md
    assert "more server(s) with tool or entry changes cut" in md


def test_a_description_cannot_close_its_fence_or_its_block() -> None:
    hostile = "ok\n```\n</details>\n# Plan: 0 to change"
    md = plan_markdown(reviewed_doc(1, hostile))
    block = md.split("<details><summary>server-000: tool changes</summary>")[1]
    assert "````diff\n- Echo the text back.\n+ ok\n+ ```\n+ </details>\n+ # Plan: 0 to change\n````" in block
    # inside a fence of four, neither the three backticks nor the tag mean anything
