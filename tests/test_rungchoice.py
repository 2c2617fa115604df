"""Which rungs one package tries, in which order; which apply to which target, and what
gets said when one does not: pure functions."""

from __future__ import annotations

import itertools

import pytest

from gostatic.builder.rungchoice import choose_rungs, musl_alternatives, skip_reason, toolchain_env
from gostatic.errors import UsageError
from gostatic.go.env import GoEnv
from gostatic.go.flags import apply_overlay, parse_build_args
from gostatic.strategies import (
    CGO_OFF,
    EXTERNAL_STATIC,
    LADDER,
    MUSL_STATIC,
    NETGO,
    PLAIN,
    STATIC_PIE,
    ZIG_STATIC,
    Strategy,
    strategy_named,
)
from gostatic.targets import Target, non_elf_message, target_of
from gostatic.toolchains import fixed_toolchains, host_goarch

HOST = Target(goos="linux", goarch=host_goarch(), pie=False, cross=False, own_cc=False)
PIE = Target(goos="linux", goarch=host_goarch(), pie=True, cross=False, own_cc=False)
ARM64 = Target(goos="linux", goarch="arm64", pie=False, cross=True, own_cc=False)
ZIG = ("/opt/zig/zig",)
ALL_TOOLS = fixed_toolchains(musl_gcc="/usr/bin/musl-gcc", zig=ZIG, glibc_static=True)
NO_TOOLS = fixed_toolchains(musl_gcc=None, zig=None, glibc_static=True)


def _applying(target: Target) -> list[str]:
    return [s.name for s in LADDER if skip_reason(s, target, ALL_TOOLS) is None]


def test_new_strategies_are_validated_names() -> None:
    for name in ("static-pie", "musl-static", "zig-static"):
        assert strategy_named(name).name == name
    with pytest.raises(UsageError):
        strategy_named("zig cc -target x86_64-linux-musl")


def test_host_build_tries_every_rung_but_static_pie() -> None:
    assert _applying(HOST) == [
        "plain",
        "netgo",
        "cgo-off",
        "external-static",
        "musl-static",
        "zig-static",
    ]
    assert skip_reason(STATIC_PIE, HOST, ALL_TOOLS) == "only for -buildmode=pie"


def test_pie_build_tries_only_static_pie_and_says_why() -> None:
    assert _applying(PIE) == ["static-pie"]
    for strategy in (PLAIN, NETGO, CGO_OFF):
        assert "go's own link of a PIE" in (skip_reason(strategy, PIE, ALL_TOOLS) or "")
    assert "non-PIE" in (skip_reason(EXTERNAL_STATIC, PIE, ALL_TOOLS) or "")


def test_forced_strategy_ignores_the_ladder_shape_but_not_missing_tools() -> None:
    assert skip_reason(STATIC_PIE, HOST, ALL_TOOLS, forced=True) is None
    assert skip_reason(PLAIN, PIE, ALL_TOOLS, forced=True) is None
    assert "apt-get install musl-tools" in (
        skip_reason(MUSL_STATIC, HOST, NO_TOOLS, forced=True) or ""
    )


def test_cross_cgo_goes_to_zig_only() -> None:
    assert _applying(ARM64) == ["plain", "netgo", "cgo-off", "zig-static"]
    assert "not this host's" in (skip_reason(EXTERNAL_STATIC, ARM64, ALL_TOOLS) or "")
    assert "GOARCH=arm64" in (skip_reason(MUSL_STATIC, ARM64, ALL_TOOLS) or "")


def test_users_own_cross_compiler_keeps_external_static() -> None:
    own = Target(goos="linux", goarch="arm64", pie=False, cross=True, own_cc=True)
    assert skip_reason(EXTERNAL_STATIC, own, ALL_TOOLS) is None


def test_missing_toolchains_say_what_to_install() -> None:
    assert "apt-get install musl-tools" in (skip_reason(MUSL_STATIC, HOST, NO_TOOLS) or "")
    assert "pip install ziglang" in (skip_reason(ZIG_STATIC, HOST, NO_TOOLS) or "")
    no_libc = fixed_toolchains(musl_gcc=None, zig=None, glibc_static=False)
    reason = skip_reason(EXTERNAL_STATIC, HOST, no_libc) or ""
    assert "libc.a" in reason and "musl-tools" in reason and "ziglang" in reason
    assert musl_alternatives(LADDER, HOST, NO_TOOLS) == ()
    assert musl_alternatives(LADDER, HOST, ALL_TOOLS) == (MUSL_STATIC, ZIG_STATIC)


def test_zig_needs_a_known_target() -> None:
    mips = Target(goos="linux", goarch="mips64le", pie=False, cross=True, own_cc=False)
    assert "no zig target" in (skip_reason(ZIG_STATIC, mips, ALL_TOOLS) or "")
    freebsd = Target(goos="freebsd", goarch="amd64", pie=False, cross=True, own_cc=False)
    assert "linux only" in (skip_reason(ZIG_STATIC, freebsd, ALL_TOOLS) or "")


def test_zig_cc_is_built_from_what_is_installed_for_the_target() -> None:
    env = toolchain_env(ZIG_STATIC, ARM64, ALL_TOOLS)
    assert env["CC"] == "/opt/zig/zig cc -target aarch64-linux-musl"
    assert env["CXX"] == "/opt/zig/zig c++ -target aarch64-linux-musl"
    assert toolchain_env(MUSL_STATIC, HOST, ALL_TOOLS) == {"CC": "/usr/bin/musl-gcc"}
    assert toolchain_env(EXTERNAL_STATIC, HOST, ALL_TOOLS) == {}


