"""What a client config entry launches, the environment a server gets, and the redaction
that keeps env and header values (maybe secrets) out of reports."""

from __future__ import annotations

import os
from typing import Iterable

from mcpstate.secrets.detect import looks_secret
from mcpstate.model import Launch

__all__ = ["Launch", "base_env", "describe", "redact", "secret_values", "server_env"]

# Only what a server needs to find its runtime and home; the caller's other variables
# (tokens of unrelated tools) must not leak into a third-party process.
BASE_ENV_KEYS = ("HOME", "LOGNAME", "PATH", "SHELL", "TERM", "USER", "LANG", "LC_ALL", "LC_CTYPE", "TMPDIR")
REDACTED = "***"
MIN_SECRET_LEN = 4  # shorter values ("1", "on") would blank out ordinary words


def secret_values(launch: Launch) -> tuple[str, ...]:
    """Values under secret-looking keys (the lockfile's own rule, DESIGN §4): never
    shown in a report, even when the server prints them. Longest first."""
    pairs = (*launch.env.items(), *launch.headers.items())
    values = {v for k, v in pairs if looks_secret(k) and len(v) >= MIN_SECRET_LEN}
    return tuple(sorted(values, key=len, reverse=True))


def describe(launch: Launch) -> str:
    return launch.url or " ".join((launch.command or "?", *launch.args))


def base_env() -> dict[str, str]:
    return {key: os.environ[key] for key in BASE_ENV_KEYS if key in os.environ}


def server_env(launch: Launch) -> dict[str, str]:
    return {**base_env(), **launch.env}


def redact(text: str, secrets: Iterable[str]) -> str:
    for secret in secrets:
        text = text.replace(secret, REDACTED)
    return text
