"""What a build is for: its GOOS and GOARCH, whether it makes a PIE, whether it is a cross
build, and whether gostatic can prove its binaries static at all (ELF targets only)."""

from __future__ import annotations

from gostatic.go.env import GoEnv
from gostatic.go.flags import GoBuildArgs, user_value
from gostatic.records import Record
from gostatic.toolchains import host_goarch, host_goos

# Targets whose binaries are ELF, the only format gostatic can prove static.
ELF_GOOS = frozenset(
    {"linux", "android", "freebsd", "netbsd", "openbsd", "dragonfly", "solaris", "illumos"}
)

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

# go's own C compiler names; any other CC is the user's choice, perhaps a cross compiler.
_DEFAULT_CC = frozenset({"", "gcc", "cc", "clang"})


def non_elf_message(goos: str) -> str:
    kind = _NON_ELF_FORMAT.get(goos, "non-ELF")
    return (
        f"GOOS={goos} produces {kind} binaries, not ELF: static verification does not "
        "apply (gostatic proves ELF targets only: linux, android, the BSDs, solaris, "
        "illumos); use go build for this target"
    )


class Target(Record):
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
