"""Thin helpers for tests: an isolated environment for npm/pip, real installs from the
local world, and the expected integrity of a catalogue artifact. For tests only: the
product has its own installers (mcpstate/installers/)."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path

from testing.world import integrity as expected_integrity

__all__ = ["expected_integrity", "isolated_env", "npm_install", "pip_install", "npm_bin", "venv_bin",
           "InstallFailed"]

# Outer settings that would point npm, pip or uv somewhere else (the machine's pip config
# adds indexes and find-links): dropped from every isolated environment.
_DROP_PREFIXES = ("PIP_", "UV_", "NPM_CONFIG_", "MCPSTATE_")


class InstallFailed(AssertionError):
    """An install helper's command failed; the message holds its output."""


def isolated_env(root: Path, base: Mapping[str, str] | None = None) -> dict[str, str]:
    """`base` (default os.environ) with HOME, XDG dirs, TMPDIR, npm's cache and user config,
    pip's config and MCPSTATE_HOME (mcpstate's installers and their caches) all inside
    `root`; outer npm/pip/uv/mcpstate settings removed."""
    env = {k: v for k, v in (base if base is not None else os.environ).items()
           if not k.upper().startswith(_DROP_PREFIXES)}
    home = root / "home"
    dirs = {"HOME": home, "XDG_CONFIG_HOME": home / ".config", "XDG_CACHE_HOME": home / ".cache",
            "XDG_DATA_HOME": home / ".local" / "share", "XDG_STATE_HOME": home / ".local" / "state",
            "TMPDIR": root / "tmp", "npm_config_cache": root / "npm-cache",
            # where mcpstate puts it by default: in the home folder, so entries are portable
            "MCPSTATE_HOME": home / ".local" / "share" / "mcpstate"}
    for path in dirs.values():
        path.mkdir(parents=True, exist_ok=True)
    userconfig = home / ".npmrc"
    userconfig.touch()
    env.update({k: str(v) for k, v in dirs.items()})
    env.update({
        "npm_config_userconfig": str(userconfig), "npm_config_update_notifier": "false",
        "npm_config_audit": "false", "npm_config_fund": "false",
        # npm retries a tarball whose integrity fails with 10-60 s back-offs; against a
        # local registry a retry can only fail the same way, so fail at once
        "npm_config_fetch_retries": "0",
        "PIP_CONFIG_FILE": os.devnull, "PIP_DISABLE_PIP_VERSION_CHECK": "1", "PIP_NO_INPUT": "1",
    })
    return env


def _run(cmd: Sequence[str], what: str, cwd: Path | None, env: Mapping[str, str] | None,
         check: bool, timeout: float) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run(list(cmd), cwd=cwd, env=dict(env) if env is not None else None,
                          stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=timeout)
    if check and proc.returncode != 0:
        raise InstallFailed(f"{what} exited {proc.returncode}\n$ {' '.join(cmd)}\n"
                            f"--- stdout\n{proc.stdout[-3000:]}\n--- stderr\n{proc.stderr[-3000:]}")
    return proc


def npm_install(specs: str | Sequence[str], dest: Path, registry: str, *,
                env: Mapping[str, str] | None = None, check: bool = True,
                timeout: float = 180) -> subprocess.CompletedProcess[str]:
    """`npm install --registry REGISTRY SPEC...` into the folder `dest` (made, with a
    private package.json, when missing). `env` defaults to the current environment,
    which the pytest isolation fixture has already made hermetic."""
    dest.mkdir(parents=True, exist_ok=True)
    if not (dest / "package.json").exists():
        (dest / "package.json").write_text('{"private": true}\n')
    args = [specs] if isinstance(specs, str) else list(specs)
    cmd = ["npm", "install", "--registry", registry, "--ignore-scripts", "--no-audit", "--no-fund",
           "--omit=dev", *args]
    return _run(cmd, "npm install", dest, env, check, timeout)


def npm_bin(dest: Path, name: str) -> Path:
    return dest / "node_modules" / ".bin" / name


def pip_install(specs: str | Sequence[str], venv: Path, index_url: str, *,
                env: Mapping[str, str] | None = None, check: bool = True,
                timeout: float = 180) -> subprocess.CompletedProcess[str]:
    """`pip install --index-url INDEX SPEC...` into the virtualenv `venv` (made without
    pip, which is fast, when missing); this interpreter's pip installs into it.
    Specs may hold options too, e.g. ["--require-hashes", "-r", "reqs.txt"]."""
    if not (venv / "bin" / "python").exists():
        _run([sys.executable, "-m", "venv", "--without-pip", str(venv)], "venv", None, env, True, timeout)
    args = [specs] if isinstance(specs, str) else list(specs)
    cmd = [sys.executable, "-m", "pip", "--python", str(venv / "bin" / "python"), "install",
           "--index-url", index_url, "--no-cache-dir", *args]
    return _run(cmd, "pip install", None, env, check, timeout)


def venv_bin(venv: Path, name: str) -> Path:
    return venv / "bin" / name


def tools_cache() -> Path:
    """Where one bootstrap of mcpstate's pinned pnpm is kept for every test session and
    the demo (next to the world's artifact cache, git-ignored)."""
    from testing.artifacts import default_cache_dir

    return default_cache_dir().parent / "tools"


def seed_tools(mcpstate_home: Path, env: Mapping[str, str] | None = None) -> None:
    """MCPSTATE_HOME/tools as mcpstate would bootstrap it, from one shared bootstrap:
    hard links where the file system allows, else copies. The shared one is made on
    first use with mcpstate's own bootstrap (npm, the public registry, integrity
    checked), in an isolated npm environment: a fresh machine needs no npm cache."""
    import shutil

    from mcpstate.store.tools import PNPM_VERSION, _bootstrap_pnpm

    shared = tools_cache() / f"pnpm-{PNPM_VERSION}"
    if not shared.is_dir():
        import tempfile

        with tempfile.TemporaryDirectory(prefix="mcpstate-npm-") as tmp:
            _bootstrap_pnpm(shared, isolated_env(Path(tmp), env))
    dest = mcpstate_home / "tools" / shared.name
    if dest.exists():
        return
    dest.parent.mkdir(parents=True, exist_ok=True)
    try:
        shutil.copytree(shared, dest, symlinks=True, copy_function=os.link)
    except OSError:  # another file system: copy
        shutil.rmtree(dest, ignore_errors=True)
        shutil.copytree(shared, dest, symlinks=True)
