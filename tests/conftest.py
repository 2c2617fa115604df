"""Fixtures shared by the test modules."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.support import logging_go


@pytest.fixture
def gostatic_env(tmp_path: Path) -> dict[str, str]:
    """The environment for a gostatic process: its own cache, nothing else changed."""
    env = dict(os.environ)
    env["GOSTATIC_CACHE_DIR"] = str(tmp_path / "gostatic-cache")
    env.pop("NO_COLOR", None)
    return env


@pytest.fixture
def counted(tmp_path: Path, gostatic_env: dict[str, str]) -> tuple[dict[str, str], Path]:
    """That environment with a go that logs its calls (tests.support.logging_go), and the
    log: how a test counts go's work instead of timing it."""
    wrapper, log = logging_go(tmp_path)
    return {**gostatic_env, "GOSTATIC_GO": str(wrapper)}, log
