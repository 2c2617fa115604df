"""Flag parsing and merging: pure functions, checked against go's documented rules."""

from __future__ import annotations

import pytest

from gostatic.errors import UsageError
from gostatic.go.flags import (
    Overlay,
    apply_overlay,
    check_writes_a_program,
    goflags_entries,
    join_quoted,
    merge_ldflags,
    merge_tags,
    parse_build_args,
    split_quoted,
    split_tags,
)
from gostatic.strategies import CGO_OFF, EXTERNAL_STATIC, NETGO, PLAIN


def test_parse_splits_flags_from_packages_like_go() -> None:
    args = parse_build_args(["-o", "bin/", "-v", "--trimpath", "-tags=a,b", "./cmd/...", "./x"])
    assert [f.name for f in args.flags] == ["o", "v", "trimpath", "tags"]
    assert args.output == "bin/"
    assert args.packages == ("./cmd/...", "./x")


def test_a_flag_after_the_packages_is_a_usage_error() -> None:
    # go's flag parsing stops at the first package, and go then rejects "-x" as an import
    # path, after building the rest: refused before anything runs.
    with pytest.raises(UsageError, match=r'"-x": leading dash'):
        parse_build_args(["-o", "bin/", "./cmd/...", "-x"])


def test_parse_value_flag_forms_are_equivalent() -> None:
    a = parse_build_args(["-ldflags", "-s -w", "."])
    b = parse_build_args(["-ldflags=-s -w", "."])
    c = parse_build_args(["--ldflags", "-s -w", "."])
    assert a.flags == b.flags == c.flags


def test_parse_double_dash_ends_flags() -> None:
    args = parse_build_args(["-v", "--", "./-weird-dir"])
    assert args.packages == ("./-weird-dir",)
    # go takes no import path that starts with a dash, after -- too.
    with pytest.raises(UsageError, match="leading dash"):
        parse_build_args(["-v", "--", "-weird-dir"])


def test_parse_missing_value_is_usage_error() -> None:
    with pytest.raises(UsageError):
        parse_build_args(["-o"])


def test_last_flag_wins_like_go() -> None:
    args = parse_build_args(["-tags=a", "-tags=b", "."])
    assert args.last("tags") == "b"


@pytest.mark.parametrize(
    ("text", "tokens"),
    [
        ("-s -w", ["-s", "-w"]),
        ("-X 'main.version=1.2 beta'", ["-X", "main.version=1.2 beta"]),
        ('-X "main.v=it\'s"', ["-X", "main.v=it's"]),
        ("  -s\t-w  ", ["-s", "-w"]),
        ("", []),
    ],
)
def test_split_quoted_follows_go(text: str, tokens: list[str]) -> None:
    assert split_quoted(text) == tokens


def test_split_quoted_unterminated_is_usage_error() -> None:
    with pytest.raises(UsageError):
        split_quoted("-X 'main.v=1")


@pytest.mark.parametrize(
    "tokens",
    [["-s", "-w"], ["-X", "main.version=1.2 beta"], ["-X", "main.v=it's ok"], ['a"b c']],
)
def test_join_then_split_round_trips(tokens: list[str]) -> None:
    assert split_quoted(join_quoted(tokens)) == tokens


def test_join_refuses_both_quote_kinds() -> None:
    with pytest.raises(UsageError):
        join_quoted(['it\'s "both"'])


def test_tags_comma_and_legacy_space_forms() -> None:
    assert split_tags("a,b") == ["a", "b"]
    assert split_tags("a b") == ["a", "b"]
    assert merge_tags(["mytag", "netgo"], ["netgo", "osusergo"]) == ["mytag", "netgo", "osusergo"]


def test_merge_ldflags_keeps_user_flags_and_quoting() -> None:
    merged = merge_ldflags("-s -w -X 'main.version=1.2 beta'", "external", ["-static"])
    assert split_quoted(merged) == [
        "-s",
        "-w",
        "-X",
        "main.version=1.2 beta",
        "-linkmode=external",
        "-extldflags",
        "-static",
    ]


def test_merge_ldflags_folds_user_extldflags_into_one() -> None:
    merged = merge_ldflags("-extldflags '-Wl,--build-id -lm' -s", "external", ["-static"])
    tokens = split_quoted(merged)
    assert tokens.count("-extldflags") == 1
    ext = tokens[tokens.index("-extldflags") + 1]
    assert split_quoted(ext) == ["-Wl,--build-id", "-lm", "-static"]
    assert "-s" in tokens


def test_merge_ldflags_does_not_mistake_a_value_for_a_flag() -> None:
    # "-linkmode=internal" here is the value of -X, not a linker flag.
    merged = merge_ldflags("-X main.mode=-linkmode=internal", "external", [])
    assert split_quoted(merged) == ["-X", "main.mode=-linkmode=internal", "-linkmode=external"]


def test_merge_ldflags_replaces_user_linkmode() -> None:
    merged = merge_ldflags("-linkmode internal -s", "external", ["-static"])
    tokens = split_quoted(merged)
    assert "internal" not in tokens
    assert tokens.count("-linkmode=external") == 1


def _ldflags(argv: list[str]) -> list[str]:
    return [a.split("=", 1)[1] for a in argv if a.startswith("-ldflags=")]


def test_apply_plain_passes_user_flags_through() -> None:
    args = parse_build_args(["-trimpath", "-ldflags", "-s -w", "-o", "out", "./cmd/x"])
    argv = apply_overlay(args, "", PLAIN.overlay, "/stage/x")
    assert argv == ["-trimpath", "-ldflags=-s -w", "-o", "/stage/x"]


