"""Client variables at probe time (DESIGN §14): `${workspaceFolder}` and `${userHome}`
are what Cursor and VS Code put there when they start a server, the project folder and
the home folder, so the health test launches what the client will. `${input:ID}` has
no value until VS Code asks the user: secrets.references.resolve refuses it."""

from __future__ import annotations

import os
from pathlib import Path

from mcpstate.model import Launch
from mcpstate.secrets.references import CLIENT_VARIABLE


def client_folders(launch: Launch, project_dir: Path) -> Launch:
    """`launch` with `${workspaceFolder}` and `${userHome}` replaced by their folders."""
    folders = {"workspaceFolder": str(project_dir), "userHome": os.path.expanduser("~")}

    def sub(value: str) -> str:
        return CLIENT_VARIABLE.sub(lambda m: folders.get(m.group(1), m.group()), value)

    return launch._replace(
        command=sub(launch.command) if launch.command else None,
        args=tuple(sub(a) for a in launch.args),
        env={k: sub(v) for k, v in launch.env.items()},
        url=sub(launch.url) if launch.url else None,
        headers={k: sub(v) for k, v in launch.headers.items()})
