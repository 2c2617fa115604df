"""Entry point: `gostatic` and `python -m gostatic`."""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from pathlib import Path

_HELP = {"-h", "-help", "--help"}


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    # `build` takes go's own flags and runs on every Makefile target: it skips typer.
    if args[:1] == ["build"] and not _HELP.intersection(args[1:]):
        from gostatic.buildcli import run_build_cli

        return run_build_cli(args[1:], os.environ, Path.cwd())
    from gostatic.cli import run_app

    return run_app(args)


if __name__ == "__main__":
    sys.exit(main())
