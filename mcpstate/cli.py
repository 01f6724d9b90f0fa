"""Command line: global options, a lazy dispatch table, and the one error handler.

Only the chosen command's module is imported, so `mcpstate --version` and
`mcpstate plan` do not pay for what other commands use."""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence
from typing import NoReturn

from mcpstate import __version__
from mcpstate.errors import McpStateError, UsageError

# name -> (module under mcpstate.commands, one-line help)
COMMANDS: dict[str, tuple[str, str]] = {
    "init": ("init", "write a starter lockfile (adopting an existing .mcp.json)"),
    "validate": ("validate", "check the lockfile against the schema and the rules"),
    "import": ("import_", "add lockfile servers for the entries of a client config"),
    "plan": ("plan", "show what apply would change; changes nothing"),
    "show": ("show", "render a saved plan"),
    "apply": ("apply", "stage, verify, test and swap in the planned changes"),
    "test": ("test", "stage and health-test one server without swapping"),
    "status": ("status", "probe every managed server live"),
    "history": ("history", "list the revisions of servers"),
    "rollback": ("rollback", "go back to an earlier revision of a server"),
    "outdated": ("outdated", "list servers with newer versions in the registry"),
    "update": ("update", "move lockfile pins to newer versions"),
    "lock": ("lock", "fill in and check integrity hashes"),
    "gc": ("gc", "remove old store entries, reports and journal lines"),
    "force-unlock": ("force_unlock", "break a lock left by a dead process"),
}


class _Parser(argparse.ArgumentParser):
    """Usage errors exit 1 through the error handler: 2 means 'changes present'."""

    def error(self, message: str) -> NoReturn:
        raise UsageError(f"{message} (see '{self.prog} --help')")


def _add_globals(parser: argparse.ArgumentParser, suppress: bool) -> None:
    default = argparse.SUPPRESS if suppress else None
    flag_default = argparse.SUPPRESS if suppress else False
    parser.add_argument("-C", dest="directory", metavar="DIR", default=default,
                        help="project directory (default: the current one)")
    parser.add_argument("-f", "--lockfile", metavar="PATH", default=default,
                        help="lockfile (default: mcpstate.lock.yaml)")
    parser.add_argument("--state-dir", metavar="PATH", default=default,
                        help="state dir (default: .mcpstate)")
    parser.add_argument("--no-color", action="store_true", default=flag_default)
    parser.add_argument("-q", "--quiet", action="store_true", default=flag_default)
    parser.add_argument("-v", "--verbose", action="store_true", default=flag_default)


def _top_parser() -> argparse.ArgumentParser:
    commands = "\n".join(f"  {name:<13} {text}" for name, (_, text) in COMMANDS.items())
    parser = _Parser(prog="mcpstate", formatter_class=argparse.RawDescriptionHelpFormatter,
                     description="Keep MCP servers at exactly what a reviewed lockfile names.",
                     epilog=f"commands:\n{commands}")
    parser.add_argument("--version", action="version", version=f"mcpstate {__version__}")
    _add_globals(parser, suppress=False)
    parser.add_argument("command", metavar="COMMAND", choices=list(COMMANDS))
    parser.add_argument("rest", nargs=argparse.REMAINDER, help=argparse.SUPPRESS)
    return parser


def parse(argv: Sequence[str]) -> tuple[argparse.Namespace, object]:
    top = _top_parser()
    ns = top.parse_args(argv)
    module = importlib.import_module(f"mcpstate.commands.{COMMANDS[ns.command][0]}")
    sub = _Parser(prog=f"mcpstate {ns.command}", description=COMMANDS[ns.command][1])
    _add_globals(sub, suppress=True)
    module.configure(sub)
    args = sub.parse_args(ns.rest, namespace=ns)
    return args, module


def main(argv: Sequence[str] | None = None) -> int:
    from mcpstate.errhandler import handle_errors

    argv = list(sys.argv[1:] if argv is None else argv)
    with handle_errors(argv) as outcome:
        args, module = parse(argv)
        ctx = _context(args)
        outcome.state_dir = ctx.state_dir()
        outcome.code = module.run(ctx, args)  # type: ignore[attr-defined]
    return outcome.code


def _context(args: argparse.Namespace):  # noqa: ANN202 - Context import kept lazy
    from mcpstate.context import make_context
    from mcpstate.render.console import Output, want_color

    out = Output(color=want_color(args.no_color, sys.stdout), quiet=args.quiet)
    return make_context(args.directory, args.lockfile, args.state_dir, out,
                        quiet=args.quiet, verbose=args.verbose)


__all__ = ["main", "parse", "COMMANDS", "McpStateError"]
