"""The one error handler: expected errors exit 1 with their message, Ctrl-C exits 130,
anything else is a bug: exit 3, one line on stderr, the traceback in mcpstate.log."""

from __future__ import annotations

import os
import signal
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from mcpstate import __version__
from mcpstate.errors import McpStateError

EXIT_OK, EXIT_ERROR, EXIT_CHANGES, EXIT_BUG, EXIT_INTERRUPTED = 0, 1, 2, 3, 130


class Outcome:
    """What the handled block sets: its exit code, and where a bug's log goes."""

    def __init__(self) -> None:
        self.code = EXIT_OK
        self.state_dir: Path | None = None


@contextmanager
def handle_errors(argv: list[str]) -> Iterator[Outcome]:
    outcome = Outcome()
    restore_sigterm = _interrupt_on_sigterm()
    try:
        yield outcome
    except McpStateError as e:
        for line in str(e).splitlines() or [type(e).__name__]:
            sys.stderr.write(f"error: {line}\n")
        outcome.code = EXIT_ERROR
    except KeyboardInterrupt:
        sys.stderr.write("interrupted\n")
        outcome.code = EXIT_INTERRUPTED
    except BrokenPipeError:
        # the reader went away (`mcpstate plan | head`): not our failure
        sys.stderr.close()
        outcome.code = EXIT_OK
    except Exception:  # a bug: keep the traceback off the terminal, in the log
        log = _write_log(outcome.state_dir, argv)
        sys.stderr.write(f"error: unexpected error (a bug in mcpstate); details in {log}\n")
        outcome.code = EXIT_BUG
    finally:
        restore_sigterm()


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

    stamp = now_iso()
    text = f"--- {stamp} mcpstate {__version__} argv={argv}\n{traceback.format_exc()}\n"
    for folder in (state_dir, Path(tempfile.gettempdir())):
        if folder is None:
            continue
        try:
            folder.mkdir(parents=True, exist_ok=True, mode=0o700)
            path = folder / "mcpstate.log"
            with open(path, "a", encoding="utf-8") as f:
                f.write(text)
            os.chmod(path, 0o600)
            return path
        except OSError:
            continue
    return Path("(nowhere: could not write a log)")
