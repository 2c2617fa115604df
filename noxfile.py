"""Developer sessions. `nox` runs the default ones (tests, lint); the rest by name."""

from __future__ import annotations

import nox

nox.options.sessions = ["tests", "lint"]
nox.options.reuse_existing_virtualenvs = True

PYPROJECT = nox.project.load_toml("pyproject.toml")


@nox.session(tags=["test"])
def tests(session: nox.Session) -> None:
    """The test suite, real Go builds included (needs go and gcc on PATH)."""
    session.install(".", *nox.project.dependency_groups(PYPROJECT, "test"))
    session.run("pytest", "-ra", *session.posargs)


@nox.session(tags=["lint"])
def lint(session: nox.Session) -> None:
    """ruff (lint and format) and mypy --strict over the package and this file."""
    session.install(".", *nox.project.dependency_groups(PYPROJECT, "lint"))
    session.run("ruff", "check", ".")
    session.run("ruff", "format", "--check", ".")
    session.run("mypy", "--strict", "gostatic", "noxfile.py")
