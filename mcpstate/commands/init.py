"""mcpstate init: write a starter lockfile, adopting the client files of the project
(`.mcp.json`, `.cursor/mcp.json`, ...) through `import`, and offering the user files
that exist (`~/.claude.json`, ...) as `import` commands to run."""

from __future__ import annotations

import argparse

from mcpstate.context import Context
from mcpstate.lockfile.starter import STARTER
from mcpstate.render.result import Result


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--force", action="store_true", help="overwrite an existing lockfile")


def run(ctx: Context, args: argparse.Namespace) -> Result:
    from mcpstate.errors import UsageError
    from mcpstate.fsutil import atomic_write
    from mcpstate.lockfile.load import display

    path = ctx.lockfile_path
    if path.exists() and not args.force:
        raise UsageError(f"{display(path)} exists already (use --force to overwrite)")
    adopted = _adopt(ctx)
    offers = _offers(ctx)
    if adopted is not None:
        return adopted._replace(messages=[*adopted.messages, *_ignore(ctx), *offers])
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write(path, STARTER.encode())
    return Result(0, text=[(f"Wrote {display(path)}. Add servers, then run: mcpstate plan", None)],
                  messages=[*_ignore(ctx), *offers])


def _ignore(ctx: Context) -> list[str]:
    from mcpstate.state.ignore import ignore_state_dir

    added = ignore_state_dir(ctx.project_dir, ctx.state_dir_even_without_lockfile())
    return [added] if added else []


def _adopt(ctx: Context) -> Result | None:
    """Import each client file of the project that has servers, as `mcpstate import`
    would; None when there is none."""
    from mcpstate.importer.clients import read_entries
    from mcpstate.importer.run import import_config
    from mcpstate.model import PROJECT_PATHS
    from mcpstate.render.importresult import import_result

    results = []
    for client, relative in PROJECT_PATHS.items():
        file = ctx.project_dir / relative
        if file.is_file() and read_entries(file, client):
            results.append(import_result(import_config(ctx.project_dir, ctx.lockfile_path, file, client)))
    if not results:
        return None
    lines = [line for r in results if isinstance(r.text, list) for line in r.text]  # import_result's lines
    return results[0]._replace(text=lines, warnings=[w for r in results for w in r.warnings])


def _offers(ctx: Context) -> list[str]:
    """The user files that exist: their servers are the user's, so init only says how."""
    from mcpstate.lockfile.load import display
    from mcpstate.model import USER_PATHS, Target
    from mcpstate.targets import resolve_path

    offers = []
    for client, user_path in USER_PATHS.items():
        file = resolve_path(ctx.project_dir, Target(client, user_path, "user"))
        if file.is_file():
            offers.append(f"Found {client}'s user file {display(file)}: to manage its servers from this "
                          f"lockfile too, run: mcpstate import --client {client} --from {display(file)}")
    return offers
