"""Test support: seed programs, real Go modules in tmp_path, gostatic run as a real process,
and oracles that owe nothing to gostatic (readelf, a run in an empty root)."""

from __future__ import annotations

import importlib.util
import os
import shlex
import shutil
import subprocess
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent

# The seed's three programs, kept as a Go module that the docs show and a reader can run.
SEED_DIR = REPO_ROOT / "examples" / "seed"
SEED_FMT = (SEED_DIR / "fmt" / "main.go").read_text()
SEED_SYSLOG = (SEED_DIR / "log-syslog" / "main.go").read_text()
SEED_CGO = (SEED_DIR / "cgo" / "main.go").read_text()

OS_USER = """package main

import (
	"fmt"
	"os/user"
)

func main() {
	_, err := user.LookupId("0")
	fmt.Println("lookup done", err != nil || err == nil)
}
"""

GO = shutil.which("go")
requires_go = pytest.mark.skipif(GO is None, reason="go is not on PATH")


def write_module(root: Path, files: Mapping[str, str], module: str = "example.com/m") -> Path:
    root.mkdir(parents=True, exist_ok=True)
    (root / "go.mod").write_text(f"module {module}\n\ngo 1.21\n")
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root


@dataclass(frozen=True)
class Run:
    returncode: int
    stdout: str
    stderr: str


def gostatic_command(env: Mapping[str, str]) -> tuple[list[str], dict[str, str]]:
    """The command line and environment that run gostatic from this source tree."""
    proc_env = dict(env)
    proc_env["PYTHONPATH"] = os.pathsep.join(
        p for p in (str(REPO_ROOT), env.get("PYTHONPATH", "")) if p
    )
    return [sys.executable, "-m", "gostatic"], proc_env


def run_gostatic(args: list[str], cwd: Path, env: Mapping[str, str], timeout: float = 300) -> Run:
    """gostatic as a real process, from this source tree (whatever else is installed)."""
    command, proc_env = gostatic_command(env)
    proc = subprocess.run(
        [*command, *args],
        cwd=cwd,
        env=proc_env,
        capture_output=True,
        text=True,
        timeout=timeout,
        stdin=subprocess.DEVNULL,
        check=False,
    )
    return Run(proc.returncode, proc.stdout, proc.stderr)


def readelf_facts(binary: Path) -> tuple[bool, list[str]]:
    """(has PT_INTERP, DT_NEEDED names) according to binutils' readelf, not gostatic."""
    headers = subprocess.run(
        ["readelf", "-lW", str(binary)], capture_output=True, text=True, check=True
    ).stdout
    dynamic = subprocess.run(
        ["readelf", "-dW", str(binary)], capture_output=True, text=True, check=True
    ).stdout
    needed = [
        line.split("[", 1)[1].rstrip("]").strip()
        for line in dynamic.splitlines()
        if "(NEEDED)" in line
    ]
    return ("INTERP" in headers, needed)


def assert_static_by_readelf(binary: Path) -> None:
    has_interp, needed = readelf_facts(binary)
    assert not has_interp, f"{binary} has a PT_INTERP"
    assert needed == [], f"{binary} needs {needed}"


