"""gostatic.incremental.install on real Go binaries: what reaches the output is the bytes
that were read and checked, whatever happens to the stage file after that one reading.

A hand rewrites the stage binary right after it was read, keeping its Go build ID: one of
its program headers becomes an interpreter request, which every check refuses. Oracles:
readelf and a run in an empty root for the installed file, and the bytes themselves.
"""

from __future__ import annotations

import os
import struct
import subprocess
from pathlib import Path

import pytest

from gostatic.incremental import image as image_module
from gostatic.incremental import install
from gostatic.incremental.image import Image, read_image
from gostatic.incremental.install import NotProved, settle
from gostatic.incremental.recheck import still_static, still_static_in
from gostatic.incremental.stage import Stage, Stamp, build_id_in, file_id, go_build_id
from tests.support import (
    GO,
    SEED_FMT,
    assert_static_by_readelf,
    requires_go,
    run_in_empty_root,
    write_module,
)

pytestmark = [pytest.mark.slow, requires_go]

_PT_INTERP, _PT_GNU_STACK = 3, 0x6474E551

# Go's plugin package built with cgo off: a stub, and a hazard signature the cheap
# re-check refuses, so that only the full reading (pyelftools) can settle the binary.
PLUGIN_STUB = """package main

import (
	"fmt"
	"plugin"
)

func main() {
	_, err := plugin.Open("none.so")
	fmt.Println("Hello", err)
}
"""


def go_build(tmp: Path, source: str) -> bytes:
    """A static Go program (cgo off), as bytes."""
    assert GO is not None
    module = write_module(tmp, {"main.go": source})
    env = {**os.environ, "CGO_ENABLED": "0"}
    subprocess.run(
        [GO, "build", "-o", "prog", "."], cwd=module, env=env, check=True, capture_output=True
    )
    return (module / "prog").read_bytes()


