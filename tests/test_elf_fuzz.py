"""inspect_elf on damaged copies of real binaries: it returns facts or raises ElfError, nothing
else, and a 100 MB file is classified and scanned without being read whole."""

from __future__ import annotations

import os
import shutil
import struct
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gostatic.elf.facts import ElfFacts, inspect_elf
from gostatic.elf.needs import NEEDS
from gostatic.errors import ElfError
from gostatic.incremental.recheck import still_static
from tests.support import GO, requires_go, write_module

requires_gcc = pytest.mark.skipif(shutil.which("gcc") is None, reason="gcc is not on PATH")

C_HELLO = '#include <stdio.h>\nint main(void) { puts("hi"); return 0; }\n'
C_GETPWNAM = (
    "#include <pwd.h>\n#include <stdio.h>\n"
    'int main(void) { printf("%p\\n", (void *)getpwnam("root")); return 0; }\n'
)
GO_HELLO = 'package main\n\nimport "fmt"\n\nfunc main() { fmt.Println("hi") }\n'


@dataclass(frozen=True)
class Base:
    data: bytes
    hot: tuple[int, ...]  # file offsets of the structures worth damaging
    scratch: Path  # where each damaged copy is written


def hot_offsets(data: bytes) -> tuple[int, ...]:
    """ELF header, program and section header tables, PT_DYNAMIC and the Go build info."""
    is64 = data[4] == 2
    end = "<" if data[5] == 1 else ">"
    if is64:
        phoff, shoff = struct.unpack_from(end + "QQ", data, 0x20)
        phentsize, phnum = struct.unpack_from(end + "HH", data, 0x36)
    else:
        phoff, shoff = struct.unpack_from(end + "II", data, 0x1C)
        phentsize, phnum = struct.unpack_from(end + "HH", data, 0x2A)
    hot = [0, phoff, shoff]
    for i in range(phnum):
        entry = phoff + i * phentsize
        if struct.unpack_from(end + "I", data, entry)[0] == 2:  # PT_DYNAMIC
            offset = struct.unpack_from(
                end + ("Q" if is64 else "I"), data, entry + (8 if is64 else 4)
            )
            hot.append(offset[0])
    magic = data.find(b"\xff Go buildinf:")
    if magic >= 0:
        hot.append(magic)
    return tuple(h for h in hot if 0 <= h < len(data))


def make_base(binary: Path, scratch: Path) -> Base:
    data = binary.read_bytes()
    assert len(data) < 2_500_000, f"{binary} is too big for a quick fuzz base"
    return Base(data, hot_offsets(data), scratch)


def gcc(tmp: Path, name: str, source: str, *flags: str) -> Path:
    src = tmp / f"{name}.c"
    src.write_text(source)
    out = tmp / name
    subprocess.run(["gcc", *flags, "-o", str(out), str(src)], check=True, capture_output=True)
    return out


@pytest.fixture(scope="session")
def c_bases(tmp_path_factory: pytest.TempPathFactory) -> list[Base]:
    if shutil.which("gcc") is None:
        pytest.skip("gcc is not on PATH")
    tmp = tmp_path_factory.mktemp("fuzz-c")
    dynamic = gcc(tmp, "dyn", C_HELLO, "-O2")
    static = gcc(tmp, "static", C_GETPWNAM, "-static", "-s", "-O2")
    return [make_base(dynamic, tmp / "case-dyn"), make_base(static, tmp / "case-static")]


@pytest.fixture(scope="session")
def go_base(tmp_path_factory: pytest.TempPathFactory) -> Base:
    if GO is None:
        pytest.skip("go is not on PATH")
    tmp = tmp_path_factory.mktemp("fuzz-go")
    src = write_module(tmp / "src", {"main.go": GO_HELLO})
    env = dict(os.environ, CGO_ENABLED="0", GOTOOLCHAIN="local", GOWORK="off")
    env["GOFLAGS"] = "-buildvcs=false"
    out = tmp / "hello"
    subprocess.run(
        [GO, "build", "-ldflags=-s -w", "-o", str(out), "."],
        cwd=src,
        env=env,
        check=True,
        capture_output=True,
    )
    return make_base(out, tmp / "case")


