"""The strategy ladder: named, fixed ways to ask `go build` for a static binary.

A strategy is only ever looked up by name (from the command line, the cache or a
project file); names never turn into raw flags, so a tampered cache cannot inject any.
"""

from __future__ import annotations

from gostatic.errors import UsageError
from gostatic.go.flags import Overlay
from gostatic.records import TYPE_CHECKING, Record

if TYPE_CHECKING:
    from typing import Literal, TypeAlias

    # A C toolchain other than go's default CC. Only a kind is named here: the command comes
    # from what gostatic finds installed (gostatic.toolchains), never from a file it reads.
    Toolchain: TypeAlias = Literal["musl-gcc", "zig"]

# The tags with which net and os/user compile without their cgo files.
PURE_GO_TAGS = ("netgo", "osusergo")


class Strategy(Record):
    name: str
    overlay: Overlay
    summary: str
    toolchain: Toolchain | None = None

    def cgo_on(self, default: bool) -> bool:
        """Whether this strategy's build has cgo on: its own CGO_ENABLED, else go's
        (``default``)."""
        value = dict(self.overlay.env).get("CGO_ENABLED")
        return default if value is None else value == "1"

    @property
    def links_statically(self) -> bool:
        """Whether the C linker makes the binary static (so pkg-config must name the
        libraries' private dependencies too: gostatic.cgo.pkgconfig)."""
        return self.overlay.linkmode == "external" and bool(
            {"-static", "-static-pie"} & set(self.overlay.extldflags)
        )


PLAIN = Strategy("plain", Overlay(), "go build as given")
NETGO = Strategy(
    "netgo",
    Overlay(tags=PURE_GO_TAGS),
    "tags netgo,osusergo: Go's own DNS resolver and user lookup instead of libc's",
)
CGO_OFF = Strategy(
    "cgo-off", Overlay(env=(("CGO_ENABLED", "0"),)), "CGO_ENABLED=0: no C code at all"
)
_CGO_STATIC = Overlay(
    tags=PURE_GO_TAGS,
    linkmode="external",
    extldflags=("-static",),
    env=(("CGO_ENABLED", "1"),),
)
EXTERNAL_STATIC = Strategy(
    "external-static",
    _CGO_STATIC,
    "cgo kept, linked by the C linker with -static (tags netgo,osusergo keep glibc's NSS out)",
)

STATIC_PIE = Strategy(
    "static-pie",
    Overlay(
        tags=PURE_GO_TAGS,
        linkmode="external",
        extldflags=("-static-pie",),
        env=(("CGO_ENABLED", "1"),),
        buildmode="pie",
    ),
    "for -buildmode=pie: the C linker makes a static PIE (no interpreter, still relocatable)",
)
# The musl rungs also set the conventional `musl` tag, with which cgo packages that ship
# archives for both C libraries pick musl's (confluent-kafka-go's librdkafka).
_MUSL_STATIC = _CGO_STATIC._replace(tags=(*PURE_GO_TAGS, "musl"))
MUSL_STATIC = Strategy(
    "musl-static",
    _MUSL_STATIC,
    "as external-static, with CC=musl-gcc and tag musl: musl's libc.a, no NSS loader",
    toolchain="musl-gcc",
)
ZIG_STATIC = Strategy(
    "zig-static",
    _MUSL_STATIC,
    "as external-static, with CC='zig cc -target ARCH-linux-musl' and tag musl: static cgo "
    "for any GOARCH",
    toolchain="zig",
)

# The rungs after external-static are tried only where they apply (gostatic.builder.rungchoice):
# static-pie only for -buildmode=pie, the musl toolchains only when installed and not for a
# PIE. musl-gcc comes before zig as the quicker one: zig builds musl itself on first use.
LADDER: tuple[Strategy, ...] = (
    PLAIN,
    NETGO,
    CGO_OFF,
    EXTERNAL_STATIC,
    STATIC_PIE,
    MUSL_STATIC,
    ZIG_STATIC,
)
_BY_NAME = {s.name: s for s in LADDER}
NAMES: tuple[str, ...] = tuple(_BY_NAME)


def is_strategy_name(name: object) -> bool:
    return isinstance(name, str) and name in _BY_NAME


def strategy_named(name: str) -> Strategy:
    try:
        return _BY_NAME[name]
    except KeyError:
        raise UsageError(f"unknown strategy {name!r}; choose one of: {', '.join(NAMES)}") from None
