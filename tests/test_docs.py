"""The documentation site builds with `mkdocs build --strict`, and its recipes are the
shipped templates themselves, included at build time rather than pasted."""

from __future__ import annotations

import html
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support import REPO_ROOT

pytest.importorskip("mkdocs", reason="mkdocs is in the docs dependency group")
pytest.importorskip("pymdownx", reason="pymdown-extensions is in the docs dependency group")


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("site")
    built = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(out)],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert built.returncode == 0, built.stdout + built.stderr
    return out


def _page_text(site: Path, page: str) -> str:
    """A built page as the reader sees it: tags (syntax highlighting included) removed."""
    return html.unescape(re.sub(r"<[^>]+>", "", (site / page / "index.html").read_text()))


@pytest.mark.parametrize(
    ("page", "included"),
    [
        ("recipes", "templates/gostatic.mk"),
        ("recipes", "templates/Dockerfile.scratch"),
        ("recipes", "templates/github-actions.yml"),
        ("recipes", "examples/make/Makefile"),
        ("matrix", "examples/seed/fmt/main.go"),
        ("matrix", "examples/seed/log-syslog/main.go"),
        ("matrix", "examples/seed/cgo/main.go"),
    ],
)
def test_docs_show_the_shipped_files_in_full(site: Path, page: str, included: str) -> None:
    text = _page_text(site, page)
    source = (REPO_ROOT / included).read_text()
    assert source.strip() in text, f"{page} does not show {included} as it is"


def test_every_page_is_built(site: Path) -> None:
    pages = {p.stem for p in (REPO_ROOT / "docs").glob("*.md")} - {"index"}
    assert pages, "no pages found"
    assert (site / "index.html").is_file()
    for page in pages:
        assert (site / page / "index.html").is_file(), page
