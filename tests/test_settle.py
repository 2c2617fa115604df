"""gostatic.incremental.install on real Go binaries: what reaches the output is the copy
that was checked, whatever happens to the stage file after that one copy was made.

A hand rewrites the stage binary right after it was copied, keeping its Go build ID: one of
its program headers becomes an interpreter request, which every check refuses. Oracles:
readelf and a run in an empty root for the installed file, and the bytes themselves.
"""

from __future__ import annotations

import os
import struct
import subprocess
from pathlib import Path

import pytest

from gostatic.incremental import install, snapshot
from gostatic.incremental.buildid import build_id_in, go_build_id
from gostatic.incremental.install import NotProved, settle
from gostatic.incremental.recheck import still_static, still_static_in
from gostatic.incremental.snapshot import Snapshot, map_file
from gostatic.incremental.stage import Stage, Stamp, file_id
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


def rewritten_after_copying(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Make the install's copy of a stage binary rewrite the stage file right after the
    copy was made; the stage binaries copied, in order."""
    copied: list[str] = []
    copy_beside = snapshot.copy_beside

    def copy_then_rewrite(stage_bin: str, dest: str, shown: str) -> str:
        copy = copy_beside(stage_bin, dest, shown)
        rewrite(stage_bin)
        copied.append(stage_bin)
        return copy

    monkeypatch.setattr(snapshot, "copy_beside", copy_then_rewrite)
    return copied


def assert_runs(binary: Path, root: Path, said: str = "Hello 42!") -> None:
    assert_static_by_readelf(binary)
    proc = run_in_empty_root(binary, root)
    assert proc.returncode == 0 and said in proc.stdout, proc


def test_the_copy_checked_is_installed_though_the_stage_changed_since(
    tmp_path: Path, hello: bytes
) -> None:
    stage, stage_bin = staged(tmp_path, hello)
    output = tmp_path / "bin" / "app"
    with Snapshot(stage_bin, (str(output), "bin/app")) as checked:
        assert checked.copy is not None and os.path.dirname(checked.copy) == str(output.parent)
        assert still_static_in(checked.data)
        proof = proof_of(hello)
        rewrite(stage_bin)
        assert not still_static(stage_bin)  # what the stage holds now would not pass
        assert settle(stage, stage_bin, (str(output), "bin/app"), proof, None,
                      read_fully=True, checked=checked)  # fmt: skip
    assert output.read_bytes() == hello != Path(stage_bin).read_bytes()
    assert os.stat(output).st_mode & 0o777 == 0o755
    assert os.listdir(output.parent) == ["app"]
    stamp = stage.read_stamp()
    assert stamp is not None and stamp == proof._replace(output=file_id(output))
    assert_runs(output, tmp_path / "root")


def test_a_snapshot_not_put_in_place_is_removed(tmp_path: Path, hello: bytes) -> None:
    _, stage_bin = staged(tmp_path, hello)
    output = tmp_path / "app"
    with pytest.raises(KeyboardInterrupt), Snapshot(stage_bin, (str(output), "app")) as copy:
        assert copy.copy is not None and os.path.exists(copy.copy)
        raise KeyboardInterrupt
    assert os.listdir(tmp_path) == ["stage"]
    with Snapshot(stage_bin, None) as itself:  # nothing to install: the stage binary is read
        assert itself.copy is None and itself.path == stage_bin and itself.data[:] == hello


@pytest.mark.parametrize("read_fully", [False, True])  # the fast path, the full path
def test_a_stamped_binary_is_copied_once_and_installed_as_copied(
    tmp_path: Path, hello: bytes, monkeypatch: pytest.MonkeyPatch, read_fully: bool
) -> None:
    stage, stage_bin = staged(tmp_path, hello)
    copied = rewritten_after_copying(monkeypatch)
    output = tmp_path / "app"
    assert settle(stage, stage_bin, (str(output), "app"), proof_of(hello), None,
                  read_fully=read_fully)  # fmt: skip
    assert copied == [stage_bin]
    assert output.read_bytes() == hello != Path(stage_bin).read_bytes()
    assert_runs(output, tmp_path / "root")


def test_the_full_reading_reads_the_copy(
    tmp_path: Path, plugin_stub: bytes, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A stamp with a hazard: the cheap re-check says no, pyelftools must settle it, and it
    # reads the copy, not the stage file rewritten since.
    stage, stage_bin = staged(tmp_path, plugin_stub)
    assert not still_static(stage_bin)
    copied = rewritten_after_copying(monkeypatch)
    from gostatic.elf.facts import inspect_elf

    hazards = inspect_elf(stage_bin).hazards
    assert [kind for kind, _ in hazards] == ["plugin"]
    output = tmp_path / "app"
    assert settle(stage, stage_bin, (str(output), "app"), proof_of(plugin_stub, hazards), None,
                  read_fully=True)  # fmt: skip
    assert copied == [stage_bin]
    assert output.read_bytes() == plugin_stub != Path(stage_bin).read_bytes()
    assert_runs(output, tmp_path / "root", "Hello plugin: not implemented")


@pytest.mark.parametrize("read_fully", [False, True])
def test_bytes_that_changed_before_the_reading_are_never_installed(
    tmp_path: Path, hello: bytes, read_fully: bool
) -> None:
    stage, stage_bin = staged(tmp_path, hello)
    rewrite(stage_bin)  # after the proof, before the install copies it
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


def test_with_no_output_the_stage_binary_is_proved_and_the_stage_stamped(
    tmp_path: Path, hello: bytes
) -> None:
    stage, stage_bin = staged(tmp_path, hello)
    proof = proof_of(hello)
    read: list[bytes] = []

    def prove(binary: Snapshot) -> Stamp:
        read.append(binary.data[:])
        return proof

    assert install.install_proved(stage, stage_bin, None, prove) == proof
    assert read == [hello] and stage.read_stamp() == proof
    assert install.install_proved(stage, stage_bin, None, lambda binary: None) is None
    assert sorted(os.listdir(Path(stage_bin).parent)) == ["app"]


def test_a_stage_file_that_is_not_regular_is_refused_without_waiting(tmp_path: Path) -> None:
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    with pytest.raises(OSError):
        map_file(str(fifo))  # a plain open would wait for a writer
    with pytest.raises(OSError):
        map_file(str(tmp_path))
    assert not still_static(str(fifo))
    empty = tmp_path / "empty"
    empty.write_bytes(b"")
    assert map_file(str(empty)) == b""
