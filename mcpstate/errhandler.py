"""The one error handler: expected errors exit 1 with their message, Ctrl-C exits 130,
anything else is a bug: exit 3, one line on stderr, the traceback in mcpstate.log.
With `--format json` each of them also prints the one error document on stdout
(schemas/error.schema.json), so a script always has one document to read."""

from __future__ import annotations

import os
import signal
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from mcpstate import __version__
from mcpstate.errors import McpStateError
from mcpstate.secrets.redact import redact

EXIT_OK, EXIT_ERROR, EXIT_CHANGES, EXIT_BUG, EXIT_INTERRUPTED = 0, 1, 2, 3, 130


class Outcome:
    """What the handled block sets: its exit code, and where a bug's log goes."""

    def __init__(self) -> None:
        self.code = EXIT_OK
        self.state_dir: Path | None = None


@contextmanager
def handle_errors(argv: list[str]) -> Iterator[Outcome]:
    """Map what the block raises to an exit code and a message on stderr; when the
    command line asks for JSON, also the one error document on stdout."""
    outcome = Outcome()
    as_json = wants_json(argv)
    restore_sigterm = _interrupt_on_sigterm()
    try:
        yield outcome
    except McpStateError as e:
        lines = redact(str(e)).splitlines() or [type(e).__name__]
        for line in lines:
            sys.stderr.write(f"error: {line}\n")
        outcome.code = EXIT_ERROR
        if as_json:
            _print_error(type(e).__name__, "\n".join(lines), EXIT_ERROR)
    except KeyboardInterrupt as e:
        for line in getattr(e, "finished", ()):
            sys.stderr.write(line + "\n")
        sys.stderr.write("interrupted\n")
        outcome.code = EXIT_INTERRUPTED
        if as_json:
            _print_error("interrupted", "interrupted", EXIT_INTERRUPTED)
    except BrokenPipeError:
        # the reader went away (`mcpstate plan | head`): not our failure
        sys.stderr.close()
        outcome.code = EXIT_OK
    except Exception:  # a bug: keep the traceback off the terminal, in the log
        log = _write_log(outcome.state_dir, argv)
        message = f"unexpected error (a bug in mcpstate); details in {log}"
        sys.stderr.write(f"error: {message}\n")
        outcome.code = EXIT_BUG
        if as_json:
            _print_error("bug", message, EXIT_BUG, str(log))
    finally:
        restore_sigterm()


def wants_json(argv: Sequence[str]) -> bool:
    """Whether the command line asks for `--format json`. Read from argv, not from
    the parsed arguments: argparse may fail on another argument first. As argparse
    does, the last --format wins and an unambiguous abbreviation (`--form`) counts."""
    fmt = None
    tokens = iter(argv)
    for token in tokens:
        if token == "--":
            break
        name, equals, value = token.partition("=")
        if len(name) >= len("--fo") and "--format".startswith(name):
            fmt = value if equals else next(tokens, None)
    return fmt == "json"


def _print_error(kind: str, message: str, code: int, log: str | None = None) -> None:
    from mcpstate.render.console import Output
    from mcpstate.render.result import error_document

    try:
        Output().json(error_document(kind, message, code, log))
        sys.stdout.flush()
    except OSError:  # stdout cannot take it (a closed pipe, a full disk): stderr has
        pass  # said it already, and the exit code still tells the failure


def _interrupt_on_sigterm() -> Callable[[], Any]:
    """SIGTERM ends a run as Ctrl-C does (DESIGN §5): cleanup runs, exit 130. Returns what
    puts the previous handler back."""
    try:
        previous = signal.signal(signal.SIGTERM, signal.default_int_handler)
    except ValueError:  # not on the main thread, where alone handlers can be set
        return lambda: None
    return lambda: signal.signal(signal.SIGTERM, signal.SIG_DFL if previous is None else previous)


def _write_log(state_dir: Path | None, argv: list[str]) -> Path:
    # imported here: only a bug pays for them, not every run
    import tempfile
    import traceback

    from mcpstate.stamps import now_iso

    from mcpstate.state.layout import StateDir

    text = redact(f"--- {now_iso()} mcpstate {__version__} argv={argv}\n{traceback.format_exc()}\n")
    if state_dir is not None:
        try:  # create() refuses a folder that is not a state dir: the log never lands there
            ours = StateDir(state_dir).create()
            fd = os.open(ours.log, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
            with os.fdopen(fd, "a", encoding="utf-8") as f:
                f.write(text)
            return ours.log
        except (OSError, McpStateError):
            pass
    try:  # a file of its own, never a fixed name in a shared temp folder
        fd, name = tempfile.mkstemp(prefix="mcpstate-", suffix=".log")
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
        return Path(name)
    except OSError:
        return Path("(nowhere: could not write a log)")
