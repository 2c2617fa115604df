"""`gostatic image` in typer, for help and completion; the command runs without typer
(gostatic.image.entry), and both take the options of one table (gostatic.image.request)."""

from __future__ import annotations

import os

import typer

from gostatic.cli.optiontable import given_values, with_own_options
from gostatic.cli.root import app, examples
from gostatic.image.request import IMAGE_OPTIONS

_HELP = """Build one main package as `gostatic build` does; write it as an image FROM scratch.

The build is build's own (same strategies, cache, checks and --strict), once per platform.
The image holds the binary as /app, its entrypoint, and only the files its run-time needs
call for (CA bundle, zone files, /etc/passwd and /etc/group, /etc/hosts and
/etc/nsswitch.conf, /tmp); it runs as 65532:65532 unless --user says otherwise. The same
sources and options give the same digest.

Exit 0 image written; 1 go build failed, a --smoke run failed, or the image could not
be written; 2 usage (unknown transport, not one main package, a non-Linux platform, -o);
3 no strategy gave a static binary; 130 interrupted. Nothing is written at DEST unless
exit 0.
"""


@app.command(
    context_settings={
        "allow_extra_args": True,
        "ignore_unknown_options": True,
        "help_option_names": ["-h", "--help"],  # here -h asks for this help, not go's
    },
    options_metavar="[OPTIONS] [GO BUILD FLAGS] PACKAGE --output DEST",
    help=_HELP,
    epilog=examples(
        "gostatic image --output oci-archive:server.tar:1.0 ./cmd/server",
        "gostatic image --output rootfs:/rootfs --strict ./cmd/server",
        "gostatic image --platform linux/amd64,linux/arm64 --output oci:layout:1.0 .",
        "gostatic image --add config.yml:/etc/app/ --output docker-archive:app.tar:app:1 .",
        "gostatic image --smoke --output oci:layout:1.0 . -- --version",
    ),
)
@with_own_options(IMAGE_OPTIONS)
def image(ctx: typer.Context, **own: object) -> None:
    # The help is _HELP, above. typer comes here when a help flag it does not know (-h,
    # -help) stands among go's flags, or from a test's CliRunner.
    from gostatic.image.entry import run_image_cli

    status = run_image_cli(ctx.args, os.environ, os.getcwd(), given_values(own))
    raise typer.Exit(status)
