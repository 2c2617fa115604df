"""C toolchains for static cgo: which are installed, and the CC each one gives go.

What runs as CC is decided here from what this machine has (musl-gcc on PATH, the
``ziglang`` package importable by this Python, zig on PATH). It is never read from the
cache or a project file: those can only name a strategy, never a command.

Every build imports this module (gostatic.targets, the rung choice), and most never ask
for a C toolchain: importlib.machinery, shutil and subprocess (with signal, selectors,
locale, bz2 and lzma, ~5 ms) are imported by the probes that use them, not here.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from functools import cached_property
from pathlib import Path

from gostatic.errors import UsageError
from gostatic.go.flags import join_quoted, split_quoted

INSTALL_MUSL = "apt-get install musl-tools"
INSTALL_ZIG = "pip install ziglang"
INSTALL_HINT = f"{INSTALL_MUSL}, or {INSTALL_ZIG}"

# GOARCH -> the architecture of zig's `<arch>-linux-musl` target. GOARCH=arm is left out:
# its float ABI follows GOARM, which one fixed triple would get wrong.
ZIG_ARCH = {
    "amd64": "x86_64",
    "arm64": "aarch64",
    "386": "x86",
    "riscv64": "riscv64",
    "ppc64le": "powerpc64le",
    "s390x": "s390x",
    "loong64": "loongarch64",
}

# platform.machine() -> GOARCH.
_HOST_GOARCH = {
    "x86_64": "amd64",
    "amd64": "amd64",
    "aarch64": "arm64",
    "arm64": "arm64",
    "i386": "386",
    "i686": "386",
    "riscv64": "riscv64",
    "ppc64le": "ppc64le",
    "s390x": "s390x",
    "loongarch64": "loong64",
}


def host_goarch() -> str:
    machine = os.uname().machine.lower()
    return _HOST_GOARCH.get(machine, machine)


def host_goos() -> str:
    return "linux" if sys.platform.startswith("linux") else sys.platform


def installed_ziglang() -> Path | None:
    """The directory of the ziglang package installed for this Python, if any.

    The current directory is left out of the search: `python -m gostatic` puts it first on
    sys.path, and a project that ships its own `ziglang/` must not choose the compiler.
    """
    import importlib.machinery  # only when a rung asks for zig (module docstring)

    here = _resolved(".")
    search = [entry for entry in sys.path if entry and _resolved(entry) not in (here, None)]
    spec = importlib.machinery.PathFinder.find_spec("ziglang", search)
    if spec is None or spec.origin is None or not spec.has_location:
        return None
    return Path(spec.origin).parent


def _resolved(entry: str) -> Path | None:
    try:
        return Path(entry).resolve()
    except OSError:
        return None


class Toolchains:
    """What is installed, each probed on first use: most builds never reach a rung that asks."""

    def __init__(self, env: Mapping[str, str], cc: str) -> None:
        self._env = env
        self._cc = cc or "gcc"

    @cached_property
    def musl_gcc(self) -> str | None:
        import shutil  # only when a rung asks (module docstring)

        return shutil.which("musl-gcc", path=self._env.get("PATH"))

    @cached_property
    def zig(self) -> tuple[str, ...] | None:
        """The command that runs zig: this Python's ziglang package, else zig on PATH."""
        package = installed_ziglang()
        if package is not None:
            bundled = package / "zig"
            if bundled.is_file() and os.access(bundled, os.X_OK):
                return (str(bundled),)
            # go runs CC in the package directory and `-m` would put that directory
            # first on sys.path: isolated mode (-I) imports only the installed ziglang.
            return (sys.executable, "-I", "-m", "ziglang")
        import shutil  # only when a rung asks (module docstring)

        found = shutil.which("zig", path=self._env.get("PATH"))
        return (found,) if found else None

    @cached_property
    def glibc_static(self) -> bool:
        """False only when go's C compiler answers that it has no libc.a.

        gcc and clang print the bare name back when they cannot find the file. Anything
        else (a compiler that does not run, an odd answer) counts as present: the build
        itself is the better judge then.
        """
        try:
            command = split_quoted(self._cc)
        except UsageError:
            return True
        if not command:
            return True
        import subprocess  # only when a rung asks (module docstring)

        try:
            proc = subprocess.run(
                [*command, "-print-file-name=libc.a"],
                env=dict(self._env),
                stdin=subprocess.DEVNULL,
                capture_output=True,
                text=True,
                timeout=30,
                check=False,
            )
        except (OSError, subprocess.TimeoutExpired):
            return True
        answer = proc.stdout.strip()
        return proc.returncode != 0 or answer != "libc.a"

    def cc_env(self, toolchain: str, goarch: str) -> dict[str, str] | None:
        """CC (and CXX) for a toolchain kind building for ``goarch``; None if unavailable."""
        if toolchain == "musl-gcc":
            return {"CC": join_quoted([self.musl_gcc])} if self.musl_gcc else None
        if toolchain == "zig" and self.zig is not None and goarch in ZIG_ARCH:
            target = ["-target", f"{ZIG_ARCH[goarch]}-linux-musl"]
            return {
                "CC": join_quoted([*self.zig, "cc", *target]),
                "CXX": join_quoted([*self.zig, "c++", *target]),
            }
        return None


def fixed_toolchains(
    musl_gcc: str | None, zig: tuple[str, ...] | None, glibc_static: bool
) -> Toolchains:
    """Toolchains with known answers, for callers that must not probe (tests, dry runs)."""
    tools = Toolchains(os.environ, "gcc")
    # cached_property keeps its value in the instance dict: filling it in skips the probe.
    tools.__dict__.update(musl_gcc=musl_gcc, zig=zig, glibc_static=glibc_static)
    return tools
