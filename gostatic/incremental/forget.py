"""Forgetting what the incremental build remembered: the stages and the plans under a cache
directory, or one package's (`gostatic cache clear`; the strategy cache's own file is
gostatic.cache's).

Plans are read as untrusted files: one that is not a readable plan is left alone.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from gostatic.incremental.plan import planned_packages
from gostatic.incremental.stageindex import forget_package
from gostatic.paths import PLANS_DIR, STAGE_DIR


def forget_plans_of(cache_root: Path, package: str) -> int:
    """Remove the plans that build ``package``; the number removed. OSError propagates."""
    removed = 0
    for path in sorted((cache_root / PLANS_DIR).glob("*")):
        if package in planned_packages(str(path)):
            path.unlink(missing_ok=True)
            removed += 1
    return removed


def forget_stage_of(cache_root: Path, package: str) -> int:
    """Remove ``package``'s binaries and stamps from the stage; the number of stage
    directories that held some (gostatic.incremental.stageindex). OSError propagates."""
    return forget_package(str(cache_root / STAGE_DIR), package)


def forget_everything(cache_root: Path) -> list[Path]:
    """Remove the stage and the plans; what was removed. OSError propagates."""
    removed: list[Path] = []
    for name in (STAGE_DIR, PLANS_DIR):
        tree = cache_root / name
        if tree.is_symlink():
            tree.unlink()  # rmtree refuses a link; what it points at is not ours
            removed.append(tree)
        elif tree.is_dir():
            shutil.rmtree(tree)
            removed.append(tree)
    return removed
