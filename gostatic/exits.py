"""The single place where errors become exit statuses and one-line messages."""

from __future__ import annotations

import sys
from collections.abc import Callable

from gostatic.errors import EXIT_INTERRUPTED, GostaticError


def guarded(call: Callable[[], int]) -> int:
    """Run a command body; turn gostatic errors and Ctrl-C into a message and a status."""
    try:
        return call()
    except GostaticError as exc:
        sys.stderr.write(f"gostatic: {exc.message}\n")
        return exc.exit_status
    except KeyboardInterrupt:
        sys.stderr.write("gostatic: interrupted\n")
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        # The reader went away (`gostatic verify ... | head`): nothing left to tell.
        return 0
