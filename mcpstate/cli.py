"""Command line: global options, a lazy dispatch table, and the one error handler.

Only the chosen command's module is imported, and `--version` answers before
argparse is even loaded: start-up time is a budget (DESIGN §12)."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from mcpstate import __version__

if TYPE_CHECKING:
    import argparse
    from typing import Protocol

    from mcpstate.context import Context
    from mcpstate.render.result import Result

    class Command(Protocol):
        """What each module of mcpstate/commands/ provides."""

        def configure(self, parser: argparse.ArgumentParser) -> None: ...

        def run(self, ctx: Context, args: argparse.Namespace) -> Result: ...

# name -> (module under mcpstate.commands, one-line help)
COMMANDS: dict[str, tuple[str, str]] = {
    "init": ("init", "write a starter lockfile (adopting an existing .mcp.json)"),
    "validate": ("validate", "check the lockfile against the schema and the rules"),
    "import": ("import_", "add lockfile servers for the entries of a client config"),
    "search": ("search", "find servers in the MCP Registry"),
    "add": ("add", "add a server from the MCP Registry, locked"),
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
    "audit": ("audit", "known vulnerabilities of the locked closures, and tool-surface lints"),
    "gc": ("gc", "remove old store entries, reports and journal lines"),
    "force-unlock": ("force_unlock", "break a lock left by a dead process"),
}


def _parser_class() -> type[argparse.ArgumentParser]:
    import argparse

    from mcpstate.errors import UsageError

    class Parser(argparse.ArgumentParser):
        """Usage errors exit 1 through the error handler: 2 means 'changes present'."""

        def error(self, message: str) -> Any:
            raise UsageError(f"{message} (see '{self.prog} --help')")

    return Parser


def _add_globals(parser: argparse.ArgumentParser, suppress: bool) -> None:
    import argparse

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
    import argparse

    commands = "\n".join(f"  {name:<13} {text}" for name, (_, text) in COMMANDS.items())
    parser = _parser_class()(prog="mcpstate", formatter_class=argparse.RawDescriptionHelpFormatter,
                             description="Keep MCP servers at exactly what a reviewed lockfile names.",
                             epilog=f"commands:\n{commands}")
    parser.add_argument("--version", action="version", version=f"mcpstate {__version__}")
    _add_globals(parser, suppress=False)
    parser.add_argument("command", metavar="COMMAND", choices=list(COMMANDS))
    parser.add_argument("rest", nargs=argparse.REMAINDER, help=argparse.SUPPRESS)
    return parser


def parse(argv: Sequence[str]) -> tuple[argparse.Namespace, Command]:
    import importlib

    ns = _top_parser().parse_args(argv)
    module: Command = importlib.import_module(f"mcpstate.commands.{COMMANDS[ns.command][0]}")
    sub = _parser_class()(prog=f"mcpstate {ns.command}", description=COMMANDS[ns.command][1])
    _add_globals(sub, suppress=True)
    module.configure(sub)
    args = sub.parse_args(ns.rest, namespace=ns)
    return args, module


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv == ["--version"]:  # the fast path: no parser, no imports
        sys.stdout.write(f"mcpstate {__version__}\n")
        return 0
    import gc

    # The cyclic GC runs every 700 new containers: 30 times in a plan over 200 servers,
    # 5 ms of its 0.07 s budget, in imports and JSON reads that make next to no cycles. A
    # command is a short process: as mypy does, collect far less often (and leave the
    # process as it was, for whoever calls main() in-process).
    threshold = gc.get_threshold()
    gc.set_threshold(70_000, 10, 10)
    try:
        from mcpstate.errhandler import handle_errors
        from mcpstate.render.result import render_result

        with handle_errors(argv) as outcome:
            args, module = parse(argv)
            ctx = _context(args)
            outcome.state_dir = ctx.state_dir().root
            result = module.run(ctx, args)
            render_result(result, getattr(args, "format", "text"), ctx.out)
            outcome.code = result.code
        return outcome.code
    finally:
        gc.set_threshold(*threshold)


def _context(args: argparse.Namespace) -> Context:
    from mcpstate.context import make_context
    from mcpstate.render.console import Output, want_color

    out = Output(color=want_color(args.no_color, sys.stdout), quiet=args.quiet)
    return make_context(args.directory, args.lockfile, args.state_dir, out,
                        quiet=args.quiet, verbose=args.verbose)
