"""lockedit.py and lockappend.py: minimal rewrites of the lockfile's text. A golden
diff, refusals that change nothing, and a property: only the intended lines move."""

from __future__ import annotations

import difflib
import re
import textwrap

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mcpstate.errors import LockfileError
from mcpstate.lockfile.append import append_servers
from mcpstate.lockfile.edit import Edit, check_editable, rewrite

SHA = "sha512-" + "N" * 86 + "=="
COMMENTED = textwrap.dedent("""\
    # yaml-language-server: $schema=schemas/lockfile.schema.json
    version: 1            # format version
    registries:
      npm: https://registry.npmjs.org/   # or a mirror
    servers:
      # Memory, reviewed by @alice
      memory:
        source: npm
        package: "@modelcontextprotocol/server-memory"
        version: 2026.8.31            # exact; ranges are refused here
        integrity: sha512-old         # filled by `mcpstate lock`
        update: {constraint: "^2026.0.0", min_release_age_days: 3}
      time:   # pinned by hand
        source: pypi
        package: mcp-server-time
        version: '2026.7.4'
        args: [--local-timezone, UTC]

      local:
        source: command
        command: /usr/local/bin/my-mcp-server
    # the end
    retention: {keep_versions: 3}
    """)


def diff(before: str, after: str) -> str:
    return "".join(difflib.unified_diff(before.splitlines(True), after.splitlines(True), n=0))[
        len("--- \n+++ \n"):]


def test_golden_diff_changes_exactly_the_pinned_lines() -> None:
    after = rewrite(COMMENTED, [Edit("memory", "2026.10.19", SHA),
                                Edit("time", "2026.10.19", "sha256:" + "ab" * 32)])
    assert diff(COMMENTED, after) == textwrap.dedent(f"""\
        @@ -10,2 +10,2 @@
        -    version: 2026.8.31            # exact; ranges are refused here
        -    integrity: sha512-old         # filled by `mcpstate lock`
        +    version: 2026.10.19           # exact; ranges are refused here
        +    integrity: {SHA} # filled by `mcpstate lock`
        @@ -16 +16,2 @@
        -    version: '2026.7.4'
        +    version: '2026.10.19'
        +    integrity: sha256:{"ab" * 32}
        """)


def test_quoting_style_and_line_endings_survive() -> None:
    text = 'servers:\r\n  a:\r\n    version: "1.0.0"\r\n  b:\r\n    version: \'1.0\'\r\n'
    after = rewrite(text, [Edit("a", "1.1.0", SHA), Edit("b", "it's")])
    assert after == ('servers:\r\n  a:\r\n    version: "1.1.0"\r\n    integrity: ' + SHA + '\r\n'
                     "  b:\r\n    version: 'it''s'\r\n")


def test_a_plain_value_yaml_would_misread_gets_quoted() -> None:
    after = rewrite("servers:\n  a:\n    version: 1.0.0\n", [Edit("a", "1.10")])
    assert after == 'servers:\n  a:\n    version: "1.10"\n'  # plain 1.10 is a float
    assert yaml.safe_load(after)["servers"]["a"]["version"] == "1.10"


def test_a_flow_mapping_value_is_replaced_in_place() -> None:
    text = "servers:\n  a: {source: npm, version: 1.0.0, integrity: x}  # flow\n"
    assert rewrite(text, [Edit("a", "2.0.0", SHA)]) == (
        f"servers:\n  a: {{source: npm, version: 2.0.0, integrity: {SHA}}}  # flow\n")


@pytest.mark.parametrize("text, why", [
    ("servers:\n  a: {source: npm, version: 1.0.0}\n", "flow mapping"),
    ("servers:\n  a: &a\n    version: 1.0.0\n  b: *a\n", "anchor used elsewhere"),
    ("v: &v 1.0.0\nservers:\n  a:\n    version: *v\n", "alias"),
    ("servers:\n  a:\n    version: &v 1.0.0\n", "anchor or a tag"),
    ("servers:\n  a:\n    version: !!str 1.0.0\n", "anchor or a tag"),
    ("base: &b {source: npm}\nservers:\n  a:\n    <<: *b\n    version: 1.0.0\n", "merge key"),
    ("servers:\n  a:\n    version: >-\n      1.0.0\n", "several lines"),
    ("servers:\n  a:\n    version: 1.0.0\n      -beta\n", "several lines"),
    ("servers:\n  a:\n    version: 1.0.0\n    version: 1.0.1\n", "appears 2 times"),
    ("servers:\n  a:\n    source: npm\n", "without `version:`"),
    ("servers:\n  a: [1.0.0]\n", "not a mapping"),
])
def test_unsafe_edits_are_refused_and_say_why(text: str, why: str) -> None:
    with pytest.raises(LockfileError) as err:
        rewrite(text, [Edit("a", "2.0.0", SHA)])
    assert why in str(err.value) and "nothing was changed" in str(err.value)


