"""`gostatic image` without typer, as `gostatic build` runs (gostatic.builder.entry): its
command line is go's flags among gostatic's options, up to ``--`` and the program's
arguments (with --smoke), which click would not keep as given. gostatic.cli.image is the
same command in typer, for help and completion.
"""

from __future__ import annotations

import sys

from gostatic.records import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    from gostatic.exits import JsonDocument
    from gostatic.image.build import ImageOutcome


def run_image_cli(
    argv: Sequence[str],
    env: Mapping[str, str],
    cwd: str,
    given: Mapping[str, object] | None = None,
) -> int:
    """Run `gostatic image ARGV` and return its exit status. ``given``: the image's
    options, when typer parsed them already. With --json, one document on stdout whatever
    happens, as `gostatic build` prints (gostatic.builder.entry)."""
    from gostatic.builder.options import wants_json
    from gostatic.exits import JsonDocument, guarded

    json = JsonDocument("image") if wants_json(argv, given) else None
    return guarded(lambda: _run(argv, env, cwd, given, json), json)


def _run(
    argv: Sequence[str],
    env: Mapping[str, str],
    cwd: str,
    given: Mapping[str, object] | None,
    json: JsonDocument | None,
) -> int:
    from gostatic.image.build import run_image
    from gostatic.image.request import parse_image_command
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
    if json is not None:
        if outcome.image is not None:
            json.write(image_to_json(outcome))
        else:
            json.write_error(_failure(outcome), outcome.exit_status)
    return outcome.exit_status


def _failure(outcome: ImageOutcome) -> str:
    """Why no image was written: each failed build's words, as `gostatic build` says them."""
    from gostatic.builder.entry import failure_message
    from gostatic.builder.results import BuildOutcome

    said = []
    for i, built in enumerate(outcome.builds):
        runs = outcome.smoke or ()
        run = runs[i] if i < len(runs) else None
        one = BuildOutcome(built.report, {built.result.package: run} if run else None)
        if one.exit_status != 0:
            said.append(f"{built.platform.label(built.result.package)}: {failure_message(one)}")
    return "; ".join([*said, "no image written"])