@pytest.fixture(scope="module")
def hello(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    return go_build(tmp_path_factory.mktemp("hello"), SEED_FMT)


@pytest.fixture(scope="module")
def plugin_stub(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    return go_build(tmp_path_factory.mktemp("plugin"), PLUGIN_STUB)


def staged(tmp_path: Path, binary: bytes) -> tuple[Stage, str]:
    """A stage holding ``binary`` as package "app"'s plain build, and its path."""
    stage = Stage(tmp_path / "stage", "key", "app")
    stage_bin = Path(stage.binary("plain"))
    stage_bin.parent.mkdir(parents=True)
    stage_bin.write_bytes(binary)
    stage_bin.chmod(0o755)
    return stage, str(stage_bin)


def rewrite(stage_bin: str) -> None:
    """Another hand rewrites the stage file in place (same inode, same Go build ID): its
    PT_GNU_STACK program header becomes a PT_INTERP, which the cheap re-check and
    pyelftools both refuse."""
    with open(stage_bin, "r+b") as f:
        data = f.read(64 * 1024)
        assert data[:6] == b"\x7fELF\x02\x01"  # ELF64, little-endian
        (phoff,) = struct.unpack_from("<Q", data, 0x20)
        phentsize, phnum = struct.unpack_from("<HH", data, 0x36)
        for at in range(phoff, phoff + phnum * phentsize, phentsize):
            if struct.unpack_from("<I", data, at)[0] == _PT_GNU_STACK:
                f.seek(at)
                f.write(struct.pack("<I", _PT_INTERP))
                return
    raise AssertionError("no PT_GNU_STACK")


def proof_of(binary: bytes, hazards: tuple[tuple[str, str], ...] = ()) -> Stamp:
    build_id = build_id_in(binary)
    assert build_id
    return Stamp("plain", build_id, None, hazards, ())


def rewritten_after_reading(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Make the install's reading of a stage binary rewrite the file right after it was
    read; the paths read, in order."""
    read: list[str] = []

    def read_then_rewritten(path: str) -> Image:
        image = read_image(path)
        rewrite(path)
        read.append(path)
        return image

    monkeypatch.setattr(install, "read_image", read_then_rewritten)
    return read


def assert_runs(binary: Path, root: Path, said: str = "Hello 42!") -> None:
    assert_static_by_readelf(binary)
    proc = run_in_empty_root(binary, root)
    assert proc.returncode == 0 and said in proc.stdout, proc


def test_the_bytes_checked_are_installed_though_the_stage_changed_since(
    tmp_path: Path, hello: bytes
) -> None:
    stage, stage_bin = staged(tmp_path, hello)
    image = read_image(stage_bin)
    assert still_static_in(image.data)
    rewrite(stage_bin)
    assert not still_static(stage_bin)  # what the stage holds now would not pass

    output = tmp_path / "bin" / "app"
    proof = proof_of(image.data)
    assert settle(stage, stage_bin, (str(output), "bin/app"), proof, None, read_fully=True,
                  image=image)  # fmt: skip
    assert output.read_bytes() == hello != Path(stage_bin).read_bytes()
    assert os.stat(output).st_mode & 0o777 == 0o755
    stamp = stage.read_stamp()
    assert stamp is not None and stamp == proof._replace(output=file_id(output))
    assert_runs(output, tmp_path / "root")


@pytest.mark.parametrize("read_fully", [False, True])  # the fast path, the full path
def test_a_stamped_binary_is_read_once_and_installed_as_read(
    tmp_path: Path, hello: bytes, monkeypatch: pytest.MonkeyPatch, read_fully: bool
) -> None:
    stage, stage_bin = staged(tmp_path, hello)
    read = rewritten_after_reading(monkeypatch)
    output = tmp_path / "app"
    assert settle(stage, stage_bin, (str(output), "app"), proof_of(hello), None,
                  read_fully=read_fully)  # fmt: skip
    assert read == [stage_bin]
    assert output.read_bytes() == hello != Path(stage_bin).read_bytes()
    assert_runs(output, tmp_path / "root")


def test_the_full_reading_reads_the_bytes_read(
    tmp_path: Path, plugin_stub: bytes, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A stamp with a hazard: the cheap re-check says no, pyelftools must settle it, and it
    # reads the bytes the install read, not the file rewritten since.
    stage, stage_bin = staged(tmp_path, plugin_stub)
    assert not still_static(stage_bin)
    read = rewritten_after_reading(monkeypatch)
    from gostatic.elf.facts import inspect_elf

    hazards = inspect_elf(stage_bin).hazards
    assert [kind for kind, _ in hazards] == ["plugin"]
    output = tmp_path / "app"
    assert settle(stage, stage_bin, (str(output), "app"), proof_of(plugin_stub, hazards), None,
                  read_fully=True)  # fmt: skip
    assert read == [stage_bin]
    assert output.read_bytes() == plugin_stub != Path(stage_bin).read_bytes()
    assert_runs(output, tmp_path / "root", "Hello plugin: not implemented")


@pytest.mark.parametrize("read_fully", [False, True])
def test_bytes_that_changed_before_the_reading_are_never_installed(
    tmp_path: Path, hello: bytes, read_fully: bool
) -> None:
    stage, stage_bin = staged(tmp_path, hello)
    rewrite(stage_bin)  # after the proof, before the install reads it
    assert go_build_id(stage_bin) == build_id_in(hello)
    output = tmp_path / "out" / "app"
    output.parent.mkdir()
    output.write_bytes(b"\x7fELF the old output")
    with pytest.raises(NotProved):
        settle(stage, stage_bin, (str(output), "app"), proof_of(hello), None,
               read_fully=read_fully)  # fmt: skip
    assert output.read_bytes() == b"\x7fELF the old output"
    assert os.listdir(output.parent) == ["app"]  # the copy was removed
    assert os.path.exists(stage_bin) is not read_fully  # the full path links it again
    assert stage.read_stamp() is None


def test_another_binary_is_not_installed_for_the_proved_one(tmp_path: Path, hello: bytes) -> None:
    # Static, no hazard for the cheap check to refuse... but another build ID.
    stage, stage_bin = staged(tmp_path, hello)
    Path(stage_bin).write_bytes(go_build(tmp_path / "other", SEED_FMT.replace("42", "43")))
    with pytest.raises(NotProved):
        settle(stage, stage_bin, (str(tmp_path / "app"), "app"), proof_of(hello), None,
               read_fully=True)  # fmt: skip
    assert not (tmp_path / "app").exists()


def test_with_no_output_the_bytes_are_proved_and_the_stage_stamped(
    tmp_path: Path, hello: bytes
) -> None:
    stage, stage_bin = staged(tmp_path, hello)
    proof = proof_of(hello)
    assert install.install_proved(stage, stage_bin, None, lambda image: proof) == proof
    assert stage.read_stamp() == proof
    assert install.install_proved(stage, stage_bin, None, lambda image: None) is None


def test_a_stage_file_that_is_not_regular_is_refused_without_waiting(tmp_path: Path) -> None:
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    with pytest.raises(OSError):
        image_module.read_image(str(fifo))  # a plain open would wait for a writer
    with pytest.raises(OSError):
        image_module.read_image(str(tmp_path))
    assert not still_static(str(fifo))
    empty = tmp_path / "empty"
    empty.write_bytes(b"")
    empty.chmod(0o640)
    assert image_module.read_image(str(empty)) == Image(b"", 0o640)
