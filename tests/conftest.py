"""Fixtures shared by the test modules."""

from __future__ import annotations

import os
from pathlib import Path

import pytest


@pytest.fixture
def gostatic_env(tmp_path: Path) -> dict[str, str]:
    """The environment for a gostatic process: its own cache, nothing else changed."""
    env = dict(os.environ)
    env["GOSTATIC_CACHE_DIR"] = str(tmp_path / "gostatic-cache")
    env.pop("NO_COLOR", None)
    return env
