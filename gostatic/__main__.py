"""Entry point: `gostatic` and `python -m gostatic`."""

from __future__ import annotations

import os
import sys

TYPE_CHECKING = False  # see gostatic.records: typing is not imported on the build path
if TYPE_CHECKING:
    from collections.abc import Sequence


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    # `build` takes go's own flags and runs on every Makefile target: it skips typer.
    if args[:1] == ["build"]:
        from gostatic.buildcli import asks_for_help, run_build_cli

        if not asks_for_help(args[1:]):
            return run_build_cli(args[1:], os.environ, os.getcwd())
    from gostatic.cli import run_app

    return run_app(args)


if __name__ == "__main__":
    sys.exit(main())
