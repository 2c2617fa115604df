"""CI runs what the README tells a new user to run, after installing every system package
that a test names when it skips for want of one."""

from __future__ import annotations

import re
import shutil
import subprocess

import pytest

from tests.support import REPO_ROOT

CI_RUN = REPO_ROOT / ".ci" / "run"


def _readme_test_commands() -> list[str]:
    readme = (REPO_ROOT / "README.md").read_text()
    section = readme.split("## Run the tests\n", 1)[1].split("\n## ", 1)[0]
    block = re.search(r"```\n(.*?)```", section, re.DOTALL)
    assert block, "the README's test section has no command block"
    return block.group(1).splitlines()


def _apt_packages() -> set[str]:
    listed = re.search(r"packages=\((.*?)\)", CI_RUN.read_text(), re.DOTALL)
    assert listed, ".ci/run lists no packages"
    return set(listed.group(1).split())


def test_ci_runs_the_readmes_test_commands_exactly() -> None:
    commands = _readme_test_commands()
    assert commands == ["pip install nox && nox", "nox -s slow"]
    lines = [line.strip() for line in CI_RUN.read_text().splitlines()]
    for command in commands:
        assert command in lines, f".ci/run does not run {command!r}"


def test_ci_stops_at_the_first_failure() -> None:
    assert "set -euo pipefail" in CI_RUN.read_text().splitlines()


@pytest.mark.skipif(shutil.which("bash") is None, reason="bash is not on PATH")
def test_ci_script_is_valid_bash() -> None:
    checked = subprocess.run(
        ["bash", "-n", str(CI_RUN)], capture_output=True, text=True, check=False
    )
    assert checked.returncode == 0, checked.stderr


def test_ci_installs_every_package_a_test_skips_without() -> None:
    """A skip reason names a package to apt-get install: CI must install it, or the test
    it guards never runs anywhere."""
    named: set[str] = set()
    for source in sorted((REPO_ROOT / "tests").glob("*.py")):
        for line in re.findall(r"apt-get install ([a-z0-9.+ -]+)", source.read_text()):
            named.update(word for word in line.split() if not word.startswith("-"))
    assert {"musl-tools", "qemu-user-static"} <= named, "the skip reasons were not found"
    missing = named - _apt_packages()
    assert not missing, f".ci/run does not install {sorted(missing)}"


def test_ci_installs_the_image_and_cgo_tools() -> None:
    """What the OCI image tests and the cgo pkg-config tests need on a clean machine."""
    wanted = {"skopeo", "umoci", "podman", "runc", "docker-registry", "pkg-config", "libpng-dev"}
    assert wanted <= _apt_packages()
