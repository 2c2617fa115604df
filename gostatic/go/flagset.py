"""Every flag `go build` takes, from Go 1.20 to 1.27, and the values go's flag package
accepts for each: a command line go would reject is a usage error before anything runs,
in gostatic's own words, instead of `go list`'s usage text after a `go env`.

The table is the union over those releases (cmd/go/internal/work's AddBuildFlags and
AddCoverFlags, base.AddBuildFlagsNX, AddChdirFlag, AddModFlag and AddModCommonFlags, and
build's own -o); a flag a release lacks (-json before 1.24) is left to that go to refuse.
"""

from __future__ import annotations

from gostatic.errors import UsageError
from gostatic.records import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Sequence

# Given bare (`-trimpath`) or as `-flag=BOOL`; never take the next argument.
BOOL_FLAGS = frozenset(
    {
        "a", "n", "x", "v", "work", "race", "msan", "asan", "cover", "json",
        "linkshared", "modcacherw", "trimpath",
        "buildvcs",  # also "auto", and bare means true
    }
)  # fmt: skip

# Take a value, as `-flag value` or `-flag=value`.
VALUE_FLAGS = frozenset(
    {
        "o", "C", "p", "asmflags", "buildmode", "compiler", "gccgoflags", "gcflags",
        "installsuffix", "ldflags", "mod", "modfile", "overlay", "pgo", "pkgdir", "tags",
        "toolexec", "covermode", "coverpkg",
        # Undocumented debugging flags, but go takes them.
        "debug-actiongraph", "debug-runtime-trace", "debug-trace",
    }
)  # fmt: skip

_INT_FLAGS = frozenset({"p"})
# Flags whose value go's flag package checks as it parses (the others' values are
# checked later, by go build itself, in its own words).
_CHOICES = {"compiler": ("gc", "gccgo"), "covermode": ("set", "count", "atomic")}

# What Go's strconv.ParseBool accepts, as the flag package reads `-flag=VALUE`.
_BOOLS = frozenset(
    {"1", "t", "T", "TRUE", "true", "True", "0", "f", "F", "FALSE", "false", "False"}
)


def flag_name(arg: str) -> str | None:
    """The name of the go flag ``arg`` gives (`-o`, `--tags=x`, `-trimpath=true`), or None
    for an argument that is not a flag (a package, ``-`` or ``--``). Raises
    :class:`UsageError` for a flag go's flag package cannot parse (`---x`, `-=x`)."""
    if not arg.startswith("-") or arg in ("-", "--"):
        return None
    body = arg[2:] if arg.startswith("--") else arg[1:]
    name = body.partition("=")[0]
    if not name or name.startswith(("-", "=")):
        raise UsageError(f"bad flag syntax: {arg}")
    return name


def check_flag(name: str, value: str | None) -> None:
    """Refuse (:class:`UsageError`) a flag go build does not take, or a value its flag
    package would not parse; ``value`` None: given bare (a value flag's value is never
    None here)."""
    if name in BOOL_FLAGS:
        if (
            value is not None
            and value not in _BOOLS
            and not (name == "buildvcs" and value == "auto")
        ):
            raise UsageError(f'invalid boolean value "{value}" for -{name}: parse error')
        return
    if name not in VALUE_FLAGS:
        raise UsageError(f"unknown flag -{name}: not a go build flag{_hint(name)}")
    if name in _INT_FLAGS and value is not None and not _is_go_int(value):
        raise UsageError(f'invalid value "{value}" for flag -{name}: parse error')
    choices = _CHOICES.get(name)
    if choices is not None and value not in choices:
        raise UsageError(
            f'invalid value "{value}" for flag -{name}: not one of {", ".join(choices)}'
        )


def check_packages(packages: Sequence[str]) -> None:
    """Refuse an argument that starts with "-" among the packages: go's flag package
    stops at the first package, and go then rejects the rest as import paths (after
    gostatic would have built what came before)."""
    for arg in packages:
        if arg == "--":
            raise UsageError(
                '"--" after the packages: go build takes no arguments for the program'
                " (gostatic build --smoke does, after --)"
            )
        if arg.startswith("-"):
            raise UsageError(
                f'malformed import path "{arg}": leading dash'
                " (go build flags must come before the packages)"
            )


def _hint(name: str) -> str:
    from gostatic.spelling import did_you_mean

    return did_you_mean(f"-{name}", [f"-{f}" for f in sorted(BOOL_FLAGS | VALUE_FLAGS)])


def _is_go_int(text: str) -> bool:
    """Whether Go's strconv.ParseInt(text, 0, 64) would parse ``text`` (signs, 0x/0o/0b
    prefixes, a leading 0 for octal, underscores between digits)."""
    digits = text[1:] if text[:1] in "+-" else text
    base, body = 10, digits
    prefixes = {"0x": 16, "0X": 16, "0o": 8, "0O": 8, "0b": 2, "0B": 2}
    if digits[:2] in prefixes:
        base, body = prefixes[digits[:2]], digits[2:]
    elif len(digits) > 1 and digits.startswith("0"):
        base, body = 8, digits[1:]
    plain = body.replace("_", "")
    if not (plain.isascii() and plain.isalnum()) or body.startswith("_") or body.endswith("_"):
        return False
    if "__" in body:
        return False
    try:
        int(plain, base)
    except ValueError:
        return False
    return True
