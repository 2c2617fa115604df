"""`gostatic verify`: a trustworthy ldd/file for Go binaries."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from gostatic.cli.root import app, examples


@app.command(
    epilog=examples(
        "gostatic verify bin/server",
        "gostatic verify --strict bin/*",
        "gostatic verify --json bin/server > verify.json",
    ),
)
def verify(
    files: Annotated[
        list[str], typer.Argument(metavar="FILE...", help="ELF files to check.", show_default=False)
    ],
    json_out: Annotated[bool, typer.Option("--json", help="Print one JSON document.")] = False,
    strict: Annotated[
        bool,
        typer.Option(
            "--strict", help="A hazard (NSS, dlopen, plugin, cgo stub) counts as failure."
        ),
    ] = False,
) -> None:
    """Tell whether each file is static, static-pie or dynamic, by reading its ELF headers,
    and what it needs at run time (CA certificates, /etc/hosts, /tmp, users, zone data).

    Unlike ldd it never runs the file's loader, and unlike file its wording does not change
    between versions. Exit 0 all static; 1 some dynamic (or, with --strict, a hazard);
    2 some file missing, unreadable, not ELF or not a program (a shared library, an object),
    or usage; 130 interrupted; 141 the reader of stdout went away.
    """
    from gostatic.exits import JsonDocument, guarded

    json = JsonDocument("verify") if json_out else None

    def body() -> int:
        from gostatic.report.verify import verify_to_json, write_verify_text
        from gostatic.verify import verify as run_verify

        report = run_verify(files, strict=strict)
        if json is not None:
            json.write(verify_to_json(report))
            for entry in report.entries:
                if entry.error is not None:
                    sys.stderr.write(f"gostatic: {entry.error}\n")
        else:
            write_verify_text(report, sys.stdout, sys.stderr)
        return report.exit_status

    raise typer.Exit(guarded(body, json))
