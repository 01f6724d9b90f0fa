"""What a command returns, and the one place that writes it (pipx's OperationResult
and render_result): text for people, or exactly one JSON document on stdout.

A command builds both forms and never asks which one was wanted; `render_result`
picks. stdout gets the result and nothing else: warnings, notes and errors go
to stderr in either format, so `--format json` stays parseable."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, NamedTuple, TypeAlias

from mcpstate.render.console import Output

FORMAT_VERSION = "1"

Line: TypeAlias = "tuple[str, str | None]"  # a line for people and its rich style (None: plain)
Text: TypeAlias = "str | Sequence[Line]"  # text written as is, or lines printed one by one


class Result(NamedTuple):
    """What a command did, in both of its forms.

    `document` is the `--format json` document (None: nothing on stdout, e.g. when
    `status --output` wrote it to a file). `text` is the form for every other
    format (text, markdown, prometheus): a string written as is, styled lines, or
    a callable making either, so a format nobody asked for is never built.
    `messages` are for people only: after the text on stdout, on stderr with JSON.
    `warnings` go to stderr before the output, `notes` (progress, silenced by -q)
    after it, and `errors` last, for a command that reports and still fails
    (`outdated` when a registry did not answer)."""

    code: int = 0
    document: dict[str, Any] | None = None
    text: Text | Callable[[], Text] = ()
    messages: Sequence[str] = ()
    warnings: Sequence[str] = ()
    notes: Sequence[str] = ()
    errors: Sequence[str] = ()


def render_result(result: Result, fmt: str, out: Output) -> None:
    """Write `result` in the format asked for (`json`, or any form of text)."""
    for warning in result.warnings:
        out.warn(warning)
    if fmt == "json":
        if result.document is not None:
            out.json(result.document)
        for message in result.messages:
            out.stderr.write(message + "\n")
    else:
        write_text(out, result.text() if callable(result.text) else result.text)
        for message in result.messages:
            out.print(message)
    for note in result.notes:
        out.progress(note)
    for error in result.errors:
        for line in error.splitlines() or [error]:
            out.stderr.write(f"error: {line}\n")


def write_text(out: Output, text: Text) -> None:
    """A string as is; styled lines through `out.print` (colour only on a colour TTY)."""
    if isinstance(text, str):
        out.write(text)
        return
    for line, style in text:
        out.print(line, style)


def error_document(kind: str, message: str, exit_code: int, log: str | None = None) -> dict[str, Any]:
    """The one JSON document of a failed command (schemas/error.schema.json)."""
    error: dict[str, Any] = {"kind": kind, "message": message, "exit_code": exit_code}
    if log is not None:
        error["log"] = log
    return {"format_version": FORMAT_VERSION, "error": error}
