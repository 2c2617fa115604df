"""gostatic's own options on a build command line, each declared once, in a table.

The table drives both ways in: the hand-written parser below, which `gostatic build` runs
on every Makefile target without typer (gostatic.builder.entry), and the typer command that
shows the options in `gostatic build --help` and completes them (gostatic.cli.build, through
gostatic.cli.optiontable). A command that builds and takes options of its own (an `image`
command, say) declares a table ``BUILD_OPTIONS + (its options...)`` and passes it to the
same functions: :func:`parse_command` gives it the build's request and its own options'
values, and ``with_own_options(table)`` its typer help.

Everything else on the command line is go build's: gostatic's options may stand anywhere
among go's flags, up to ``--`` or the first package, where go's flag package stops too.
"""

from __future__ import annotations

from gostatic.builder.results import BuildOptions, BuildRequest
from gostatic.errors import UsageError
from gostatic.go.flags import parse_build_args, takes_next_argument
from gostatic.records import TYPE_CHECKING, Record
from gostatic.strategies import NAMES, strategy_named

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence
    from typing import Any


class OwnOption(Record):
    """One of gostatic's own options."""

    flag: str  # as typed: "--strategy"
    field: str  # the option's name in the parsed values: a BuildOptions field, for build's
    help: str
    takes_value: bool = False  # else a switch, True when given
    metavar: str | None = None  # how help shows the value (None: typer's default)
    choices: tuple[str, ...] = ()  # the values the shell completes
    repeated: bool = False  # a value option given any number of times: a tuple of them


JSON = OwnOption("--json", "json", "Print one JSON document on stdout.")
CACHE_DIR = OwnOption(
    "--cache-dir",
    "cache_dir",
    "Cache directory (default: $GOSTATIC_CACHE_DIR, else $XDG_CACHE_HOME/gostatic).",
    takes_value=True,
    metavar="DIR",
)

# In the order `gostatic build --help` shows them. Each field is a BuildOptions field.
BUILD_OPTIONS: tuple[OwnOption, ...] = (
    JSON,
    OwnOption(
        "--strategy",
        "strategy",
        f"Use this strategy only ({', '.join(NAMES)}).",
        takes_value=True,
        choices=NAMES,
    ),
    OwnOption("--strict", "strict", "Treat hazards (NSS, dlopen) as failure."),
    OwnOption("--quiet", "quiet", "Print only errors and warnings."),
    OwnOption("--no-cache", "no_cache", "Neither read nor write the strategy cache."),
    CACHE_DIR,
    OwnOption("--pin", "pin", "Pin each package's winning strategy in gostatic.toml."),
    OwnOption(
        "--smoke", "smoke", "Run each built binary in an empty root; arguments after -- go to it."
    ),
    OwnOption(
        "--smoke-env",
        "smoke_env",
        "With --smoke: set NAME=VALUE in the program's otherwise empty environment (repeatable).",
        takes_value=True,
        metavar="NAME=VALUE",
        repeated=True,
    ),
)

_HELP = frozenset({"-h", "-help", "--help"})


def asks_for_help(argv: Sequence[str], table: Sequence[OwnOption] = BUILD_OPTIONS) -> bool:
    """Whether a help flag stands among the build flags: before ``--`` and the first package,
    and not as a flag's value. After them it belongs to go or, with --smoke, to the program."""
    takes_value = {o.flag for o in table if o.takes_value}
    i = 0
    while i < len(argv):
        arg = argv[i]
        if arg in _HELP:
            return True
        if arg in ("--", "-") or not arg.startswith("-"):
            return False
        if arg in takes_value or takes_next_argument(arg):
            i += 1
        i += 1
    return False


def wants_json(argv: Sequence[str], given: Mapping[str, object] | None = None) -> bool:
    """Whether the command line asks for --json anywhere before a ``--`` (after one, it is
    the program's, with --smoke): even where it is refused (after the packages), the
    refusal is then told in a JSON document."""
    before = argv[: list(argv).index("--")] if "--" in argv else argv
    return JSON.flag in before or bool((given or {}).get(JSON.field))


