"""Developer sessions. `nox` runs the default ones (tests, lint, install); `nox -s slow` runs
the zig and network tests, which CI runs as well (.ci/run); the rest by name.

tests, slow, lint and docs install the same package and the same groups, so they share one
virtual environment, .nox/dev, which the `dev` session makes and each of them requires: one
copy of every dependency instead of one per session. Only `install` keeps a fresh one of
its own, since what it tests is a wheel installed into a clean environment, and `bench`,
which times start-up and so wants nothing installed beyond gostatic.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import nox

nox.options.sessions = ["tests", "lint", "install"]
nox.options.reuse_existing_virtualenvs = True

PYPROJECT = nox.project.load_toml("pyproject.toml")
ROOT = Path(__file__).parent
DEV = "dev"
# The tests that need a download beyond the test group (zig: ~100 s per target the first
# time) or the network: `nox -s slow` runs them, the default `nox` everything else.
SLOW_TESTS = "zig or network"


@nox.session(name=DEV, default=False)
def dev(session: nox.Session) -> None:
    """The shared environment: gostatic with the test, docs and lint groups."""
    session.install(".", *nox.project.dependency_groups(PYPROJECT, "test", "docs", "lint"))


def _dev_bin(session: nox.Session) -> Path:
    """The bin directory of the `dev` session's environment, which sits beside this
    session's own (unused) one."""
    return session.env_dir.with_name(DEV) / "bin"


def _in_dev(session: nox.Session, program: str, *args: str) -> None:
    """Run a program of the shared environment as an activated one would: its bin first on
    PATH, so that whatever the program starts by name comes from there too."""
    bin_dir = _dev_bin(session)
    env = {
        "VIRTUAL_ENV": str(bin_dir.parent),
        "PATH": os.pathsep.join((str(bin_dir), os.environ.get("PATH", ""))),
    }
    session.run(str(bin_dir / program), *args, env=env)


@nox.session(python=False, requires=[DEV], tags=["test"])
def tests(session: nox.Session) -> None:
    """The test suite, real Go builds included (needs go and gcc on PATH), on every core
    (pytest-xdist), the zig and network tests aside (`nox -s slow`).

    The docs group is installed too, so that the suite also builds the docs strictly.
    Arguments after `--` go to pytest and win over these (`nox -- -n 0 -k cache`).
    """
    _in_dev(session, "pytest", "-ra", "-n", "auto", "-m", f"not ({SLOW_TESTS})", *session.posargs)


@nox.session(python=False, requires=[DEV], tags=["test"])
def slow(session: nox.Session) -> None:
    """The zig tests (the ziglang package, installed here) and the network tests (real
    modules through the Go module proxy). Each test module stays on one worker, so that
    zig builds its musl once and go-sqlite3's C code is compiled once."""
    _in_dev(session, "python", "-m", "pip", "install", "--quiet",
            *nox.project.dependency_groups(PYPROJECT, "zig"))  # fmt: skip
    _in_dev(session, "pytest", "-ra", "-n", "auto", "--dist", "loadfile", "-m", SLOW_TESTS,
            *session.posargs)  # fmt: skip


@nox.session(python=False, requires=[DEV], tags=["lint"])
def lint(session: nox.Session) -> None:
    """ruff (lint and format) and mypy --strict over the package and this file."""
    _in_dev(session, "ruff", "check", ".")
    _in_dev(session, "ruff", "format", "--check", ".")
    _in_dev(session, "mypy", "--strict", "gostatic", "noxfile.py")


@nox.session(python=False, requires=[DEV], tags=["docs"])
def docs(session: nox.Session) -> None:
    """Build the documentation site into site/, failing on any warning."""
    _in_dev(session, "mkdocs", "build", "--strict", *session.posargs)


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
        "pytest", "-ra", "-n", "auto", "tests/test_install.py", *session.posargs,
        env={"GOSTATIC_TEST_INSTALLED": "1"},
    )  # fmt: skip
    # The source copy and the wheel are only needed during the run.
    shutil.rmtree(tmp, ignore_errors=True)


@nox.session(tags=["bench"])
def bench(session: nox.Session) -> None:
    """gostatic against plain go build, side by side (not a default session: it times)."""
    # A regular install, not an editable one: an editable finder adds its own start-up
    # cost to every run, which users of a wheel do not pay. pip 25.2 and later write an
    # entry script that does not import re (~6 ms on every run).
    session.install("pip>=25.2")
    session.install(".")
    session.run("python", "benchmarks/bench.py", *session.posargs)
