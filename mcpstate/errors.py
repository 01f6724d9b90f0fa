"""The error hierarchy. Every expected failure is a McpStateError child; cli.py maps
them to exit code 1 and prints the message; anything else is a bug (exit 3)."""

from __future__ import annotations


class McpStateError(Exception):
    """An expected error: the message is for the user and says what to do."""


class UsageError(McpStateError):
    """The command line itself is wrong."""


class LockfileError(McpStateError):
    """The lockfile is missing, unreadable or invalid. Holds every problem found."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = list(problems)
        super().__init__("\n".join(self.problems))


class TargetError(McpStateError):
    """A client config file cannot be read or written."""


class WriteError(McpStateError):
    """A file or folder cannot be written (a missing folder, EACCES, EROFS, ENOSPC): the
    user's to fix, named with its path and cause; nothing was half-written."""


class StoreError(McpStateError):
    """The store is damaged or a store entry cannot be made."""


class RegistryError(McpStateError):
    """A package registry did not answer usefully."""


class InstallError(McpStateError):
    """npm or pip failed to install a package into the store."""


class IntegrityError(InstallError):
    """An installed artifact does not match the lockfile's integrity."""


class ProbeError(McpStateError):
    """The MCP health test could not run or the server misbehaved."""


class StateError(McpStateError):
    """state.json or the journal is unreadable, corrupt or from a newer version."""


class LockHeldError(McpStateError):
    """Another mcpstate process holds the state lock."""


class StalePlanError(McpStateError):
    """A saved plan no longer matches the lockfile, state or targets."""


class Interrupted(KeyboardInterrupt):
    """Ctrl-C or SIGTERM in the middle of work: `finished` says what was already done
    (committed revisions survive the interrupt; the next apply recovers the rest)."""

    def __init__(self, finished: list[str]) -> None:
        super().__init__()
        self.finished = list(finished)
