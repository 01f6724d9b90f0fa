"""mcpstate import: add lockfile servers for the entries of a client config,
creating the lockfile when there is none (the work is importer/run.py's)."""

from __future__ import annotations

import argparse
from pathlib import Path

from mcpstate.context import Context
from mcpstate.model import CLIENTS
from mcpstate.render.result import Result


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--from", dest="from_path", metavar="PATH",
                        help="the client config to read (default: the client's file in the project, "
                             "else its user file)")
    parser.add_argument("--client", choices=CLIENTS, default="claude-code",
                        help="the format of that file (default: claude-code)")
    parser.add_argument("--format", choices=("text", "json"), default="text",
                        help="json: the servers added, the variables to export, the warnings "
                             "(schemas/import.schema.json)")


def run(ctx: Context, args: argparse.Namespace) -> Result:
    from mcpstate.importer.run import import_config
    from mcpstate.importer.surfaces import recorder
    from mcpstate.render.importresult import import_result
    from mcpstate.state.ignore import ignore_state_dir

    path = Path(args.from_path) if args.from_path else default_source(ctx.project_dir, args.client)
    record = recorder(ctx.lockfile_path, ctx.state_dir_even_without_lockfile(), ctx.out.progress)
    result = import_result(import_config(ctx.project_dir, ctx.lockfile_path, path.resolve(), args.client, record))
    added = ignore_state_dir(ctx.project_dir, ctx.state_dir_even_without_lockfile()) if result.code == 0 else None
    return result._replace(messages=[*result.messages, added]) if added else result


def default_source(project_dir: Path, client: str) -> Path:
    """The client's project file when it has one there, else its user file."""
    from mcpstate.model import PROJECT_PATHS, USER_PATHS, Target
    from mcpstate.targets import resolve_path

    project = project_dir / PROJECT_PATHS[client] if client in PROJECT_PATHS else None
    if project is not None and project.exists():
        return project
    user = resolve_path(project_dir, Target(client, USER_PATHS[client], "user"))
    return user if user.exists() or project is None else project
