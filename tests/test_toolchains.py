"""Toolchain detection on this machine, held to what the tools themselves answer."""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from gostatic.toolchains import Toolchains, host_goarch


def test_musl_gcc_is_found_where_which_finds_it() -> None:
    tools = Toolchains(os.environ, "gcc")
    assert tools.musl_gcc == shutil.which("musl-gcc")
    assert Toolchains({"PATH": "/nonexistent"}, "gcc").musl_gcc is None


def test_zig_is_this_pythons_ziglang_when_importable() -> None:
    tools = Toolchains({"PATH": "/nonexistent"}, "gcc")
    if importlib.util.find_spec("ziglang") is None:
        assert tools.zig is None
    else:
        assert tools.zig == (sys.executable, "-m", "ziglang")


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
