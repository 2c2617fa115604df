"""Toolchain detection on this machine, held to what the tools themselves answer."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from gostatic.toolchains import Toolchains, host_goarch


def test_musl_gcc_is_looked_for_on_the_given_path(tmp_path: Path) -> None:
    musl_gcc = _executable(tmp_path / "bin" / "musl-gcc")
    assert Toolchains({"PATH": f"{tmp_path / 'empty'}:{musl_gcc.parent}"}, "gcc").musl_gcc == str(
        musl_gcc
    )
    assert Toolchains({"PATH": str(tmp_path / "empty")}, "gcc").musl_gcc is None
    # Not executable: not a compiler go could run.
    musl_gcc.chmod(0o644)
    assert Toolchains({"PATH": str(musl_gcc.parent)}, "gcc").musl_gcc is None


def _fake_ziglang(site: Path, with_zig: bool) -> Path:
    package = site / "ziglang"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text("")
    if with_zig:
        _executable(package / "zig")
    return package


def _executable(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("#!/bin/sh\nexit 0\n")
    path.chmod(0o755)
    return path


def test_zig_is_the_executable_inside_the_installed_ziglang(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    package = _fake_ziglang(tmp_path / "site", with_zig=True)
    monkeypatch.setattr(sys, "path", [str(tmp_path / "site")])
    assert Toolchains({"PATH": "/nonexistent"}, "gcc").zig == (str(package / "zig"),)


def test_zig_without_its_executable_runs_the_package_in_isolated_mode(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _fake_ziglang(tmp_path / "site", with_zig=False)
    monkeypatch.setattr(sys, "path", [str(tmp_path / "site")])
    assert Toolchains({"PATH": "/nonexistent"}, "gcc").zig == (
        sys.executable,
        "-I",
        "-m",
        "ziglang",
    )


def test_zig_falls_back_to_path_then_to_none(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sys, "path", [str(tmp_path / "empty-site")])
    zig = _executable(tmp_path / "bin" / "zig")
    assert Toolchains({"PATH": str(zig.parent)}, "gcc").zig == (str(zig),)
    assert Toolchains({"PATH": str(tmp_path / "empty-bin")}, "gcc").zig is None


def test_a_ziglang_in_the_current_directory_is_not_the_installed_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # `python -m gostatic` puts the project directory first on sys.path.
    _fake_ziglang(tmp_path / "project", with_zig=True)
    monkeypatch.chdir(tmp_path / "project")
    monkeypatch.setattr(sys, "path", ["", str(tmp_path / "project")])
    assert Toolchains({"PATH": "/nonexistent"}, "gcc").zig is None


@pytest.mark.skipif(shutil.which("gcc") is None, reason="gcc is not on PATH")
def test_glibc_static_agrees_with_the_file_gcc_names() -> None:
    answer = subprocess.run(
        ["gcc", "-print-file-name=libc.a"], capture_output=True, text=True, check=True
    ).stdout.strip()
    assert Toolchains(os.environ, "gcc").glibc_static == Path(answer).is_absolute()


def test_glibc_static_is_false_when_the_compiler_has_no_libc_a(tmp_path: Path) -> None:
    # A compiler that answers as gcc does when the file is missing: the bare name back.
    fake = tmp_path / "fake-cc"
    fake.write_text('#!/bin/sh\necho "${1#-print-file-name=}"\n')
    fake.chmod(0o755)
    assert Toolchains(os.environ, str(fake)).glibc_static is False
    # A compiler that cannot be run leaves the verdict to the build itself.
    assert Toolchains(os.environ, str(tmp_path / "missing-cc")).glibc_static is True


def test_host_goarch_matches_go() -> None:
    go = shutil.which("go")
    if go is None:
        pytest.skip("go is not on PATH")
    hostarch = subprocess.run(
        [go, "env", "GOHOSTARCH"], capture_output=True, text=True, check=True
    ).stdout.strip()
    assert host_goarch() == hostarch