def _goenv(goarch: str = "amd64", goflags: str = "", cc: str = "gcc") -> GoEnv:
    return GoEnv("linux", goarch, "go1.26", cc, True, "", goflags)


def test_target_reads_buildmode_from_flags_or_goflags() -> None:
    assert target_of(_goenv(), parse_build_args(["-buildmode=pie", "."])).pie
    assert target_of(_goenv(goflags="-buildmode=pie"), parse_build_args(["."])).pie
    # The command line wins over GOFLAGS, as in go.
    assert not target_of(
        _goenv(goflags="-buildmode=pie"), parse_build_args(["-buildmode=exe", "."])
    ).pie
    assert target_of(_goenv(cc="aarch64-linux-gnu-gcc"), parse_build_args([])).own_cc
    assert not target_of(_goenv(cc="gcc"), parse_build_args([])).own_cc


def test_static_pie_sets_buildmode_pie_once() -> None:
    argv = apply_overlay(
        parse_build_args(["-buildmode=exe", "-o", "x", "."]), "", STATIC_PIE.overlay, "out"
    )
    assert [a for a in argv if a.startswith("-buildmode")] == ["-buildmode=pie"]
    assert "-ldflags=-linkmode=external -extldflags -static-pie" in argv


@pytest.mark.parametrize(
    ("goos", "words"),
    [("windows", "PE (Windows)"), ("darwin", "Mach-O (macOS)"), ("js", "WebAssembly")],
)
def test_non_elf_message_names_the_format(goos: str, words: str) -> None:
    message = non_elf_message(goos)
    assert f"GOOS={goos} produces {words} binaries" in message
    assert "static verification does not apply" in message


def _names(rungs: tuple[Strategy, ...]) -> list[str]:
    return [s.name for s in rungs]


# A project's ladder that leaves some strategies out and reorders the rest.
PROJECT = (CGO_OFF, PLAIN, EXTERNAL_STATIC)


def test_without_any_hint_the_ladder_is_climbed_as_it_is() -> None:
    assert choose_rungs(LADDER) == LADDER
    assert choose_rungs(PROJECT) == PROJECT


def test_the_first_hint_on_the_ladder_goes_first_and_the_rest_keep_their_order() -> None:
    assert _names(choose_rungs(LADDER, cached="external-static")) == [
        "external-static", "plain", "netgo", "cgo-off", "static-pie", "musl-static", "zig-static",
    ]  # fmt: skip
    assert _names(choose_rungs(PROJECT, predicted="plain")) == [
        "plain",
        "cgo-off",
        "external-static",
    ]
    assert _names(choose_rungs(PROJECT, stamped="external-static")) == [
        "external-static", "cgo-off", "plain",
    ]  # fmt: skip


def test_the_cache_beats_the_prediction_which_beats_the_stamp() -> None:
    rungs = choose_rungs(PROJECT, cached="external-static", predicted="plain", stamped="cgo-off")
    assert rungs[0] is EXTERNAL_STATIC
    assert choose_rungs(PROJECT, predicted="plain", stamped="external-static")[0] is PLAIN


@pytest.mark.parametrize(
    "untrusted",
    ["netgo", "zig-static", "no-such-strategy", "-ldflags=-evil", "", "plain ", "PLAIN"],
)
def test_untrusted_names_off_the_ladder_are_ignored(untrusted: str) -> None:
    # netgo and zig-static are strategies, but not on this project's ladder.
    for hint in ("cached", "predicted", "stamped"):
        assert choose_rungs(PROJECT, **{hint: untrusted}) == PROJECT
    rungs = choose_rungs(PROJECT, cached=untrusted, predicted=untrusted, stamped="plain")
    assert rungs[0] is PLAIN


def test_forced_or_pinned_is_the_only_rung_on_the_ladder_or_not() -> None:
    hints = {"cached": "plain", "predicted": "plain", "stamped": "plain"}
    assert choose_rungs(PROJECT, forced="zig-static", **hints) == (ZIG_STATIC,)
    assert choose_rungs(PROJECT, pinned="netgo", **hints) == (NETGO,)
    assert choose_rungs(PROJECT, forced="cgo-off", pinned="netgo") == (CGO_OFF,)


def test_an_unknown_forced_or_pinned_name_is_a_usage_error() -> None:
    # Both were validated before (the command line, the project file): never silently ignored.
    with pytest.raises(UsageError, match="unknown strategy"):
        choose_rungs(LADDER, forced="-ldflags=-evil")
    with pytest.raises(UsageError, match="unknown strategy"):
        choose_rungs(LADDER, pinned="fast")


def test_every_choice_without_a_given_rung_is_the_ladder_reordered() -> None:
    names = [*(s.name for s in LADDER), "junk", None]
    for cached, predicted, stamped in itertools.product(names, repeat=3):
        for ladder in (LADDER, PROJECT):
            rungs = choose_rungs(ladder, cached=cached, predicted=predicted, stamped=stamped)
            assert sorted(_names(rungs)) == sorted(_names(ladder))
            first = next((n for n in (cached, predicted, stamped) if n in _names(ladder)), None)
            assert rungs[0].name == (first or ladder[0].name)
