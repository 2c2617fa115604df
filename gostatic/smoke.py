"""Run a binary in an empty root: the scratch-image check, without a container engine.

The binary is copied alone into a fresh directory and run there through chroot (as root)
or `unshare -r` + chroot (an unprivileged user namespace otherwise), with an empty
environment and no standard input. A binary that needs a loader or a shared library
fails to start there exactly as it would in a `FROM scratch` image. A binary for another
architecture runs under qemu-user (`qemu-ARCH-static`, itself static) copied in beside it.

An image's binary runs the same way in the image's own root filesystem (`gostatic image
--smoke`), as the image's user (chroot's --userspec).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path

from gostatic.errors import ElfError
from gostatic.records import TYPE_CHECKING, Record

if TYPE_CHECKING:
    from typing import Literal, TypeAlias

    SmokeStatus: TypeAlias = Literal["ran", "not-started", "timeout", "skipped"]

DEFAULT_TIMEOUT = 60.0
_KEEP = 64 * 1024  # characters of each stream kept for the report

# ELF machine names (gostatic.elf.facts's spelling) -> qemu-user's.
_QEMU_ARCH = {
    "x86-64": "x86_64",
    "i386": "i386",
    "aarch64": "aarch64",
    "arm": "arm",
    "riscv64": "riscv64",
    "ppc64le": "ppc64le",
    "ppc64": "ppc64",
    "s390x": "s390x",
    "mips": "mips",
    "mipsle": "mipsel",
    "mips64": "mips64",
    "mips64le": "mips64el",
    "loongarch64": "loongarch64",
}
# Host (uname -m) -> the ELF machines it runs without emulation.
_NATIVE = {
    "x86_64": frozenset({"x86-64", "i386"}),
    "aarch64": frozenset({"aarch64"}),
    "i686": frozenset({"i386"}),
    "riscv64": frozenset({"riscv64"}),
    "ppc64le": frozenset({"ppc64le"}),
    "s390x": frozenset({"s390x"}),
}

# chroot(1)'s own statuses: it could not change root (125), or could not run the command.
_CHROOT_FAILED = 125
_EXEC_FAILED = (126, 127)


class SmokeResult(Record):
    status: SmokeStatus
    exit_status: int | None  # the program's, when it ran
    stdout: str
    stderr: str
    detail: str  # how it ran, or why it did not

    @property
    def failed(self) -> bool:
        """A run that shows a problem; a skipped run shows nothing either way."""
        return self.status in ("not-started", "timeout") or (
            self.status == "ran" and self.exit_status != 0
        )


def _skipped(why: str) -> SmokeResult:
    return SmokeResult("skipped", None, "", "", why)


def _runner(env: Mapping[str, str], privileged: bool) -> tuple[list[str], str] | str:
    """The command prefix that enters an empty root, and its name; or why there is none."""
    chroot = shutil.which("chroot", path=env.get("PATH"))
    if chroot is None:
        return "chroot was not found on PATH"
    if privileged:
        return [chroot], "chroot"
    unshare = shutil.which("unshare", path=env.get("PATH"))
    if unshare is None:
        return "not root, and unshare (for a user namespace) was not found on PATH"
    return [unshare, "-r", chroot], "unshare -r + chroot"


def _emulator(machine: str, env: Mapping[str, str]) -> Path | str | None:
    """None to run natively, a qemu-user path to run under, or why it cannot run here."""
    host = os.uname().machine
    if machine in _NATIVE.get(host, frozenset()) or machine == host:
        return None
    arch = _QEMU_ARCH.get(machine)
    found = shutil.which(f"qemu-{arch}-static", path=env.get("PATH")) if arch else None
    if found is None:
        return (
            f"a {machine} binary does not run on this {host} host without qemu-user "
            "(apt-get install qemu-user-static)"
        )
    return Path(found)


def _machine_of(binary: Path) -> str:
    from gostatic.elf.facts import inspect_elf

    return inspect_elf(binary).machine


def run_in_empty_root(
    binary: Path,
    args: Sequence[str] = (),
    env: Mapping[str, str] | None = None,
    timeout: float = DEFAULT_TIMEOUT,
    privileged: bool | None = None,
    program_env: Mapping[str, str] | None = None,
) -> SmokeResult:
    """Run ``binary ARGS`` alone in an empty root; report what it printed and its status.

    ``env`` is where chroot, unshare and qemu are looked up, not the program's environment:
    the program gets ``program_env`` (--smoke-env), by default an empty one, as in a
    scratch image that sets none. ``privileged`` (default: running as root) chooses plain
    chroot over `unshare -r` + chroot.
    """
    lookup = os.environ if env is None else env
    runner = _runner(lookup, os.geteuid() == 0 if privileged is None else privileged)
    if isinstance(runner, str):
        return _skipped(runner)
    prefix, how = runner
    try:
        emulator = _emulator(_machine_of(binary), lookup)
    except ElfError as exc:
        return SmokeResult("not-started", None, "", "", exc.message)
    if isinstance(emulator, str):
        return _skipped(emulator)
    with tempfile.TemporaryDirectory(prefix="gostatic-root-") as root:
        inside = [f"/{binary.name}", *args]
        shutil.copy2(binary, Path(root) / binary.name)
        if emulator is not None:
            shutil.copy2(emulator, Path(root) / emulator.name)
            inside.insert(0, f"/{emulator.name}")
            how += f" + {emulator.name}"
        return _run([*prefix, root, *inside], how, timeout, program_env or {})


def run_in_root(
    root: Path,
    program: str,
    user: str,
    args: Sequence[str] = (),
    env: Mapping[str, str] | None = None,
    timeout: float = DEFAULT_TIMEOUT,
) -> SmokeResult:
    """Run ``program`` (its path inside ``root``) with ``root`` as its root filesystem, as
    ``user`` ("UID[:GID]"), with an empty environment: how an image's binary runs in the
    image's own files. A qemu-user binary, where one is needed, is copied into ``root``.

    Only root can run a program as another user (chroot --userspec); otherwise the run
    is skipped, unless ``user`` is 0, which `unshare -r` maps to the caller.
    """
    lookup = os.environ if env is None else env
    as_root = user.partition(":")[0] == "0"
    privileged = os.geteuid() == 0
    if not (privileged or as_root):
        return _skipped(f"running as user {user} needs root (chroot --userspec)")
    runner = _runner(lookup, privileged)
    if isinstance(runner, str):
        return _skipped(runner)
    prefix, how = runner
    host_path = root / program.lstrip("/")
    try:
        emulator = _emulator(_machine_of(host_path), lookup)
    except ElfError as exc:
        return SmokeResult("not-started", None, "", "", exc.message)
    if isinstance(emulator, str):
        return _skipped(emulator)
    inside = [program, *args]
    if emulator is not None:
        shutil.copy2(emulator, root / emulator.name)
        inside.insert(0, f"/{emulator.name}")
        how += f" + {emulator.name}"
    # In `unshare -r` the caller already is user 0, and may not set groups.
    userspec = [f"--userspec={user}"] if privileged else []
    command = [*prefix, *userspec, str(root), *inside]
    return _run(command, how, timeout, {}, f"in the image's root as {user}")


def _run(
    command: list[str],
    how: str,
    timeout: float,
    env: Mapping[str, str],
    where: str = "in an empty root",
) -> SmokeResult:
    try:
        proc = subprocess.run(
            command,
            env=dict(env),  # chroot and unshare pass it on to the program as it is
            stdin=subprocess.DEVNULL,
            capture_output=True,
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        return SmokeResult(
            "timeout", None, _text(exc.stdout), _text(exc.stderr), f"killed after {timeout:g} s"
        )
    except OSError as exc:
        return _skipped(f"cannot run {command[0]}: {exc.strerror or exc}")
    out, err = _text(proc.stdout), _text(proc.stderr)
    first = err.strip().splitlines()[0] if err.strip() else ""
    if how.startswith("unshare") and proc.returncode == 1 and _said_by("unshare", first):
        return _skipped(f"user namespaces are not allowed here ({first})")
    if proc.returncode == _CHROOT_FAILED and _said_by("chroot", first):
        return _skipped(f"chroot is not allowed here ({first})")
    if proc.returncode in _EXEC_FAILED and _said_by("chroot", first, "failed to run command"):
        return SmokeResult(
            "not-started",
            None,
            out,
            err,
            f"{first} ({where}: a binary that needs a loader or libraries fails so)",
        )
    return SmokeResult("ran", proc.returncode, out, err, f"{where} ({how})")


def _said_by(tool: str, line: str, message: str = "") -> bool:
    """Whether ``line`` is ``tool``'s own error (it names itself by the path it was run as)."""
    name, colon, rest = line.partition(":")
    return bool(colon) and os.path.basename(name) == tool and rest.strip().startswith(message)


def _text(data: bytes | str | None) -> str:
    if data is None:
        return ""
    text = data.decode("utf-8", "replace") if isinstance(data, bytes) else data
    return text if len(text) <= _KEEP else text[:_KEEP] + "\n[... cut]\n"


def smoke_outputs(
    outputs: Sequence[str | None],
    base: Path,
    args: Sequence[str],
    env: Mapping[str, str],
    program_env: Mapping[str, str] | None = None,
) -> tuple[SmokeResult, ...]:
    """One smoke run per built output, in order; no output file means nothing to run.
    ``env``: where the tools are looked up; ``program_env``: each program's environment."""
    return tuple(
        run_in_empty_root(base / out, args, env, program_env=program_env)
        if out is not None
        else _skipped("no output file to run (go build discards it without -o)")
        for out in outputs
    )
