"""The one place output goes. Results to stdout, progress and warnings to stderr, so
stdout stays parseable. rich is imported only when colour is on."""

from __future__ import annotations

import json
import os
import sys
from typing import Any, TextIO

from mcpstate.secrets.redact import redact, redact_data


def want_color(no_color_flag: bool, stream: TextIO) -> bool:
    if no_color_flag or "NO_COLOR" in os.environ:
        return False
    return stream.isatty() and os.environ.get("TERM") != "dumb"


class Output:
    def __init__(self, color: bool = False, quiet: bool = False,
                 stdout: TextIO | None = None, stderr: TextIO | None = None) -> None:
        self.color = color
        self.quiet = quiet
        self.stdout = stdout or sys.stdout
        self.stderr = stderr or sys.stderr
        self._rich: Any = None

    def print(self, text: str = "", style: str | None = None) -> None:
        """A result line for people. `style` is a rich style, used only on a colour TTY."""
        text = redact(text)
        if self.color and style:
            self._console().print(text, style=style, markup=False, highlight=False)
        else:
            self.stdout.write(text + "\n")

    def write(self, text: str) -> None:
        """Raw text to stdout (JSON, markdown, prometheus)."""
        self.stdout.write(redact(text))

    def json(self, obj: Any) -> None:
        self.stdout.write(json.dumps(redact_data(obj), indent=2, ensure_ascii=False) + "\n")

    def progress(self, text: str) -> None:
        if not self.quiet:
            self.stderr.write(redact(text) + "\n")
            self.stderr.flush()

    def warn(self, text: str) -> None:
        self.stderr.write(f"warning: {redact(text)}\n")

    def _console(self) -> Any:
        if self._rich is None:
            from rich.console import Console

            self._rich = Console(file=self.stdout, force_terminal=True, soft_wrap=True)
        return self._rich
