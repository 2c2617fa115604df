"""The single place where errors become exit statuses and one-line messages."""

from __future__ import annotations

import os
import sys

from gostatic.errors import EXIT_BROKEN_PIPE, EXIT_INTERRUPTED, GostaticError
from gostatic.records import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Callable


def guarded(call: Callable[[], int]) -> int:
    """Run a command body; turn gostatic errors and Ctrl-C into a message and a status."""
    try:
        status = call()
        # Flushed here, not at exit, so that a reader gone away is seen below.
        sys.stdout.flush()
        return status
    except GostaticError as exc:
        sys.stderr.write(f"gostatic: {exc.message}\n")
        return exc.exit_status
    except KeyboardInterrupt:
        sys.stderr.write("gostatic: interrupted\n")
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        # `gostatic verify ... | head`: the output was cut short, which is not success.
        _discard_stdout()
        return EXIT_BROKEN_PIPE


def _discard_stdout() -> None:
    """Point fd 1 at /dev/null so that flushing what is still buffered at exit is quiet."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        try:
            os.dup2(devnull, sys.stdout.fileno())
        finally:
            os.close(devnull)
    except (OSError, ValueError):
        # No file descriptor behind stdout (a test's StringIO): nothing will be flushed to one.
        pass
