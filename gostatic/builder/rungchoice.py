"""Which rungs one package tries, in which order, and why a rung is skipped.

A *strategy* (gostatic.strategies) is a named, fixed way to ask go for a static binary;
the *ladder* is the order they are tried in (the standard one, or a project's); a *rung*
is one strategy in its place on one package's ladder. :func:`choose_rungs` orders the
rungs; :func:`skip_reason` says which of them cannot apply to the build's target.

Skipping a rung that cannot work saves a build, and for some rungs prevents a wrong
answer: with -buildmode=pie, external-static links without complaint but quietly drops
the PIE (measured: ELF type EXEC), and the host's gcc cannot compile cgo for another GOARCH.
"""

from __future__ import annotations

from gostatic.records import TYPE_CHECKING
from gostatic.strategies import (
    CGO_OFF,
    EXTERNAL_STATIC,
    NETGO,
    PLAIN,
    STATIC_PIE,
    Strategy,
    is_strategy_name,
    strategy_named,
)
from gostatic.targets import Target
from gostatic.toolchains import (
    INSTALL_HINT,
    INSTALL_MUSL,
    INSTALL_ZIG,
    ZIG_ARCH,
    Toolchains,
    host_goarch,
    host_goos,
)

if TYPE_CHECKING:
    from collections.abc import Mapping


def choose_rungs(
    ladder: tuple[Strategy, ...],
    *,
    forced: str | None = None,
    pinned: str | None = None,
    cached: str | None = None,
    predicted: str | None = None,
    stamped: str | None = None,
) -> tuple[Strategy, ...]:
    """The rungs one package tries, in order.

    ``forced`` (--strategy) or else ``pinned`` (the project's pin) is the only rung; both
    are names gostatic validated, and an unknown one is a usage error. Otherwise the
    project's ``ladder``, started at the first of these that names a rung of it: the
    strategy the cache says worked for this package and toolchain (``cached``), the one
    the import graph predicts (``predicted``), the stage's last winner (``stamped``).
    Those three are untrusted (read from files, or derived from them): they are only
    looked up, and a name that is not on the ladder is ignored.
    """
    only = forced or pinned
    if only is not None:
        return (strategy_named(only),)
    for name in (cached, predicted, stamped):
        first = _on_ladder(name, ladder)
        if first is not None:
            return (first, *(s for s in ladder if s is not first))
    return ladder


def _on_ladder(name: str | None, ladder: tuple[Strategy, ...]) -> Strategy | None:
    """The strategy of that name if ``ladder`` has it; an untrusted name is only looked up."""
    if name is None or not is_strategy_name(name):
        return None
    strategy = strategy_named(name)
    return strategy if strategy in ladder else None


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


def cgo_forbidden_reason(strategy: Strategy, env: Mapping[str, str]) -> str | None:
    """Why a rung that turns cgo on is not run: the user set CGO_ENABLED=0, and a binary
    built with cgo against that is not what was asked for (purego's programs, which the
    graph calls pure Go, come out dynamic without cgo and static with it)."""
    if env.get("CGO_ENABLED") != "0" or ("CGO_ENABLED", "1") not in strategy.overlay.env:
        return None
    return (
        "CGO_ENABLED=0 is set: this rung turns cgo on, which gostatic does not do against "
        "it (unset CGO_ENABLED, or give --strategy, to let it)"
    )


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