def test_apply_netgo_merges_user_tags() -> None:
    args = parse_build_args(["-tags", "mytag", "."])
    argv = apply_overlay(args, "", NETGO.overlay, None)
    assert "-tags=mytag,netgo,osusergo" in argv
    assert sum(a.startswith("-tags") for a in argv) == 1


def test_apply_takes_tags_from_goflags_when_not_on_command_line() -> None:
    args = parse_build_args(["."])
    argv = apply_overlay(args, "-tags=fromenv -mod=mod", NETGO.overlay, None)
    assert "-tags=fromenv,netgo,osusergo" in argv


def test_command_line_tags_shadow_goflags_tags_as_in_go() -> None:
    args = parse_build_args(["-tags=cli", "."])
    argv = apply_overlay(args, "-tags=fromenv", NETGO.overlay, None)
    assert "-tags=cli,netgo,osusergo" in argv


def test_apply_external_static_merges_into_every_ldflags_value() -> None:
    args = parse_build_args(["-ldflags=all=-s", "-ldflags", "-X 'main.v=1 2'", "."])
    argv = apply_overlay(args, "", EXTERNAL_STATIC.overlay, None)
    values = _ldflags(argv)
    assert len(values) == 2
    assert values[0].startswith("all=")
    for value in values:
        flags = value.split("=", 1)[1] if value.startswith("all=") else value
        tokens = split_quoted(flags)
        assert "-linkmode=external" in tokens
        assert split_quoted(tokens[tokens.index("-extldflags") + 1]) == ["-static"]
    assert "main.v=1 2" in split_quoted(values[1])


def test_apply_external_static_without_user_ldflags() -> None:
    argv = apply_overlay(parse_build_args(["."]), "", EXTERNAL_STATIC.overlay, None)
    assert _ldflags(argv) == ["-linkmode=external -extldflags -static"]


def test_apply_carries_goflags_ldflags_into_the_merge() -> None:
    argv = apply_overlay(parse_build_args(["."]), "-ldflags=-w", EXTERNAL_STATIC.overlay, None)
    assert split_quoted(_ldflags(argv)[0])[0] == "-w"


def test_apply_keeps_C_first() -> None:
    args = parse_build_args(["-C", "sub", "-v", "."])
    argv = apply_overlay(args, "", CGO_OFF.overlay, "/s/x")
    assert argv[0] == "-C=sub"


def test_overlay_env_only_sets_what_the_strategy_needs() -> None:
    from gostatic.go.flags import overlay_env

    env = overlay_env({"PATH": "/bin", "CGO_ENABLED": "1"}, Overlay(env=(("CGO_ENABLED", "0"),)))
    assert env == {"PATH": "/bin", "CGO_ENABLED": "0"}


@pytest.mark.parametrize("mode", ["c-shared", "c-archive", "archive", "shared", "plugin"])
@pytest.mark.parametrize("form", [["-buildmode={}"], ["-buildmode", "{}"], ["--buildmode={}"]])
def test_build_modes_without_an_executable_are_usage_errors(mode: str, form: list[str]) -> None:
    argv = [part.format(mode) for part in form] + ["./cmd/x"]
    with pytest.raises(UsageError) as info:
        parse_build_args(argv)
    assert info.value.exit_status == 2
    assert f"-buildmode={mode} builds" in info.value.message
    assert "not an executable" in info.value.message


@pytest.mark.parametrize("mode", ["exe", "pie", "default"])
def test_build_modes_with_an_executable_pass(mode: str) -> None:
    assert parse_build_args([f"-buildmode={mode}", "."]).last("buildmode") == mode


def test_the_last_buildmode_is_the_one_checked_as_in_go() -> None:
    assert parse_build_args(["-buildmode=plugin", "-buildmode=exe", "."]).last("buildmode") == "exe"
    with pytest.raises(UsageError):
        parse_build_args(["-buildmode=exe", "-buildmode=plugin", "."])


def test_goflags_buildmode_is_refused_unless_the_command_line_sets_one() -> None:
    goflags = "-trimpath -buildmode=c-shared"
    with pytest.raises(UsageError) as info:
        check_writes_a_program(parse_build_args(["."]), goflags)
    assert info.value.message.startswith("GOFLAGS sets -buildmode=c-shared, which builds")
    # go: the command line wins.
    check_writes_a_program(parse_build_args(["-buildmode=exe", "."]), goflags)
    # Reading GOFLAGS' entries for other purposes never raises.
    assert [f.name for f in goflags_entries(goflags)] == ["trimpath", "buildmode"]


@pytest.mark.parametrize("flag", ["-n", "--n", "-n=true", "-n=T", "-n=1"])
def test_a_dry_run_is_refused_it_writes_no_program(flag: str) -> None:
    with pytest.raises(UsageError) as info:
        parse_build_args([flag, "."])
    assert "-n prints go's commands without running them" in info.value.message


def test_a_dry_run_turned_off_or_set_in_goflags() -> None:
    assert parse_build_args(["-n=false", "."]).last("n") == "false"
    with pytest.raises(UsageError) as info:
        check_writes_a_program(parse_build_args(["."]), "-trimpath -n")
    assert info.value.message.startswith("GOFLAGS sets -n, which prints")
    check_writes_a_program(parse_build_args(["-n=false", "."]), "-n")  # the command line wins