def test_a_server_name_yaml_reads_as_a_bool_is_refused() -> None:
    with pytest.raises(LockfileError, match="'no' is not read as a string"):
        rewrite("servers:\n  no:\n    version: 1.0.0\n", [Edit("no", "2.0.0")])


@pytest.mark.parametrize("text, message", [
    ("servers:\n  a:\n    version: 1.0.0\n", "no server named 'zz'"),
    ("servers: [a]\n", "no `servers:` mapping"),
    ("a: 1\n---\nb: 2\n", "not valid YAML"),
])
def test_bad_targets_are_lockfile_errors(text: str, message: str) -> None:
    with pytest.raises(LockfileError, match=message):
        rewrite(text, [Edit("zz", "1.0.0")])


def test_append_keeps_indentation_comments_and_later_sections() -> None:
    text = ("version: 1\nservers:\n    x:\n        source: command\n        command: y\n"
            "# about retention\nretention: {}\n")
    after = append_servers(text, {"new": {"source": "npm", "package": "@a/b", "version": "1.10",
                                          "args": ["--stdio"], "env": {"K": "${K}"}}})
    assert diff(text, after) == textwrap.dedent("""\
        @@ -5,0 +6,6 @@
        +    new:
        +        source: npm
        +        package: '@a/b'
        +        version: '1.10'
        +        args: [--stdio]
        +        env: {K: '${K}'}
        """)


@pytest.mark.parametrize("text, expected", [
    ("version: 1\nservers: {}   # none yet\n", "version: 1\nservers:   # none yet\n  n:\n    source: command\n"),
    ("version: 1\nservers:\n# soon\n", "version: 1\nservers:\n  n:\n    source: command\n# soon\n"),
    ("version: 1", "version: 1\nservers:\n  n:\n    source: command\n"),
])
def test_append_into_empty_or_missing_servers(text: str, expected: str) -> None:
    assert append_servers(text, {"n": {"source": "command"}}) == expected


@pytest.mark.parametrize("text, message", [
    ("servers: {a: {source: command}}\n", "flow mapping"),
    ("servers:\n  n: {source: command}\n", "already in the lockfile: n"),
    ("servers: [1]\n", "neither a block mapping nor empty"),
])
def test_append_refusals(text: str, message: str) -> None:
    with pytest.raises(LockfileError, match=message):
        append_servers(text, {"n": {"source": "command"}})


# -- property: whatever the layout, only the intended lines change -------------------

NAMES = st.from_regex(r"[a-z][a-z0-9-]{0,8}", fullmatch=True).filter(
    lambda n: isinstance(yaml.safe_load(n), str))  # `no`, `on`: refused, tested above
VERSIONS = st.one_of(
    st.builds("{}.{}.{}".format, *[st.integers(0, 2030)] * 3),
    st.builds("{}.{}".format, st.integers(0, 20), st.integers(0, 20)),  # float-looking
    st.sampled_from(["1.0.0-beta.1", "2026.10.19", "1.0.0+build.5", "0.0.1rc1"]))
INTEGRITY = st.one_of(st.from_regex(r"sha512-[A-Za-z0-9+/]{8,20}={0,2}", fullmatch=True),
                      st.from_regex(r"sha256:[0-9a-f]{64}", fullmatch=True))
COMMENT = st.one_of(st.just(""), st.from_regex(r"  # [ -~]{0,20}", fullmatch=True))