def run_in_empty_root(binary: Path, root: Path) -> subprocess.CompletedProcess[str]:
    """Run ``binary`` as /prog in a directory holding nothing else: no libc, no loader."""
    root.mkdir(parents=True, exist_ok=True)
    shutil.copy2(binary, root / "prog")
    prefix = [] if os.geteuid() == 0 else ["unshare", "-r"]
    chroot = shutil.which("chroot") or "/usr/sbin/chroot"
    if not os.path.exists(chroot):
        pytest.skip("chroot is not available")
    proc = subprocess.run(
        [*prefix, chroot, str(root), "/prog"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    if proc.returncode != 0 and "unshare" in proc.stderr:
        pytest.skip(f"cannot make an empty root here: {proc.stderr.strip()}")
    return proc


def run_on_terminal(
    args: list[str], cwd: Path, env: Mapping[str, str], timeout: float = 300
) -> tuple[int, str]:
    """Run a command with stdin, stdout and stderr on a pseudo-terminal, as a person would;
    return its status and everything it wrote (both streams, in order)."""
    master, slave = os.openpty()
    proc = subprocess.Popen(
        args, stdin=slave, stdout=slave, stderr=slave, cwd=cwd, env=dict(env), close_fds=True
    )
    os.close(slave)
    chunks: list[bytes] = []
    try:
        while True:
            try:
                data = os.read(master, 65536)
            except OSError:  # EIO: every writer closed the terminal
                break
            if not data:
                break
            chunks.append(data)
        status = proc.wait(timeout=timeout)
    finally:
        os.close(master)
        if proc.poll() is None:
            proc.kill()
    return status, b"".join(chunks).decode(errors="replace")


# Left behind by builds, tools and editors: never part of a source distribution.
_NOT_SOURCE = shutil.ignore_patterns(
    ".git",
    ".nox",
    ".venv",
    "build",
    "dist",
    "site",
    "*.egg-info",
    "__pycache__",
    ".*_cache",
    ".hypothesis",
)


def copy_source_tree(dest: Path) -> Path:
    """This source tree without build leftovers, symlinks kept (gostatic/templates is one),
    so that a build there neither reads stale files nor writes into the checkout."""
    shutil.copytree(REPO_ROOT, dest, symlinks=True, ignore=_NOT_SOURCE)
    return dest


def readelf_header(binary: Path) -> dict[str, str]:
    """The ELF header fields as binutils' readelf -h prints them ("Type", "Machine", ...)."""
    text = subprocess.run(
        ["readelf", "-hW", str(binary)], capture_output=True, text=True, check=True
    ).stdout
    fields = {}
    for line in text.splitlines()[1:]:
        key, sep, value = line.partition(":")
        if sep:
            fields[key.strip()] = value.strip()
    return fields


# Tests that need a tool beyond go and gcc carry its marker and skip, with the install
# line, where it is missing (CI installs them all: see .ci/run). Each is a list of marks,
# for a module's `pytestmark` or, through `marked`, for one test.
MUSL_GCC = shutil.which("musl-gcc")
requires_musl = [
    pytest.mark.musl,
    pytest.mark.skipif(MUSL_GCC is None, reason="musl-gcc missing: apt-get install musl-tools"),
]
HAS_ZIG = importlib.util.find_spec("ziglang") is not None
requires_zig = [
    pytest.mark.zig,
    pytest.mark.skipif(not HAS_ZIG, reason="ziglang missing: pip install ziglang"),
]
QEMU_AARCH64 = shutil.which("qemu-aarch64-static")
requires_qemu = [
    pytest.mark.qemu,
    pytest.mark.skipif(
        QEMU_AARCH64 is None, reason="qemu-aarch64-static missing: apt-get install qemu-user-static"
    ),
]

F = TypeVar("F", bound=Callable[..., object])


def marked(*mark_lists: list[pytest.MarkDecorator]) -> Callable[[F], F]:
    """Apply lists of marks (such as requires_qemu) to one test."""

    def apply(test: F) -> F:
        for marks in mark_lists:
            for mark in marks:
                test = mark(test)
        return test

    return apply


def logging_go(directory: Path) -> tuple[Path, Path]:
    """A `go` for GOSTATIC_GO that logs each call as "CGO_ENABLED=<value> <args>", then
    runs the real go: how tests count go's work without timing it. Returns (go, log)."""
    assert GO is not None
    log = directory / "go-calls.log"
    wrapper = directory / "logging-go"
    wrapper.write_text(
        "#!/bin/sh\n"
        f'printf "CGO_ENABLED=%s %s\\n" "${{CGO_ENABLED-}}" "$*" >> {shlex.quote(str(log))}\n'
        f'exec {shlex.quote(GO)} "$@"\n'
    )
    wrapper.chmod(0o755)
    return wrapper, log


def logged_go_calls(log: Path) -> list[str]:
    """The calls logged since the last look (the log is emptied)."""
    calls = log.read_text().splitlines() if log.exists() else []
    log.unlink(missing_ok=True)
    return calls


def go_subcommands(calls: list[str]) -> list[str]:
    return [call.split(" ")[1] for call in calls]


def go_builds(calls: list[str]) -> list[str]:
    """The `go build` calls among ``calls``, each as "CGO_ENABLED=<value> build ..."."""
    return [call for call in calls if call.split(" ", 1)[1].startswith("build ")]


def imports_of(
    statements: str,
    argv: tuple[str, ...] = (),
    cwd: Path | None = None,
    env: Mapping[str, str] | None = None,
) -> tuple[list[str], set[str]]:
    """Run ``statements`` (with ``argv`` as sys.argv[1:]) in an interpreter started with -S,
    so that no site hook (the dev venv's editable-install finder imports re and pathlib)
    has loaded anything first. Returns the lines the statements printed and the modules
    they imported."""
    code = (
        "import sys\n_before = set(sys.modules)\n"
        f"{statements}\n"
        "print()\nprint(*sorted(set(sys.modules) - _before))\n"
    )
    run_env = {**(os.environ if env is None else env), "PYTHONPATH": str(REPO_ROOT)}
    run = subprocess.run(
        [sys.executable, "-S", "-c", code, *argv],
        cwd=cwd, env=run_env, capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr
    *said, blank, added = run.stdout.split("\n")[:-1]
    assert blank == "", run.stdout
    return said, set(added.split())
