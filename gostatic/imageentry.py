"""`gostatic image` without typer, as `gostatic build` runs (gostatic.buildentry): its
command line is go's flags among gostatic's options, up to ``--`` and the program's
arguments (with --smoke), which click would not keep as given. gostatic.cli.image is the
same command in typer, for help and completion.
"""

from __future__ import annotations

import sys

from gostatic.records import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence


def run_image_cli(
    argv: Sequence[str],
    env: Mapping[str, str],
    cwd: str,
    given: Mapping[str, object] | None = None,
) -> int:
    """Run `gostatic image ARGV` and return its exit status. ``given``: the image's
    options, when typer parsed them already."""
    from gostatic.exits import guarded

    return guarded(lambda: _run(argv, env, cwd, given))


def _run(
    argv: Sequence[str], env: Mapping[str, str], cwd: str, given: Mapping[str, object] | None
) -> int:
    from gostatic.imagebuild import run_image
    from gostatic.imagerequest import parse_image_command
    from gostatic.report import write_json
    from gostatic.report.image import ImageTextReporter, image_progress, image_to_json

    request = parse_image_command(argv, env, cwd, given)
    options, go_args = request.build.options, request.build.go_args
    with image_progress(sys.stderr, wanted=not options.json) as progress:
        # Made inside: while the spinner runs, sys.stderr prints above it.
        text = ImageTextReporter(
            sys.stderr,
            quiet=options.quiet,
            echo_go=go_args.has("v") or go_args.has("x"),
            several=len(request.platforms) > 1,
        )
        outcome = run_image(request, text.observer(progress))
        text.written(outcome)
    if options.json and outcome.image is not None:
        write_json(image_to_json(outcome), sys.stdout)
    return outcome.exit_status
