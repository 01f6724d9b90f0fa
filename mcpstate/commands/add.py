"""mcpstate add NAME[@VERSION]: a server of the MCP Registry into the lockfile, locked
(the work is importer/add.py's)."""

from __future__ import annotations

import argparse

from mcpstate.context import Context
from mcpstate.render.result import Result


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("spec", metavar="NAME[@VERSION]",
                        help="a server name of the MCP Registry, e.g. io.github.owner/server@1.2.0 "
                             "(default: its latest active version)")
    parser.add_argument("--as", dest="as_name", metavar="SERVER",
                        help="the lockfile server name (default: the last part of NAME)")
    parser.add_argument("--format", choices=("text", "json"), default="text",
                        help="json: the server added and the variables to export "
                             "(schemas/add.schema.json)")


def run(ctx: Context, args: argparse.Namespace) -> Result:
    from mcpstate.importer.add import add_server
    from mcpstate.importer.surfaces import recorder
    from mcpstate.render.addresult import add_result

    record = recorder(ctx.lockfile_path, ctx.state_dir_even_without_lockfile(), ctx.out.progress)
    return add_result(add_server(ctx.lockfile_path, args.spec, args.as_name, record))
