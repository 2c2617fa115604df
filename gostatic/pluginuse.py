"""Main packages that import Go's `plugin` package, found before anything is built.

plugin.Open hands a shared object to the dynamic loader. A static binary has no dynamic
loader, so in one plugin.Open can never work: with cgo it fails at run time, and with
CGO_ENABLED=0 the package compiles to a stub that always fails. Either way the ELF check
passes, which is why gostatic refuses such a program unless a strategy is forced.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from gostatic.gocmd import run_go
from gostatic.goflags import GoBuildArgs

WHY = (
    'imports "plugin": a static binary has no dynamic loader and exports no symbols for a '
    "plugin to bind to, so plugin.Open can never load a plugin into it"
)
REFUSAL = f"{WHY}; refused (force a strategy with --strategy NAME to build it anyway)"


def forced_warning(package: str, strategy: str) -> str:
    return (
        f"{package} {WHY}. Built anyway because --strategy {strategy} was given: "
        "EVERY plugin.Open IN THIS BINARY WILL FAIL AT RUN TIME"
    )


# One line per named package: its import path, then every package it depends on.
_DEPS_TEMPLATE = "{{.ImportPath}}{{range .Deps}} {{.}}{{end}}"


def plugin_importers(args: GoBuildArgs, env: Mapping[str, str], cwd: Path | None) -> frozenset[str]:
    """Import paths of the named packages that depend on `plugin`, directly or not."""
    result = run_go(
        ["list", "-e", "-f", _DEPS_TEMPLATE, *args.list_flags(), "--", *args.packages],
        env=env,
        cwd=cwd,
        check=False,
    )
    if not result.ok:
        return frozenset()  # the package listing before it has already reported go's error
    found = set()
    for line in result.stdout.splitlines():
        words = line.split()
        if "plugin" in words[1:]:
            found.add(words[0])
    return frozenset(found)