@st.composite
def lockfiles(draw: st.DrawFn) -> tuple[str, list[Edit], int]:
    indent = draw(st.sampled_from([2, 4]))
    pad = " " * indent
    names = draw(st.lists(NAMES, min_size=1, max_size=6, unique=True))
    lines = ["# generated", "version: 1", "servers:"]
    has_integrity = {}
    for name in names:
        lines += [f"{pad}# about {name}"] * draw(st.integers(0, 1))
        lines += [f"{pad}{name}:{draw(COMMENT)}", f"{pad * 2}source: npm",
                  f"{pad * 2}version: {_quoted(draw(VERSIONS), draw(st.integers(0, 2)))}{draw(COMMENT)}"]
        has_integrity[name] = draw(st.booleans())
        if has_integrity[name]:
            lines.append(f"{pad * 2}integrity: {draw(INTEGRITY)}{draw(COMMENT)}")
        lines += [f"{pad * 2}args: [--x]"] * draw(st.integers(0, 1))
        lines += [""] * draw(st.integers(0, 1))
    lines.append("retention: {keep_versions: 3}  # end")
    chosen = draw(st.lists(st.sampled_from(names), unique=True))
    edits = [Edit(n, draw(st.one_of(st.none(), VERSIONS)), draw(st.one_of(st.none(), INTEGRITY)))
             for n in chosen]
    inserts = sum(1 for e in edits if e.integrity and not has_integrity[e.server])
    return "\n".join(lines) + "\n", edits, inserts


def _quoted(version: str, style: int) -> str:
    return [f'"{version}"', f"'{version}'", version][style] if re.fullmatch(r"\d+\.\d+", version) \
        is None or style < 2 else f'"{version}"'


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(lockfiles())
def test_rewrite_changes_only_the_intended_lines(case: tuple[str, list[Edit], int]) -> None:
    text, edits, inserts = case
    after = rewrite(text, edits)
    before_lines, after_lines = text.splitlines(), after.splitlines()
    changed = re.compile(r"^\s*(version|integrity): ")
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, before_lines, after_lines,
                                                        autojunk=False).get_opcodes():
        if tag != "equal":
            assert all(changed.match(line) for line in before_lines[i1:i2] + after_lines[j1:j2])
    assert len(after_lines) == len(before_lines) + inserts
    parsed = yaml.safe_load(after)["servers"]
    for edit in edits:
        assert edit.version is None or parsed[edit.server]["version"] == edit.version
        assert edit.integrity is None or parsed[edit.server]["integrity"] == edit.integrity


TOOLS = "sha256-" + "7" * 64


def test_tools_goes_after_the_last_pin_line_and_is_replaced_in_place() -> None:
    text = ("servers:\n  web:\n    source: remote\n    url: https://example.com/mcp   # theirs\n"
            "    test: {timeout_s: 5}\n  srv:\n    source: npm\n    package: x\n    version: 1.0.0\n"
            f"    integrity: {SHA}\n    closure: sha256-{'1' * 64}\n    args: []\n")
    out = rewrite(text, [Edit("web", tools=TOOLS), Edit("srv", tools=TOOLS)])
    added = [line for line in difflib.ndiff(text.splitlines(), out.splitlines()) if line[:1] in "+-"]
    assert added == [f"+     tools: {TOOLS}", f"+     tools: {TOOLS}"]
    assert f"# theirs\n    tools: {TOOLS}\n    test:" in out and f"closure: sha256-{'1' * 64}\n    tools:" in out
    other = "sha256-" + "8" * 64
    again = rewrite(out, [Edit("web", tools=other)])
    assert again == out.replace(f"url: https://example.com/mcp   # theirs\n    tools: {TOOLS}",
                                f"url: https://example.com/mcp   # theirs\n    tools: {other}")


def test_check_editable_refuses_only_the_lines_lock_would_have_to_insert() -> None:
    from mcpstate.model import ServerSpec, TestSpec

    npm = ServerSpec(name="a", source="npm", package="p", version="1.0.0")
    done = (f"servers:\n  a: {{source: npm, package: p, version: 1.0.0, integrity: {SHA}, "
            f"closure: sha256-{'1' * 64}, tools: sha256-{'2' * 64}}}\n")
    check_editable(done, [npm])  # all there: replaced in place, flow mapping or not
    with pytest.raises(LockfileError, match="flow mapping"):
        check_editable("servers:\n  a: {source: npm, package: p, version: 1.0.0}\n", [npm])
    # a command server gets a tools: line only, and none when it is never probed
    command = ServerSpec(name="a", source="command", command="/bin/true", test=TestSpec(skip=True))
    check_editable("servers:\n  a: {source: command, command: /bin/true, test: {skip: true}}\n", [command])
