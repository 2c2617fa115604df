"""gostatic.incremental.contentid: a file is recognised as the Go binary of a build ID by
go's own content ID, on binaries go links here (internal and external linker), and any
change to one byte, its length or its kind is caught. The oracle is `go tool buildid`,
which prints the build ID go itself wrote."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from gostatic.incremental.contentid import is_binary_of
from tests.support import GO, SEED_CGO, SEED_FMT, requires_go, write_module

pytestmark = requires_go


def built(tmp_path: Path, source: str, *flags: str, env: dict[str, str] | None = None) -> Path:
    assert GO is not None
    module = write_module(tmp_path / "m", {"main.go": source})
    out = tmp_path / "app"
    subprocess.run(
        [GO, "build", *flags, "-o", str(out), "."],
        cwd=module,
        env={**os.environ, **(env or {})},
        check=True,
        capture_output=True,
    )
    return out


def buildid(binary: Path) -> str:
    assert GO is not None
    done = subprocess.run(
        [GO, "tool", "buildid", str(binary)], capture_output=True, text=True, check=True
    )
    return done.stdout.strip()


@pytest.mark.parametrize(
    ("source", "flags", "env"),
    [
        (SEED_FMT, (), {}),
        (SEED_FMT, ("-trimpath", "-ldflags=-s -w"), {"CGO_ENABLED": "0"}),
        (SEED_CGO, ("-ldflags=-linkmode=external",), {"CGO_ENABLED": "1"}),
    ],
    ids=["internal", "stripped", "external-linker"],
)
def test_a_binary_go_linked_is_its_build_ids(
    tmp_path: Path, source: str, flags: tuple[str, ...], env: dict[str, str]
) -> None:
    if env.get("CGO_ENABLED") == "1" and shutil.which("gcc") is None:
        pytest.skip("gcc is not on PATH")
    binary = built(tmp_path, source, *flags, env=env)
    assert is_binary_of(str(binary), buildid(binary))


def test_one_byte_changed_anywhere_and_it_is_not(tmp_path: Path) -> None:
    binary = built(tmp_path, SEED_FMT)
    build_id = buildid(binary)
    good = binary.read_bytes()
    for at in (40 * 1024, len(good) // 2, len(good) - 1):  # all past the build ID's note
        damaged = bytearray(good)
        damaged[at] ^= 0x01
        binary.write_bytes(bytes(damaged))
        assert not is_binary_of(str(binary), build_id), at
    binary.write_bytes(good + b"\0")  # one byte appended
    assert not is_binary_of(str(binary), build_id)
    binary.write_bytes(good)
    assert is_binary_of(str(binary), build_id)


def test_another_build_id_or_a_file_that_is_no_binary_is_not(tmp_path: Path) -> None:
    binary = built(tmp_path, SEED_FMT)
    build_id = buildid(binary)
    action, _, content = build_id.rpartition("/")
    for wrong in ("", content, f"{action}/{'A' * 20}", f"{action}/{content}\u00e9", "x/y"):
        assert not is_binary_of(str(binary), wrong), wrong
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    text = tmp_path / "text"
    text.write_text("not an ELF file\n")
    for path in (fifo, text, tmp_path / "missing", tmp_path):
        assert not is_binary_of(str(path), build_id)
