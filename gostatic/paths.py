"""Where gostatic keeps its own files."""

from __future__ import annotations

import os
import sys

from gostatic.records import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Mapping

CACHE_DIR_ENV = "GOSTATIC_CACHE_DIR"
STAGE_DIR = "stage"  # per-output build stages, beside the strategy cache
PLANS_DIR = "plans"  # what the fast path remembers of each settled command line
CACHE_FILE = "strategies.toml"  # the strategy cache (gostatic.cache)


def cache_dir(env: Mapping[str, str], explicit: str | None = None) -> str:
    """``explicit`` (the ``--cache-dir`` flag), else ``GOSTATIC_CACHE_DIR``, else platformdirs'
    user cache path (XDG_CACHE_HOME honoured).

    On Linux the XDG rule is applied here directly, so that an up-to-date build, on
    every Makefile target, does not import platformdirs (its cost: gostatic.records).
    tests/test_paths.py holds this to platformdirs' answer.
    """
    if explicit is not None:
        return explicit
    from_env = env.get(CACHE_DIR_ENV)
    if from_env:
        return from_env
    if sys.platform == "linux":
        # The XDG spec (and platformdirs) ignore a relative XDG_CACHE_HOME.
        xdg = env.get("XDG_CACHE_HOME", "")
        base = xdg if os.path.isabs(xdg) else os.path.expanduser("~/.cache")
        return os.path.join(base, "gostatic")
    from platformdirs import user_cache_dir

    return user_cache_dir("gostatic", appauthor=False)


def build_cache_dir(env: Mapping[str, str], cwd: str, cache_flag: str | None) -> str:
    """The cache directory of a build run in ``cwd``: its ``--cache-dir`` (relative to
    ``cwd``), else as :func:`cache_dir` finds it."""
    return cache_dir(env, os.path.join(cwd, cache_flag) if cache_flag else None)
