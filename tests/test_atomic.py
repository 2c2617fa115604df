"""gostatic.atomic: readers see the old file or the new one, never a part, never a leftover."""

from __future__ import annotations

import errno
import os
import stat
import subprocess
from pathlib import Path

import pytest

from gostatic import atomic
from gostatic.errors import GostaticError
from tests.support import imports_of

# An earlier build's output: an object file, which go build (and so gostatic) overwrites.
OLD = b"\x7fELF an older binary"


def leftovers(directory: Path) -> list[str]:
    return [p.name for p in directory.iterdir() if p.name.endswith(".gostatic-tmp")]


def test_write_atomic_makes_the_directory_and_a_private_file(tmp_path: Path) -> None:
    dest = tmp_path / "a" / "b" / "file"
    atomic.write_atomic(dest, b"one")
    atomic.write_atomic(str(dest), b"two")
    assert dest.read_bytes() == b"two"
    assert stat.S_IMODE(dest.stat().st_mode) == 0o600
    atomic.write_atomic(dest, b"three", mode=0o644)
    assert stat.S_IMODE(dest.stat().st_mode) == 0o644
    assert leftovers(dest.parent) == []


@pytest.fixture
def binary(tmp_path: Path) -> Path:
    src = tmp_path / "stage-bin"
    # More than one copy chunk, with every byte value.
    src.write_bytes(bytes(range(256)) * 5000 + b"tail")
    src.chmod(0o751)
    return src


def test_install_copies_bytes_and_mode_over_the_old_file(binary: Path, tmp_path: Path) -> None:
    dest = tmp_path / "out" / "app"
    dest.parent.mkdir()
    dest.write_bytes(OLD)
    atomic.install(binary, dest)
    assert dest.read_bytes() == binary.read_bytes()
    assert stat.S_IMODE(dest.stat().st_mode) == 0o751
    assert leftovers(dest.parent) == []


