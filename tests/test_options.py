"""gostatic's own build options, declared once (gostatic.builder.options): every option of the table
is taken by the typer-free parser, sets its field of the request, and shows in typer's help
with its own text; both ways in resolve the same request."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from gostatic.builder.options import (
    BUILD_OPTIONS,
    OwnOption,
    asks_for_help,
    build_request,
    parse_command,
    split_own_options,
)
from gostatic.builder.results import BuildOptions
from gostatic.errors import UsageError
from tests.support import run_gostatic

VALUE_OPTIONS = [o for o in BUILD_OPTIONS if o.takes_value]
ENV = {"PATH": "/usr/bin"}


def _value(option: OwnOption) -> str:
    # A value every option takes: a strategy's name, a directory, a NAME=VALUE setting.
    return option.choices[-1] if option.choices else "X=some/dir"


def _given(option: OwnOption) -> list[str]:
    return [option.flag, _value(option)] if option.takes_value else [option.flag]


def _parsed(option: OwnOption, value: str) -> object:
    """A value as the parser gives it: a repeated option's as a tuple of them."""
    return (value,) if option.repeated else value


def _expected(option: OwnOption) -> object:
    return _parsed(option, _value(option)) if option.takes_value else True


def _ids(options: list[OwnOption] | tuple[OwnOption, ...]) -> list[str]:
    return [o.flag for o in options]


def test_the_table_declares_each_option_once_for_a_build_option_field() -> None:
    flags = [o.flag for o in BUILD_OPTIONS]
    fields = [o.field for o in BUILD_OPTIONS]
    assert len(set(flags)) == len(flags) and len(set(fields)) == len(fields)
    assert all(re.fullmatch(r"--[a-z][a-z-]*", f) for f in flags)
    # Every field is BuildOptions'; every BuildOptions field but the program's arguments
    # (what follows -- with --smoke) has its option.
    assert set(BuildOptions._fields) - set(fields) == {"program_args"}
    for option in BUILD_OPTIONS:
        default = BuildOptions._field_defaults[option.field]
        unset = () if option.repeated else None if option.takes_value else False
        assert default == unset and type(default) is type(unset), option.flag


@pytest.mark.parametrize("option", BUILD_OPTIONS, ids=_ids(BUILD_OPTIONS))
def test_every_option_is_taken_wherever_it_stands_among_go_flags(option: OwnOption) -> None:
    expected = {option.field: _expected(option)}
    for argv in (
        [*_given(option), "-o", "app", "."],
        ["-o", "app", *_given(option), "."],
        ["-o=app", "-v", *_given(option), "./cmd/..."],
    ):
        own, go = split_own_options(argv)
        assert own == expected, argv
        assert go == [a for a in argv if a not in _given(option)]
    # After the first package, or as a go flag's value, it is go's.
    assert split_own_options([".", *_given(option)]) == ({}, [".", *_given(option)])
    assert split_own_options(["-o", option.flag, "."]) == ({}, ["-o", option.flag, "."])


@pytest.mark.parametrize("option", VALUE_OPTIONS, ids=_ids(VALUE_OPTIONS))
def test_a_value_comes_after_a_space_or_an_equals_sign_and_is_required(
    option: OwnOption,
) -> None:
    parsed = _parsed(option, "x")
    assert split_own_options([f"{option.flag}=x", "."]) == ({option.field: parsed}, ["."])
    with pytest.raises(UsageError, match=f"{option.flag} needs a value"):
        split_own_options(["-o", "app", option.flag])
    # A help flag in the value's place is the value, not a request for help.
    assert not asks_for_help([option.flag, "-h", "."])
    assert asks_for_help([option.flag, "x", "-h", "."])


def test_a_switch_given_a_value_is_left_to_go() -> None:
    for option in (o for o in BUILD_OPTIONS if not o.takes_value):
        assert split_own_options([f"{option.flag}=1", "."]) == ({}, [f"{option.flag}=1", "."])


@pytest.mark.parametrize("option", BUILD_OPTIONS, ids=_ids(BUILD_OPTIONS))
def test_every_option_sets_its_field_of_the_request(option: OwnOption) -> None:
    request = build_request([*_given(option), "-o", "app", "."], ENV, "/src")
    assert getattr(request.options, option.field) == _expected(option)
    others = {o.field for o in BUILD_OPTIONS} - {option.field}
    assert all(getattr(request.options, f) == BuildOptions._field_defaults[f] for f in others)
    assert request.go_args.packages == (".",) and request.go_args.output == "app"
    assert (request.env, request.cwd) == (ENV, "/src")


def test_smoke_takes_what_follows_double_dash_as_the_programs_arguments() -> None:
    request = build_request(["--smoke", "-o", "app", ".", "--", "--version", "-h"], ENV, "/")
    assert request.options.program_args == ("--version", "-h")
    assert request.go_args.packages == (".",)
    assert build_request(["-o", "app", "."], ENV, "/").options.program_args == ()


