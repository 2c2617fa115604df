"""A new user's first minutes, against an installed wheel: `nox -s install` builds the wheel,
installs it into a fresh virtual environment and runs this module there. Elsewhere it is
skipped, since the rest of the suite runs gostatic from the source tree."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from gostatic import __version__
from tests.support import (
    REPO_ROOT,
    SEED_CGO,
    SEED_SYSLOG,
    assert_static_by_readelf,
    requires_go,
    write_module,
)

pytestmark = pytest.mark.skipif(
    not os.environ.get("GOSTATIC_TEST_INSTALLED"),
    reason="runs in `nox -s install`, against the installed wheel",
)


@pytest.fixture
def user_env(gostatic_env: dict[str, str]) -> dict[str, str]:
    """A user's environment: the installed `gostatic` on PATH, nothing pointing at the source."""
    env = dict(gostatic_env)
    env.pop("PYTHONPATH", None)
    return env


def _run(args: list[str], cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        args, cwd=cwd, env=env, capture_output=True, text=True, timeout=600, check=False
    )


def test_gostatic_command_runs_the_installed_wheel(
    tmp_path: Path, user_env: dict[str, str]
) -> None:
    command = shutil.which("gostatic", path=user_env.get("PATH"))
    assert command is not None, "no gostatic command on PATH after installing the wheel"
    assert Path(command).parent == Path(sys.executable).parent
    where = _run(
        [sys.executable, "-c", "import gostatic; print(gostatic.__file__)"], tmp_path, user_env
    )
    assert where.returncode == 0, where.stderr
    package_dir = Path(where.stdout.strip()).parent
    assert package_dir != REPO_ROOT / "gostatic", "imported the source tree"
    assert package_dir.parent.name == "site-packages"


@pytest.mark.slow
@requires_go
def test_init_make_and_build_in_a_new_module(tmp_path: Path, user_env: dict[str, str]) -> None:
    module = write_module(tmp_path / "m", {"main.go": SEED_SYSLOG, "cmd/cgo/main.go": SEED_CGO})

    init = _run(["gostatic", "init"], module, user_env)
    assert init.returncode == 0, init.stderr
    template = (REPO_ROOT / "templates/gostatic.mk").read_bytes()
    assert (module / "gostatic.mk").read_bytes() == template.replace(
        b"{{version}}", __version__.encode()
    )

    if shutil.which("make"):
        shutil.copy(REPO_ROOT / "examples" / "make" / "Makefile", module)
        made = _run(["make"], module, user_env)
        assert made.returncode == 0, made.stdout + made.stderr
        assert_static_by_readelf(module / "app")

    built = _run(["gostatic", "build", "-o", "bin/", "./..."], module, user_env)
    assert built.returncode == 0, built.stderr
    for binary in ("m", "cgo"):
        assert_static_by_readelf(module / "bin" / binary)


@pytest.mark.slow
@requires_go
def test_the_readme_first_command_builds_the_seed_programs_static(
    tmp_path: Path, user_env: dict[str, str]
) -> None:
    """README: `pip install . && gostatic build -C examples/seed -o bin/ ./...`."""
    seed = tmp_path / "seed"
    shutil.copytree(REPO_ROOT / "examples" / "seed", seed)
    run = _run(["gostatic", "build", "-C", "seed", "-o", "bin/", "./..."], tmp_path, user_env)
    assert run.returncode == 0, run.stderr
    built = sorted(p.name for p in (seed / "bin").iterdir())
    assert built == ["cgo", "fmt", "log-syslog"]
    for name in built:
        assert_static_by_readelf(seed / "bin" / name)
