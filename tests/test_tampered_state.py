"""Tampered state never reaches an output: a stage binary changed since it was proved is
never installed (issue 14, item 2), and a plan never chooses what go builds (item 5).

Oracles: readelf and a run in an empty root for the installed bytes; a logging go wrapper
for what go was asked to build.
"""

from __future__ import annotations

import json
import struct
from pathlib import Path

import pytest

from gostatic.incremental import codec
from gostatic.incremental.plan import PLAN_KIND
from tests.support import (
    SEED_FMT,
    SEED_SYSLOG,
    assert_static_by_readelf,
    go_builds,
    logged_go_calls,
    logging_go,
    readelf_facts,
    requires_go,
    run_gostatic,
    run_in_empty_root,
    write_module,
)

pytestmark = [pytest.mark.slow, requires_go]

_PT_INTERP = 3
_PT_GNU_STACK = 0x6474E551


def stack_segment_made_interpreter(binary: Path) -> None:
    """Turn the PT_GNU_STACK program header of an ELF64 little-endian file into a
    PT_INTERP; nothing else (the Go build ID note is left as it is)."""
    data = bytearray(binary.read_bytes())
    assert data[:4] == b"\x7fELF" and data[4] == 2 and data[5] == 1
    (phoff,) = struct.unpack_from("<Q", data, 0x20)
    phentsize, phnum = struct.unpack_from("<HH", data, 0x36)
    for i in range(phnum):
        at = phoff + i * phentsize
        if struct.unpack_from("<I", data, at)[0] == _PT_GNU_STACK:
            struct.pack_into("<I", data, at, _PT_INTERP)
            binary.write_bytes(bytes(data))
            return
    raise AssertionError("no PT_GNU_STACK")


def zeroed_past_64k(binary: Path) -> None:
    data = binary.read_bytes()
    binary.write_bytes(data[: 64 * 1024] + bytes(len(data) - 64 * 1024))


@pytest.fixture
def hello(tmp_path: Path) -> Path:
    return write_module(tmp_path / "m", {"hello/main.go": SEED_FMT})


def build_hello(module: Path, env: dict[str, str]) -> dict[str, object]:
    run = run_gostatic(["build", "--json", "-o", "bin/hello", "./hello"], module, env)
    assert run.returncode == 0, run.stderr
    [result] = json.loads(run.stdout)["results"]
    assert isinstance(result, dict)
    return result


def stage_binary(env: dict[str, str]) -> Path:
    [binary] = (Path(env["GOSTATIC_CACHE_DIR"]) / "stage").glob("*/plain/hello")
    return binary


@pytest.mark.parametrize("tamper", [stack_segment_made_interpreter, zeroed_past_64k])
@pytest.mark.parametrize("extra", [(), ("--no-cache",)])  # the fast path, the full path
@pytest.mark.parametrize("change", ["output removed", "source touched"])
def test_a_tampered_stage_binary_is_never_installed(
    hello: Path,
    tmp_path: Path,
    gostatic_env: dict[str, str],
    tamper: object,
    extra: tuple[str, ...],
    change: str,
) -> None:
    env = gostatic_env
    build_hello(hello, env)
    assert callable(tamper)
    tamper(stage_binary(env))
    binary = hello / "bin" / "hello"
    if change == "output removed":
        binary.unlink()
    else:
        (hello / "hello" / "main.go").touch()

    run = run_gostatic(["build", *extra, "-o", "bin/hello", "./hello"], hello, env)
    assert run.returncode == 0, run.stderr
    assert readelf_facts(binary) == (False, [])
    assert_static_by_readelf(binary)
    proc = run_in_empty_root(binary, tmp_path / "root")
    assert proc.returncode == 0 and "Hello 42!" in proc.stdout, proc


def test_a_tampered_binary_of_another_strategy_is_never_installed(
    hello: Path, tmp_path: Path, gostatic_env: dict[str, str]
) -> None:
    # A stage keeps the stamped binary only: one of another strategy, with the Go build ID
    # a build with that strategy expects, is linked again rather than read and installed.
    env = gostatic_env
    build_hello(hello, env)
    planted = bytearray(stage_binary(env).read_bytes())
    planted[64 * 1024 :] = bytes(len(planted) - 64 * 1024)
    assert run_gostatic(["build", "--strategy", "netgo", "-o", "bin/hello", "./hello"], hello,
                        env).returncode == 0  # fmt: skip
    stage_binary_path = next((Path(env["GOSTATIC_CACHE_DIR"]) / "stage").glob("*/plain"))
    (stage_binary_path / "hello").write_bytes(bytes(planted))
    (stage_binary_path / "hello").chmod(0o755)

    run = run_gostatic(["build", "--strategy", "plain", "-o", "bin/hello", "./hello"], hello, env)
    assert run.returncode == 0, run.stderr
    binary = hello / "bin" / "hello"
    assert_static_by_readelf(binary)
    proc = run_in_empty_root(binary, tmp_path / "root")
    assert proc.returncode == 0 and "Hello 42!" in proc.stdout, proc


def group_module(root: Path) -> Path:
    return write_module(
        root,
        {
            "cmd/a/main.go": SEED_FMT.replace("Hello", "Alpha"),
            "cmd/b/main.go": SEED_FMT.replace("Hello", "Beta"),
            "tools/evil/main.go": SEED_FMT.replace("Hello", "EVIL"),
        },
    )


def swap_package(plan_file: Path, module: Path, old: str, new: str) -> None:
    """Make the plan name package ``new`` (of ``module``) where it named ``old``, import
    path and directory, keeping the binary's name (whose stamp the stage has) and output:
    a plan consistent enough to be taken."""
    pairs = codec.decode_pairs(PLAN_KIND, plan_file.read_bytes())
    assert pairs is not None
    values = {f"example.com/m/{old}": f"example.com/m/{new}", str(module / old): str(module / new)}
    tampered = [(n, values.get(v, v)) for n, v in pairs]
    assert tampered != pairs
    plan_file.write_bytes(codec.encode(PLAN_KIND, tampered))


@pytest.mark.parametrize("mixed", [False, True])  # one strategy; several (netgo and plain)
def test_a_tampered_group_plan_never_makes_go_build_another_package(
    tmp_path: Path, gostatic_env: dict[str, str], mixed: bool
) -> None:
    module = group_module(tmp_path / "m")
    if mixed:
        (module / "cmd" / "b" / "main.go").write_text(SEED_SYSLOG)
    wrapper, log = logging_go(tmp_path)
    env = {**gostatic_env, "GOSTATIC_GO": str(wrapper)}
    command = ["build", "--json", "-o", "bin/", "./cmd/..."]
    assert run_gostatic(command, module, env).returncode == 0
    [plan_file] = (Path(env["GOSTATIC_CACHE_DIR"]) / "plans").iterdir()
    swap_package(plan_file, module, "cmd/a", "tools/evil")
    logged_go_calls(log)

    run = run_gostatic(command, module, env)
    assert run.returncode == 0, run.stderr
    builds = go_builds(logged_go_calls(log))
    assert builds and not [b for b in builds if "evil" in b]
    results = {r["package"] for r in json.loads(run.stdout)["results"]}
    assert results == {"example.com/m/cmd/a", "example.com/m/cmd/b"}
    assert sorted(p.name for p in (module / "bin").iterdir()) == ["a", "b"]