def test_an_unknown_strategy_is_a_usage_error_before_any_build() -> None:
    with pytest.raises(UsageError, match="unknown strategy"):
        build_request(["--strategy", "-ldflags=-evil", "."], ENV, "/")


def test_the_command_lines_own_options_win_over_values_given_by_typer() -> None:
    request = build_request(
        ["--strategy", "plain", "."], ENV, "/", {"strategy": "netgo", "pin": True}
    )
    assert (request.options.strategy, request.options.pin) == ("plain", True)


def _typer_build() -> object:
    import typer

    from gostatic.cli import app

    return typer.main.get_command(app).commands["build"]  # type: ignore[attr-defined]


def test_typer_declares_every_option_of_the_table_with_its_help() -> None:
    params = {p.name: p for p in getattr(_typer_build(), "params", [])}
    assert set(params) == {o.field for o in BUILD_OPTIONS}
    for option in BUILD_OPTIONS:
        param = params[option.field]
        assert param.opts == [option.flag]
        assert param.help == option.help
        assert param.is_flag is not option.takes_value
        if option.metavar is not None:
            assert param.metavar == option.metavar


@pytest.mark.parametrize(
    "argv",
    [
        ["--json", "--strategy", "netgo", "-o", "app", "."],
        ["-o", "app", "--strict", "--cache-dir", "c", "--no-cache", "--pin", "--quiet", "."],
        ["--strategy=cgo-off", "--smoke", "-trimpath", "./cmd/..."],
        ["-trimpath", "--json", "-tags", "x", "."],
    ],
)
def test_both_ways_in_resolve_the_same_request(argv: list[str]) -> None:
    from gostatic.cli.optiontable import given_values

    context = _typer_build().make_context("build", list(argv))  # type: ignore[attr-defined]
    by_typer = build_request(context.args, ENV, "/", given_values(context.params))
    assert by_typer == build_request(argv, ENV, "/")


def test_build_help_shows_every_option_with_its_help(
    tmp_path: Path, gostatic_env: dict[str, str]
) -> None:
    env = {**gostatic_env, "NO_COLOR": "1", "COLUMNS": "250", "TERM": "dumb"}
    run = run_gostatic(["build", "--help"], tmp_path, env)
    assert run.returncode == 0, run.stderr
    shown = " ".join(run.stdout.split())
    for option in BUILD_OPTIONS:
        assert option.flag in shown
        assert " ".join(option.help.split()) in shown, option.flag


# A command that builds and adds options of its own shares the table (not a real command:
# its options only show that the same functions serve it).
EXTRA = (
    OwnOption("--output", "output", "Where the result goes.", takes_value=True, metavar="PATH"),
    OwnOption("--add", "add", "Add SRC:DST.", takes_value=True, metavar="SRC:DST", repeated=True),
    OwnOption("--user", "user", "Run as this user.", takes_value=True),
)
SHARED = (*BUILD_OPTIONS, *EXTRA)


def test_a_command_that_adds_options_gets_the_build_request_and_its_own_values() -> None:
    argv = ["--add", "a:/a", "--json", "--output=img.tar", "--add=b:/b", "-o", "app", "."]
    request, own = parse_command(argv, ENV, "/src", SHARED)
    assert request == build_request(["--json", "-o", "app", "."], ENV, "/src")
    assert own == {"add": ("a:/a", "b:/b"), "json": True, "output": "img.tar"}
    # build itself does not take them: they are go's.
    assert split_own_options(["--user", "x", "."])[0] == {}
    assert not asks_for_help(["--user", "-h", "."], SHARED)


def test_a_command_that_adds_options_shows_them_all_in_typer_and_parses_as_the_parser() -> None:
    import typer
    from typer.testing import CliRunner

    from gostatic.cli.optiontable import given_values, with_own_options

    app = typer.Typer()
    seen: list[dict[str, object]] = []

    @app.command(context_settings={"allow_extra_args": True, "ignore_unknown_options": True})
    @with_own_options(SHARED)
    def image(ctx: typer.Context, **own: object) -> None:
        seen.append({"own": given_values(own), "args": ctx.args})

    shown = " ".join(CliRunner().invoke(app, ["--help"], env={"COLUMNS": "250"}).output.split())
    for option in SHARED:
        assert option.flag in shown and option.help in shown, option.flag
    argv = ["--add", "a:/a", "--json", "--output", "img.tar", "--add=b:/b", "-o", "app", "."]
    assert CliRunner().invoke(app, argv).exit_code == 0
    [call] = seen
    given, rest = call["own"], call["args"]
    assert isinstance(given, dict) and isinstance(rest, list)
    assert parse_command(rest, ENV, "/", SHARED, given) == parse_command(argv, ENV, "/", SHARED)
