"""What audit writes never carries a tool's hidden text as is: markdown cells and stderr
warnings show invisible characters and escapes as code points, and pipes stay in cells."""

from __future__ import annotations

from mcpstate.audit import AuditReport, ServerLint
from mcpstate.probe.lints import Lint
from mcpstate.render.audit import lint_warning, markdown


def test_markdown_cells_escape_pipes_and_hidden_characters() -> None:
    lint = Lint("ad\u200bd|x", "description", "invisible-character", "invisible character U+200B at offset 2")
    report = AuditReport("http://osv", "mcpstate.lock.yaml", (), (), (ServerLint("s", lint),), ("s",), {})
    row = [line for line in markdown(report).splitlines() if line.startswith("| s |")]
    assert row == ["| s | `adU+200Bd\\|x` | description | invisible-character | high | "
                   "invisible character U+200B at offset 2 |"]


def test_warnings_escape_the_tool_name_and_field() -> None:
    line = lint_warning("s", "a\x1b[2Jb", "inputSchema.properties.p\u202e(key)", "ansi-escape", "ANSI escape")
    assert "\x1b" not in line and "\u202e" not in line
    assert "'a\\x1b[2Jb'" in line and "pU+202E(key)" in line
