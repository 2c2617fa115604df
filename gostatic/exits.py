"""The single place where errors become exit statuses and one-line messages, and, under
--json, still one JSON document on stdout."""

from __future__ import annotations

import os
import sys

from gostatic.errors import (
    EXIT_BROKEN_PIPE,
    EXIT_FAILED,
    EXIT_INTERRUPTED,
    GostaticError,
    os_error_message,
)
from gostatic.records import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Callable


class JsonDocument:
    """The one document a command prints with --json: its contract's keys, with what is
    known so far (a build's results once they are in, say), so that a run stopped by an
    error still prints one document, that error in it (:func:`guarded`)."""

    def __init__(self, command: str) -> None:
        from gostatic.report import empty_document

        self.known = empty_document(command)
        self.written = False

    def write(self, document: dict[str, object]) -> None:
        from gostatic.report import write_json

        self.written = True  # before: a write that fails half way is not followed by another
        write_json(document, sys.stdout)
        _flush_stdout()

    def write_error(self, message: str, exit_status: int) -> None:
        """The known document with ``"error": {"message", "exit_status"}``, unless a
        document was written already."""
        if self.written:
            return
        self.write({**self.known, "error": {"message": message, "exit_status": exit_status}})


def guarded(call: Callable[[], int], json: JsonDocument | None = None) -> int:
    """Run a command body; turn gostatic errors, OSError and Ctrl-C into a message and a
    status, and, with ``json`` (--json), into a document on stdout as well."""
    try:
        status = call()
        # Flushed here, not at exit, so that a reader gone away is seen below.
        _flush_stdout()
        return status
    except GostaticError as exc:
        return _fail(exc.message, exc.exit_status, json)
    except KeyboardInterrupt:
        return _fail("interrupted", EXIT_INTERRUPTED, json)
    except BrokenPipeError:
        # `gostatic verify ... | head`: the output was cut short, which is not success.
        _discard_stdout()
        return EXIT_BROKEN_PIPE
    except OSError as exc:
        # A file gostatic reads or writes (a full disk at the output, say), named.
        return _fail(os_error_message(exc), EXIT_FAILED, json)


def _flush_stdout() -> None:
    """Flush stdout; an error writing it (a full disk under `> file`) names it."""
    try:
        sys.stdout.flush()
    except BrokenPipeError:
        raise
    except OSError as exc:
        raise OSError(exc.errno, exc.strerror, "standard output") from exc


def _fail(message: str, status: int, json: JsonDocument | None) -> int:
    sys.stderr.write(f"gostatic: {message}\n")
    if json is None:
        return status
    try:
        json.write_error(message, status)
    except BrokenPipeError:
        _discard_stdout()
    except OSError:
        pass  # stdout itself cannot be written: the message on stderr is all there is
    return status


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
