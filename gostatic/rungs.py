"""Which rungs of the ladder apply to one build, and why the others are skipped.

Skipping a rung that cannot work saves a build, and for some rungs prevents a wrong
answer: with -buildmode=pie, external-static links without complaint but quietly drops
the PIE (measured: ELF type EXEC), and the host's gcc cannot compile cgo for another GOARCH.
"""

from __future__ import annotations

from dataclasses import dataclass

from gostatic.goenv import GoEnv
from gostatic.goflags import GoBuildArgs, user_value
from gostatic.strategies import CGO_OFF, EXTERNAL_STATIC, NETGO, PLAIN, STATIC_PIE, Strategy
from gostatic.toolchains import (
    INSTALL_HINT,
    INSTALL_MUSL,
    INSTALL_ZIG,
    ZIG_ARCH,
    Toolchains,
    host_goarch,
    host_goos,
)

# go's own C compiler names; any other CC is the user's choice, perhaps a cross compiler.
_DEFAULT_CC = frozenset({"", "gcc", "cc", "clang"})

# Binary formats of the targets that are not ELF, for a message that says what they are.
_NON_ELF_FORMAT = {
    "windows": "PE (Windows)",
    "darwin": "Mach-O (macOS)",
    "ios": "Mach-O (iOS)",
    "plan9": "Plan 9 a.out",
    "aix": "XCOFF (AIX)",
    "js": "WebAssembly",
    "wasip1": "WebAssembly",
}


def non_elf_message(goos: str) -> str:
    kind = _NON_ELF_FORMAT.get(goos, "non-ELF")
    return (
        f"GOOS={goos} produces {kind} binaries, not ELF: static verification does not "
        "apply (gostatic proves ELF targets only: linux, android, the BSDs, solaris, "
        "illumos); use go build for this target"
    )


@dataclass(frozen=True)
class Target:
    """What a build is for, as far as choosing rungs goes."""

    goos: str
    goarch: str
    pie: bool
    cross: bool  # not the machine gostatic runs on: the host's C compiler cannot target it
    own_cc: bool  # CC names a compiler of the user's choosing (perhaps a cross compiler)


def target_of(goenv: GoEnv, args: GoBuildArgs) -> Target:
    # A command-line -buildmode wins over one in GOFLAGS (distributions set it there).
    buildmode = user_value(args, goenv.goflags, "buildmode")
    return Target(
        goos=goenv.goos,
        goarch=goenv.goarch,
        pie=buildmode == "pie",
        cross=(goenv.goos, goenv.goarch) != (host_goos(), host_goarch()),
        own_cc=goenv.cc.strip() not in _DEFAULT_CC,
    )


def skip_reason(
    strategy: Strategy, target: Target, tools: Toolchains, forced: bool = False
) -> str | None:
    """Why ``strategy`` is not tried for ``target``, or None to try it.

    A strategy forced with --strategy is tried wherever it can run at all: only a missing
    toolchain or an unreachable target skips it, not the ladder's choice of rungs.
    """
    reason = None if forced else _ladder_reason(strategy, target)
    return reason or _unavailable_reason(strategy, target, tools)


def _ladder_reason(strategy: Strategy, target: Target) -> str | None:
    if target.pie:
        if strategy in (PLAIN, NETGO, CGO_OFF):
            return (
                "-buildmode=pie: go's own link of a PIE always asks for the dynamic loader; "
                "only the C linker with -static-pie makes it static"
            )
        if strategy is EXTERNAL_STATIC:
            return (
                "-buildmode=pie: -extldflags=-static would quietly link a non-PIE executable; "
                "static-pie is the rung for a PIE"
            )
        if strategy.toolchain is not None:
            return f"-buildmode=pie: {strategy.toolchain} links no static PIE"
    elif strategy is STATIC_PIE:
        return "only for -buildmode=pie"
    return None


def _unavailable_reason(strategy: Strategy, target: Target, tools: Toolchains) -> str | None:
    if strategy in (PLAIN, NETGO, CGO_OFF):
        return None
    if strategy.toolchain is None:
        # external-static and static-pie link with go's CC: the host's gcc unless chosen.
        if target.cross and not target.own_cc:
            return (
                f"GOOS={target.goos} GOARCH={target.goarch} is not this host's "
                f"({host_goos()}/{host_goarch()}) and CC is the host's compiler "
                "(set CC to a cross compiler; zig-static needs none)"
            )
        if not tools.glibc_static:
            return (
                f"the C compiler has no static libc (libc.a); install libc6-dev, or {INSTALL_HINT}"
            )
        return None
    if target.goos != "linux":
        return f"the musl toolchains target linux only, not GOOS={target.goos}"
    if strategy.toolchain == "musl-gcc":
        if target.cross:
            return f"musl-gcc builds for this host ({host_goarch()}), not GOARCH={target.goarch}"
        if tools.musl_gcc is None:
            return f"musl-gcc is not installed ({INSTALL_MUSL})"
        return None
    if target.goarch not in ZIG_ARCH:
        return f"no zig target known for GOARCH={target.goarch}"
    if tools.zig is None:
        return f"zig is not installed ({INSTALL_ZIG})"
    return None


def toolchain_env(strategy: Strategy, target: Target, tools: Toolchains) -> dict[str, str]:
    """The CC (and CXX) a strategy's toolchain needs; empty for go's default compiler."""
    if strategy.toolchain is None:
        return {}
    return tools.cc_env(strategy.toolchain, target.goarch) or {}


def musl_alternatives(
    ladder: tuple[Strategy, ...], target: Target, tools: Toolchains
) -> tuple[Strategy, ...]:
    """The musl rungs of ``ladder`` that apply here: what could link without glibc's NSS."""
    return tuple(
        s for s in ladder if s.toolchain is not None and skip_reason(s, target, tools) is None
    )
