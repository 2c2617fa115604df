"""Entry point: `gostatic` and `python -m gostatic`."""

from __future__ import annotations

import os
import sys

from gostatic.records import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Sequence
    from typing import NoReturn


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    # `build` takes go's own flags and runs on every Makefile target: it skips typer.
    if args[:1] == ["build"]:
        from gostatic.builder.options import asks_for_help

        if not asks_for_help(args[1:]):
            from gostatic.builder.entry import run_build_cli

            return run_build_cli(args[1:], os.environ, os.getcwd())
    # `image` takes go's flags too, and the program's arguments after `--` (with --smoke),
    # which click would not keep: typer only shows its help.
    if args[:1] == ["image"]:
        from gostatic.builder.options import asks_for_help
        from gostatic.image.request import IMAGE_OPTIONS

        if not asks_for_help(args[1:], IMAGE_OPTIONS):
            from gostatic.image.entry import run_image_cli

            return run_image_cli(args[1:], os.environ, os.getcwd())
    from gostatic.cli import run_app

    return run_app(args)


def console() -> NoReturn:
    """The `gostatic` command: :func:`main`, then exit with its status.

    When no thread was ever started (threading was never imported: the up-to-date build
    path, held to its imports by tests/test_fastpath.py), nothing is left for the
    interpreter's teardown to wait for or close, and skipping it saves ~2 ms, measured,
    against go's 40-70 ms for an up-to-date build. Output is flushed first.
    """
    status = main()
    if "threading" not in sys.modules:
        try:
            sys.stdout.flush()
            sys.stderr.flush()
        except (OSError, ValueError):
            sys.exit(status)  # the usual exit reports what could not be written
        os._exit(status)
    sys.exit(status)


if __name__ == "__main__":
    console()
