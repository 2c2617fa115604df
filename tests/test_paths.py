"""paths.cache_dir applies the XDG rule itself on Linux (for start-up speed); hold it to
platformdirs' own answer so the two never drift apart."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from platformdirs import user_cache_path

from gostatic.paths import cache_dir


@pytest.mark.skipif(sys.platform != "linux", reason="the shortcut is Linux-only")
@pytest.mark.parametrize("xdg", [None, "", "   ", "/srv/cache", "relative/cache"])
def test_linux_cache_dir_matches_platformdirs(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, xdg: str | None
) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    if xdg is None:
        monkeypatch.delenv("XDG_CACHE_HOME", raising=False)
    else:
        monkeypatch.setenv("XDG_CACHE_HOME", xdg)
    import os

    assert Path(cache_dir(dict(os.environ))) == user_cache_path("gostatic", appauthor=False)


def test_explicit_setting_wins() -> None:
    assert cache_dir({"GOSTATIC_CACHE_DIR": "/x/y", "XDG_CACHE_HOME": "/z"}) == "/x/y"