def test_install_without_sendfile_copies_through_memory(
    binary: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_sendfile(*args: object) -> int:
        raise OSError(errno.EINVAL, "Invalid argument")

    monkeypatch.setattr(os, "sendfile", no_sendfile)
    dest = tmp_path / "app"
    atomic.install(binary, dest)
    assert dest.read_bytes() == binary.read_bytes()


def test_install_replaces_a_symlink_instead_of_writing_through_it(
    binary: Path, tmp_path: Path
) -> None:
    victim = tmp_path / "victim"
    victim.write_bytes(OLD)
    link = tmp_path / "app"
    link.symlink_to(victim)
    atomic.install(binary, link)
    assert not link.is_symlink() and link.read_bytes() == binary.read_bytes()
    assert victim.read_bytes() == OLD


def test_install_refuses_what_is_not_a_regular_file(binary: Path) -> None:
    with pytest.raises(GostaticError, match="not a regular file"):
        atomic.install(binary, os.devnull)
    assert Path(os.devnull).is_char_device()


def test_an_interrupted_install_leaves_the_old_file_and_no_temporary(
    binary: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    dest = tmp_path / "app"
    dest.write_bytes(OLD)

    def interrupted(src: object, dst: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(os, "replace", interrupted)
    with pytest.raises(KeyboardInterrupt):
        atomic.install(binary, dest)
    monkeypatch.undo()
    assert dest.read_bytes() == OLD
    assert leftovers(tmp_path) == []


def test_a_copy_beside_is_installed_only_when_put_in_place(binary: Path, tmp_path: Path) -> None:
    dest = tmp_path / "out" / "app"
    dest.parent.mkdir()
    dest.write_bytes(OLD)
    copy = Path(atomic.copy_beside(binary, dest))
    assert copy.parent == dest.parent and copy.read_bytes() == binary.read_bytes()
    assert stat.S_IMODE(copy.stat().st_mode) == 0o751
    assert dest.read_bytes() == OLD
    atomic.discard(str(copy))
    assert dest.read_bytes() == OLD and leftovers(dest.parent) == []

    copy = Path(atomic.copy_beside(binary, dest))
    atomic.put_in_place(str(copy), dest)
    assert dest.read_bytes() == binary.read_bytes() and leftovers(dest.parent) == []


def test_a_copy_is_not_put_over_what_became_a_device(binary: Path, tmp_path: Path) -> None:
    # The output is looked at again at the rename: it may have changed since the copy.
    dest = tmp_path / "app"
    copy = atomic.copy_beside(binary, dest)
    with pytest.raises(GostaticError, match="not a regular file"):
        atomic.put_in_place(copy, os.devnull)
    assert Path(os.devnull).is_char_device() and leftovers(tmp_path) == []


def test_importing_atomic_leaves_tempfile_and_shutil_out() -> None:
    _, added = imports_of("import gostatic.atomic")
    assert "gostatic.atomic" in added
    assert not added & {"tempfile", "shutil", "pathlib", "random", "hashlib", "contextlib"}


def test_write_atomic_without_replace_never_overwrites(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    dest = tmp_path / "file"
    assert atomic.write_atomic(dest, b"first", mode=0o640, replace=False)
    assert not atomic.write_atomic(dest, b"second", replace=False)
    assert dest.read_bytes() == b"first"
    assert stat.S_IMODE(dest.stat().st_mode) == 0o640

    def no_links(src: object, dst: object) -> None:
        raise PermissionError(errno.EPERM, "Operation not permitted")

    monkeypatch.setattr(os, "link", no_links)
    assert not atomic.write_atomic(dest, b"third", replace=False)
    assert atomic.write_atomic(tmp_path / "other", b"new", mode=0o640, replace=False)
    assert (tmp_path / "other").read_bytes() == b"new"
    assert stat.S_IMODE((tmp_path / "other").stat().st_mode) == 0o640
    assert dest.read_bytes() == b"first"
    assert leftovers(tmp_path) == []


@pytest.mark.parametrize(
    "content", [b"package main\n", b"#!/bin/sh\nexit 0\n", b"MZ but not a PE header"]
)
def test_a_file_that_is_not_an_object_file_is_never_overwritten(
    binary: Path, tmp_path: Path, content: bytes
) -> None:
    # As go build: "build output ... already exists and is not an object file".
    source = tmp_path / "main.go"
    source.write_bytes(content)
    with pytest.raises(
        GostaticError, match=r'build output "main.go" already exists and is not an object file'
    ):
        atomic.copy_beside(binary, source, "main.go")
    assert source.read_bytes() == content and leftovers(tmp_path) == []
    link = tmp_path / "app"
    link.symlink_to(source)  # go follows a symlink to look at the file
    with pytest.raises(GostaticError, match="not an object file"):
        atomic.install(binary, link)
    assert link.is_symlink() and source.read_bytes() == content


@pytest.mark.parametrize("content", [b"", b"!<arch>\nold archive", b"\xcf\xfa\xed\xfe mach-o"])
def test_an_empty_file_or_an_object_file_is_overwritten(
    binary: Path, tmp_path: Path, content: bytes
) -> None:
    dest = tmp_path / "app"
    dest.write_bytes(content)
    atomic.install(binary, dest)
    assert dest.read_bytes() == binary.read_bytes()


def dead_pid() -> int:
    """The id of a process that has ended (and was reaped)."""
    proc = subprocess.Popen(["true"])
    proc.wait()
    return proc.pid


def test_a_temporary_file_left_by_a_dead_writer_is_removed_by_the_next(
    binary: Path, tmp_path: Path
) -> None:
    dest = tmp_path / "app"
    stale = tmp_path / f".app.{dead_pid()}.0123456789ab.gostatic-tmp"
    live = tmp_path / f".app.{os.getppid()}.0123456789ab.gostatic-tmp"
    other = tmp_path / ".app.notapid.0123456789ab.gostatic-tmp"
    unrelated = tmp_path / f".apple.{dead_pid()}.0123456789ab.gostatic-tmp"
    for path in (stale, live, other, unrelated):
        path.write_bytes(b"partial")
    atomic.install(binary, dest)
    assert dest.read_bytes() == binary.read_bytes()
    assert not stale.exists()
    assert live.exists() and other.exists() and unrelated.exists()


def test_temporary_files_name_their_writer(binary: Path, tmp_path: Path) -> None:
    copy = Path(atomic.copy_beside(binary, tmp_path / "app"))
    assert copy.name.startswith(f".app.{os.getpid()}.") and copy.name.endswith(".gostatic-tmp")
    atomic.discard(str(copy))