@st.composite
def damage(draw: st.DrawFn, base: Base) -> bytes:
    data = bytearray(base.data)
    size = len(data)
    offsets = st.one_of(
        st.integers(0, 127),
        st.integers(0, min(size, 8192) - 1),
        st.integers(0, size - 1),
        st.builds(
            lambda h, d: min(h + d, size - 1), st.sampled_from(base.hot), st.integers(0, 511)
        ),
    )
    # Single bytes flip flags and types; eight-byte runs plant absurd offsets and sizes.
    edits = st.tuples(offsets, st.binary(min_size=1, max_size=8))
    for offset, blob in draw(st.lists(edits, max_size=8)):
        data[offset : offset + len(blob)] = blob
        del data[size:]
    if draw(st.booleans()):
        data = data[: draw(st.integers(0, size))]
    return bytes(data)


def check_one(path: Path, data: bytes) -> None:
    path.write_bytes(data)
    # The fast path's re-check may only be stricter than the full reading.
    rechecked = still_static(str(path))
    try:
        facts = inspect_elf(path)
    except ElfError as exc:
        assert exc.message.startswith(f"{path}: ")
        assert "\n" not in exc.message
        assert not rechecked
        return
    assert not rechecked or (facts.is_static and not facts.hazards)
    assert isinstance(facts, ElfFacts)
    assert facts.kind in ("static", "static-pie", "dynamic")
    assert facts.elf_class in (32, 64)
    assert isinstance(facts.machine, str) and facts.machine
    assert facts.elf_type in ("EXEC", "DYN")
    assert all(isinstance(n, str) for n in facts.needed)
    assert facts.kind == "dynamic" or not facts.needed
    assert set(facts.needs) <= {need.name for need in NEEDS}
    assert list(facts.needs) == sorted(set(facts.needs))
    assert all(h.kind and h.detail and "\n" not in h.detail for h in facts.hazards)


FUZZ = settings(
    max_examples=250,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


@requires_gcc
@FUZZ
@given(data=st.data())
def test_damaged_c_binaries(c_bases: list[Base], data: st.DataObject) -> None:
    base = data.draw(st.sampled_from(c_bases))
    check_one(base.scratch, data.draw(damage(base)))


@pytest.mark.slow
@requires_go
@FUZZ
@given(data=st.data())
def test_damaged_go_binary(go_base: Base, data: st.DataObject) -> None:
    check_one(go_base.scratch, data.draw(damage(go_base)))


@requires_gcc
def test_hundred_megabytes(tmp_path: Path) -> None:
    binary = gcc(tmp_path, "nss", C_GETPWNAM, "-static", "-s")
    big = tmp_path / "big"
    shutil.copy(binary, big)
    os.truncate(big, 100 * 1024 * 1024)  # sparse: the zeros are never written
    start = time.perf_counter()
    facts = inspect_elf(big)
    elapsed = time.perf_counter() - start
    print(f"inspect_elf on 100 MB: {elapsed * 1000:.0f} ms")
    assert facts.kind == "static"
    assert [h.kind for h in facts.hazards] == ["nss"]


@requires_gcc
def test_signature_outside_loaded_segments_is_ignored(tmp_path: Path) -> None:
    # Bytes the loader never maps cannot change what the program does at run time.
    binary = gcc(tmp_path, "hello", C_HELLO, "-static", "-s")
    big = tmp_path / "big"
    shutil.copy(binary, big)
    os.truncate(big, 100 * 1024 * 1024 - 64)
    with big.open("ab") as fh:
        fh.write(b"\0libnss_%s.so\0".ljust(64, b"\0"))
    facts = inspect_elf(big)
    assert facts.kind == "static"
    assert facts.hazards == ()
