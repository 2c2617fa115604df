"""An image's platform (os, architecture, variant), read from the binary it runs.

The ELF header says the machine; Go's build info says GOOS and, for 32-bit ARM, GOARM.
"""

from __future__ import annotations

from gostatic.elf.facts import inspect_elf
from gostatic.errors import UsageError
from gostatic.records import Record

# gostatic.elf.facts's machine names -> OCI's (which are GOARCH's).
_ARCHITECTURES = {
    "x86-64": "amd64",
    "aarch64": "arm64",
    "i386": "386",
    "arm": "arm",
    "riscv64": "riscv64",
    "ppc64le": "ppc64le",
    "ppc64": "ppc64",
    "s390x": "s390x",
    "mips": "mips",
    "mipsle": "mipsle",
    "mips64": "mips64",
    "mips64le": "mips64le",
    "loongarch64": "loong64",
}


class Platform(Record):
    os: str
    architecture: str
    variant: str | None = None

    def __str__(self) -> str:
        parts = (self.os, self.architecture, self.variant)
        return "/".join(p for p in parts if p)

    def as_json(self) -> dict[str, str]:
        shown = {"architecture": self.architecture, "os": self.os}
        if self.variant:
            shown["variant"] = self.variant
        return shown


def binary_platform(binary: str) -> Platform:
    """The platform ``binary`` runs on; a :class:`UsageError` for one a scratch image
    cannot run (dynamic, not Linux, an architecture OCI has no name for)."""
    facts = inspect_elf(binary)
    if not facts.is_static:
        raise UsageError(f"{binary}: dynamically linked; a scratch image has no loader for it")
    goos = facts.go.setting("GOOS") if facts.go else None
    if goos not in (None, "linux"):
        raise UsageError(f"{binary}: built for {goos}; an OCI scratch image runs Linux binaries")
    architecture = _ARCHITECTURES.get(facts.machine)
    if architecture is None:
        raise UsageError(f"{binary}: no OCI architecture name for the machine {facts.machine}")
    variant = None
    goarm = facts.go.setting("GOARM") if facts.go else None
    if architecture == "arm" and goarm:
        # Since Go 1.22 GOARM may carry a float mode: "7,softfloat".
        variant = "v" + goarm.split(",", 1)[0]
    return Platform("linux", architecture, variant)