def split_own_options(
    argv: Sequence[str], table: Sequence[OwnOption] = BUILD_OPTIONS
) -> tuple[dict[str, object], list[str]]:
    """Take the table's options out of a build command line, wherever they stand among the
    flags; stop at ``--`` or the first package, as go does. Returns their values by field
    (True for a switch, the text for a value) and the rest, in order."""
    by_flag = {o.flag: o for o in table}
    own: dict[str, object] = {}
    rest: list[str] = []
    i = 0
    in_flags = True
    while i < len(argv):
        arg = argv[i]
        option = by_flag.get(arg.partition("=")[0]) if in_flags else None
        if option is not None and (option.takes_value or "=" not in arg):
            i = _take(option, argv, i, own)
        elif in_flags and takes_next_argument(arg) and i + 1 < len(argv):
            rest += [arg, argv[i + 1]]  # `-o app`: app is a value, not the first package
            i += 1
        else:
            if arg == "--" or not arg.startswith("-"):
                in_flags = False
            rest.append(arg)
        i += 1
    return own, rest


def _take(option: OwnOption, argv: Sequence[str], i: int, own: dict[str, object]) -> int:
    """Put the value of ``option``, given at ``argv[i]``, in ``own``; return the index of
    the option's last argument (its value's, when that is the next one)."""
    if not option.takes_value:
        own[option.field] = True  # a switch is only ever given bare: `--json=x` is go's
        return i
    name, eq, value = argv[i].partition("=")
    if not eq:
        if i + 1 >= len(argv):
            raise UsageError(f"{name} needs a value")
        i += 1
        value = argv[i]
    if option.repeated:
        earlier = own.get(option.field, ())
        own[option.field] = (*(earlier if isinstance(earlier, tuple) else ()), value)
    else:
        own[option.field] = value
    return i


def split_program_args(go_argv: Sequence[str]) -> tuple[list[str], list[str]]:
    """With --smoke, everything after the first ``--`` is the program's, not go build's."""
    if "--" not in go_argv:
        return list(go_argv), []
    at = list(go_argv).index("--")
    return list(go_argv[:at]), list(go_argv[at + 1 :])


def build_options(own: Mapping[str, object], program_args: Sequence[str] = ()) -> BuildOptions:
    """The build's options from parsed values (:func:`split_own_options`' by field); a
    field not given keeps BuildOptions' default. An unknown strategy is a usage error here,
    before any build."""
    values: dict[str, Any] = {
        o.field: _value(o, own[o.field]) for o in BUILD_OPTIONS if o.field in own
    }
    options = BuildOptions(**values, program_args=tuple(program_args))
    if options.strategy is not None:
        strategy_named(options.strategy)
    for setting in options.smoke_env:
        name, eq, _ = setting.partition("=")
        if not eq or not name:
            raise UsageError(f"--smoke-env takes NAME=VALUE, not {setting!r}")
    return options


def _value(option: OwnOption, given: object) -> object:
    """An option's parsed value as BuildOptions holds it."""
    if not option.takes_value:
        return bool(given)
    if option.repeated:
        return tuple(str(v) for v in given) if isinstance(given, tuple) else (str(given),)
    return str(given)


def parse_command(
    argv: Sequence[str],
    env: Mapping[str, str],
    cwd: str,
    table: Sequence[OwnOption] = BUILD_OPTIONS,
    given: Mapping[str, object] | None = None,
) -> tuple[BuildRequest, dict[str, object]]:
    """A command line that builds (what follows the command's name) as a build request,
    with the values of all of ``table``'s options by field: a command that adds options to
    build's reads its own there. ``given``: values typer parsed already (see
    gostatic.cli.optiontable), which those on the command line override."""
    own, go_argv = split_own_options(argv, table)
    own = {**(given or {}), **own}
    program_args: list[str] = []
    if own.get("smoke"):
        go_argv, program_args = split_program_args(go_argv)
    _refuse_misplaced(go_argv, table)
    options = build_options(own, program_args)
    return BuildRequest(parse_build_args(go_argv), options, env, cwd), own


def _refuse_misplaced(go_argv: Sequence[str], table: Sequence[OwnOption]) -> None:
    """Refuse one of ``table``'s options left among go's arguments: every one before the
    packages was taken out, so this one stands after them, where go would take it for a
    package, and only after building what came before."""
    for arg in go_argv:
        name = arg.partition("=")[0]
        for option in table:
            if arg == option.flag or (option.takes_value and name == option.flag):
                raise UsageError(f"{option.flag} must come before the packages")


def build_request(
    argv: Sequence[str],
    env: Mapping[str, str],
    cwd: str,
    given: Mapping[str, object] | None = None,
) -> BuildRequest:
    """A `gostatic build` command line (after "build") as a request."""
    request, _ = parse_command(argv, env, cwd, BUILD_OPTIONS, given)
    return request
