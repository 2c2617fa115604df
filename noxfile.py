"""Developer sessions. `nox` runs the default ones (tests, lint, install); the rest by name."""

from __future__ import annotations

import shutil
from pathlib import Path

import nox

nox.options.sessions = ["tests", "lint", "install"]
nox.options.reuse_existing_virtualenvs = True

PYPROJECT = nox.project.load_toml("pyproject.toml")
ROOT = Path(__file__).parent


@nox.session(tags=["test"])
def tests(session: nox.Session) -> None:
    """The test suite, real Go builds included (needs go and gcc on PATH).

    The docs group is installed too, so that the suite also builds the docs strictly.
    """
    groups = nox.project.dependency_groups(PYPROJECT, "test", "docs")
    session.install(".", *groups)
    session.run("pytest", "-ra", *session.posargs)


@nox.session(tags=["lint"])
def lint(session: nox.Session) -> None:
    """ruff (lint and format) and mypy --strict over the package and this file."""
    session.install(".", *nox.project.dependency_groups(PYPROJECT, "lint"))
    session.run("ruff", "check", ".")
    session.run("ruff", "format", "--check", ".")
    session.run("mypy", "--strict", "gostatic", "noxfile.py")


@nox.session(tags=["docs"])
def docs(session: nox.Session) -> None:
    """Build the documentation site into site/, failing on any warning."""
    session.install(*nox.project.dependency_groups(PYPROJECT, "docs"))
    session.run("mkdocs", "build", "--strict", *session.posargs)


@nox.session(tags=["test"], reuse_venv=False)
def install(session: nox.Session) -> None:
    """What a new user does: the built wheel (not the source tree, not editable) in a
    fresh virtual environment, then `gostatic init`, make and `gostatic build` in a new
    Go module, each binary checked with readelf (tests/test_install.py)."""
    tmp = Path(session.create_tmp())
    source, dist = tmp / "source", tmp / "dist"
    for old in (source, dist):
        shutil.rmtree(old, ignore_errors=True)
    # Built from a copy: a build in the checkout leaves build/ behind, whose stale files
    # could end up in a later wheel.
    shutil.copytree(
        ROOT,
        source,
        symlinks=True,
        ignore=shutil.ignore_patterns(
            ".git", ".nox", ".venv", "build", "dist", "site", "*.egg-info", "__pycache__"
        ),
    )
    session.run("python", "-m", "pip", "wheel", "--no-deps", str(source), "-w", str(dist))
    [wheel] = dist.glob("gostatic-*.whl")
    session.install(str(wheel), *nox.project.dependency_groups(PYPROJECT, "test"))
    session.run(
        "pytest", "-ra", "tests/test_install.py", *session.posargs,
        env={"GOSTATIC_TEST_INSTALLED": "1"},
    )  # fmt: skip


@nox.session(tags=["bench"])
def bench(session: nox.Session) -> None:
    """gostatic against plain go build, side by side (not a default session: it times)."""
    # A regular install, not an editable one: an editable finder adds its own start-up
    # cost to every run, which users of a wheel do not pay. pip 25.2 and later write an
    # entry script that does not import re (~6 ms on every run).
    session.install("pip>=25.2")
    session.install(".")
    session.run("python", "benchmarks/bench.py", *session.posargs)
