"""The one error hierarchy. Each error carries the exit status the CLI turns it into.

Only the CLI layer calls ``sys.exit``; the core raises these and returns reports.
"""

from __future__ import annotations

EXIT_OK = 0
EXIT_FAILED = 1  # go build failed for a reason no strategy changes; verify: something dynamic
EXIT_USAGE = 2  # bad arguments; verify: a file could not be read as ELF
EXIT_NOT_STATIC = 3  # no strategy gave a static binary
EXIT_INTERRUPTED = 130  # Ctrl-C, as a shell reports SIGINT
EXIT_BROKEN_PIPE = 141  # the reader of stdout went away, as a shell reports SIGPIPE


class GostaticError(Exception):
    """Base of every error gostatic reports to a user as one line."""

    exit_status = EXIT_FAILED

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class UsageError(GostaticError):
    exit_status = EXIT_USAGE


class GoNotFoundError(GostaticError):
    """The `go` command could not be started."""


class GoCommandError(GostaticError):
    """A `go` command other than the build itself (list, env) failed."""


class ElfError(GostaticError):
    """A file could not be read as ELF: missing, unreadable, not ELF, truncated, corrupt."""

    exit_status = EXIT_USAGE


def os_error_message(exc: OSError, path: str | None = None) -> str:
    """One line for an OSError, naming the file: the error's own, else ``path`` (the file
    gostatic was writing when a write to a descriptor failed, which names none)."""
    reason = exc.strerror or str(exc)
    where = exc.filename if exc.filename is not None else path
    if where is None:
        return reason
    if exc.filename2 is not None:
        return f"{where} -> {exc.filename2}: {reason}"
    return f"{where}: {reason}"
