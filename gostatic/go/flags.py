"""`go build` command lines: parse them with go's meaning, and merge a strategy into them.

The rule every function here serves: merge, never override. `go` keeps only the last
`-tags` and the last matching `-ldflags`, and the linker keeps only the last `-extldflags`,
so a wrapper that simply appends its own flags silently drops the user's.
"""

from __future__ import annotations

import os

from gostatic.errors import UsageError
from gostatic.go.flagset import VALUE_FLAGS, check_flag, check_packages, flag_name
from gostatic.records import TYPE_CHECKING, Record

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping, Sequence
    from os import PathLike

# Flags `go list` does not accept or that would change what it prints.
_NOT_FOR_LIST = frozenset({"o", "v", "x", "n", "a", "work", "json", "race", "msan", "asan"})

# Linker (`go tool link`) flags that take a value: needed to walk an -ldflags token list
# without mistaking a value such as `-X main.v=-s` for a flag.
_LINK_VALUE_FLAGS = frozenset(
    {
        "B", "E", "H", "I", "L", "R", "T", "X", "benchmark", "benchmarkprofile",
        "buildid", "buildmode", "capturehostobjs", "cpuprofile", "extar", "extld",
        "extldflags", "fipso", "importcfg", "installsuffix", "k", "libgcc", "linkmode",
        "memprofile", "memprofilerate", "o", "pluginpath", "r", "strictdups", "tmpdir",
    }
)  # fmt: skip


class GoFlag(Record):
    """One `go build` flag as given; ``value`` is None for a bare boolean flag."""

    name: str
    value: str | None

    def render(self) -> str:
        return f"-{self.name}" if self.value is None else f"-{self.name}={self.value}"


class GoBuildArgs(Record):
    """A `go build` command line split the way `go` splits it."""

    flags: tuple[GoFlag, ...]
    packages: tuple[str, ...]

    def last(self, name: str) -> str | None:
        """The value `go` uses for a flag given several times: the last one."""
        for flag in reversed(self.flags):
            if flag.name == name:
                return flag.value if flag.value is not None else "true"
        return None

    def values(self, name: str) -> tuple[str, ...]:
        return tuple(f.value for f in self.flags if f.name == name and f.value is not None)

    @property
    def output(self) -> str | None:
        return self.last("o")

    @property
    def workdir(self) -> str | None:
        return self.last("C")

    def has(self, name: str) -> bool:
        return any(f.name == name for f in self.flags)

    def list_flags(self) -> list[str]:
        """The flags that `go list` should see to resolve the same packages as the build."""
        return [f.render() for f in self.flags if f.name not in _NOT_FOR_LIST]


def takes_next_argument(arg: str) -> bool:
    """Whether go reads the argument after ``arg`` as its value (`-o out`, `--tags x`)."""
    body = arg[2:] if arg.startswith("--") else arg[1:]
    return arg.startswith("-") and "=" not in body and body in VALUE_FLAGS


def parse_build_args(argv: Sequence[str]) -> GoBuildArgs:
    """Split ``argv`` (what follows `go build`) into flags and packages.

    Like go's flag package: flags stop at the first non-flag argument or at ``--``;
    ``-flag``, ``--flag``, ``-flag=value`` and ``-flag value`` are all accepted.
    A :class:`UsageError`, before anything runs, for what go would refuse: a flag go build
    does not take or a value it cannot parse (gostatic.go.flagset), an argument starting
    with "-" among the packages; and for a build that writes no program (a
    ``-buildmode`` that builds none, or ``-n``).
    """
    args = _split_build_args(argv, strict=True)
    check_packages(args.packages)
    check_writes_a_program(args, "")
    return args


# Build modes whose output is not a program, with what they build instead.
_NOT_PROGRAMS = {
    "c-shared": "a C shared library",
    "c-archive": "a C archive",
    "archive": "Go package archives",
    "shared": "Go shared libraries",
    "plugin": "a Go plugin",
}


def check_writes_a_program(args: GoBuildArgs, goflags: str) -> None:
    """Refuse (:class:`UsageError`) a build that writes no program for gostatic to prove:
    a -buildmode that builds none, or -n (go prints its commands and runs none), from the
    command line or else GOFLAGS."""
    _check_buildmode(args, goflags)
    dry_run = args.last("n")
    said = "-n"
    if dry_run is None:
        dry_run = user_value(args, goflags, "n")
        said = "GOFLAGS sets -n, which"
    if dry_run is not None and dry_run.lower() in _TRUE:
        raise UsageError(
            f"{said} prints go's commands without running them: gostatic proves the binary"
            " a build writes, and this one writes none (use go build -n to see the commands)"
        )


# What go's flag package reads as true for a boolean flag (strconv.ParseBool), lowered.
_TRUE = frozenset({"1", "t", "true"})


def _check_buildmode(args: GoBuildArgs, goflags: str) -> None:
    """Refuse the build mode go would use when it builds no executable: there is nothing
    to prove static, and the output would not run."""
    mode = args.last("buildmode")
    said = f"-buildmode={mode} builds"
    if mode is None:
        mode = user_value(args, goflags, "buildmode")
        said = f"GOFLAGS sets -buildmode={mode}, which builds"
    built = _NOT_PROGRAMS.get(mode or "")
    if built is not None:
        raise UsageError(
            f"{said} {built}, not an executable: gostatic builds programs and proves them"
            " static (use go build for this build mode)"
        )


def _split_build_args(argv: Sequence[str], strict: bool = False) -> GoBuildArgs:
    """Flags and packages; ``strict``: each flag checked against go build's (GOFLAGS is
    not: go itself ignores the flags there that a command does not take)."""
    flags: list[GoFlag] = []
    i = 0
    while i < len(argv):
        arg = argv[i]
        if arg == "--":
            i += 1
            break
        name = flag_name(arg)
        if name is None:
            break
        _, eq, value = arg.lstrip("-").partition("=")
        if eq:
            flags.append(GoFlag(name, value))
        elif name in VALUE_FLAGS:
            if i + 1 >= len(argv):
                raise UsageError(f"flag needs an argument: -{name}")
            flags.append(GoFlag(name, argv[i + 1]))
            i += 1
        else:
            flags.append(GoFlag(name, None))
        if strict:
            check_flag(name, flags[-1].value)
        i += 1
    return GoBuildArgs(tuple(flags), tuple(argv[i:]))


def output_for(output: str | None, name: str, base: str | PathLike[str]) -> str | None:
    """Where go build writes a single main package's binary named ``name``: ``-o FILE``,
    ``-o DIR/`` (or an existing directory) plus the name, or the name in the directory.
    None for ``-o /dev/null``, which go takes as "build, write nothing"."""
    if output == os.devnull:
        return None
    if output is None:
        return name
    if output.endswith(("/", os.sep)) or os.path.isdir(os.path.join(base, output)):
        return os.path.join(output, name)
    return output


def checks_non_main(output: str | None) -> bool:
    """Whether go build compiles the non-main packages it is given: with ``-o DIR/`` it
    builds only the main packages (it still reports packages it cannot load)."""
    return output is None or output == os.devnull


def sets_build_id(args: GoBuildArgs, goflags: str) -> bool:
    """Whether the user fixes the Go build ID (``-ldflags=-buildid=...``), on the command
    line or in GOFLAGS."""
    values = [f.value for f in goflags_entries(goflags) if f.name == "ldflags" and f.value]
    values += args.values("ldflags")
    for value in values:
        _, flags = _split_pattern(value)
        try:
            tokens = split_quoted(flags)
        except UsageError:
            continue  # go itself will reject it
        if any(_link_flag(t)[0] == "buildid" for t in tokens):
            return True
    return False


def goflags_entries(goflags: str) -> tuple[GoFlag, ...]:
    """The flags in a GOFLAGS value: space-separated ``-flag=value`` entries, no quoting."""
    return _split_build_args(goflags.split()).flags


def user_value(args: GoBuildArgs, goflags: str, name: str) -> str | None:
    """The value go uses for flag ``name``: the command line's last, else GOFLAGS' last
    ("true" for a bare boolean flag, in either)."""
    value = args.last(name)
    if value is None:
        value = GoBuildArgs(goflags_entries(goflags), ()).last(name)
    return value


def user_ldflags(args: GoBuildArgs, goflags: str) -> tuple[str, ...]:
    """Every -ldflags value the user gave, GOFLAGS' first: the ones apply_overlay merges a
    strategy into."""
    from_env = (f.value for f in goflags_entries(goflags) if f.name == "ldflags" and f.value)
    return (*from_env, *args.values("ldflags"))


def user_tags(args: GoBuildArgs, goflags: str) -> list[str]:
    """The user's build tags, from -tags or else GOFLAGS (a command-line -tags shadows GOFLAGS')."""
    return split_tags(user_value(args, goflags, "tags") or "")


# --- quoting, with the rules of go's cmd/internal/quoted ----------------------------------

_SPACE = " \t\n\r"


def split_quoted(text: str) -> list[str]:
    """Split like go does for -ldflags and -extldflags: whitespace, '...' and "..." groups."""
    out: list[str] = []
    i, n = 0, len(text)
    while i < n:
        if text[i] in _SPACE:
            i += 1
            continue
        if text[i] in "'\"":
            quote = text[i]
            end = text.find(quote, i + 1)
            if end < 0:
                raise UsageError(f"unterminated {quote} string in flags: {text}")
            out.append(text[i + 1 : end])
            i = end + 1
            continue
        start = i
        while i < n and text[i] not in _SPACE:
            i += 1
        out.append(text[start:i])
    return out


def join_quoted(args: Iterable[str]) -> str:
    """The inverse of :func:`split_quoted`: quote each argument only where it needs it."""
    parts: list[str] = []
    for arg in args:
        has_space = any(c in _SPACE for c in arg)
        if arg and not has_space and "'" not in arg and '"' not in arg:
            parts.append(arg)
        elif "'" not in arg:
            parts.append(f"'{arg}'")
        elif '"' not in arg:
            parts.append(f'"{arg}"')
        else:
            raise UsageError(f"cannot quote a flag holding both ' and \": {arg}")
    return " ".join(parts)


# --- merging -------------------------------------------------------------------------------


def split_tags(value: str) -> list[str]:
    """Tags as go reads them: comma-separated, or the older space-separated form."""
    if " " in value or "'" in value or '"' in value:
        return [t for t in split_quoted(value) if t]
    return [t for t in value.split(",") if t]


def merge_tags(user: Iterable[str], extra: Iterable[str]) -> list[str]:
    merged: list[str] = []
    for tag in (*user, *extra):
        if tag not in merged:
            merged.append(tag)
    return merged


def _link_flag(token: str) -> tuple[str, str | None]:
    """(name, inline value) of a linker flag token, or ("", None) for a non-flag."""
    if not token.startswith("-") or token == "-":
        return "", None
    body = token[2:] if token.startswith("--") else token[1:]
    name, eq, value = body.partition("=")
    return name, (value if eq else None)


def merge_ldflags(user: str, linkmode: str | None, extldflags: Sequence[str]) -> str:
    """Add a strategy's linker settings to one user -ldflags value, keeping all of theirs.

    The user's ``-extldflags`` (the linker keeps only the last) is folded into one
    ``-extldflags`` with the strategy's flags after the user's; the strategy's
    ``-linkmode`` replaces the user's, since the strategy cannot work without it.
    """
    tokens = split_quoted(user)
    kept: list[str] = []
    user_ext: list[str] = []
    i = 0
    while i < len(tokens):
        name, inline = _link_flag(tokens[i])
        takes_value = name in _LINK_VALUE_FLAGS and inline is None
        value = tokens[i + 1] if takes_value and i + 1 < len(tokens) else inline
        width = 2 if takes_value else 1
        if name == "extldflags" and value is not None:
            user_ext = split_quoted(value)  # last one wins, as in the linker
        elif name == "linkmode" and linkmode is not None:
            pass
        else:
            kept.extend(tokens[i : i + width])
        i += width
    if linkmode is not None:
        kept.append(f"-linkmode={linkmode}")
    ext = [*user_ext, *(f for f in extldflags if f not in user_ext)]
    if ext:
        kept.extend(["-extldflags", join_quoted(ext)])
    return join_quoted(kept)


def _split_pattern(value: str) -> tuple[str, str]:
    """(``pattern=`` prefix, flags) of a per-package flag value such as ``all=-s -w``."""
    stripped = value.strip()
    if stripped.startswith("-") or not stripped:
        return "", value
    pattern, eq, rest = stripped.partition("=")
    if not eq:
        return "", value
    return pattern + "=", rest


class Overlay(Record):
    """What a strategy adds to a build: tags, linker settings and environment."""

    tags: tuple[str, ...] = ()
    linkmode: str | None = None
    extldflags: tuple[str, ...] = ()
    env: tuple[tuple[str, str], ...] = ()
    # Set only where the linker flags are meaningless without it (-static-pie needs a PIE).
    buildmode: str | None = None

    @property
    def touches_ldflags(self) -> bool:
        return self.linkmode is not None or bool(self.extldflags)


def apply_overlay(
    args: GoBuildArgs, goflags: str, overlay: Overlay, output: str | None
) -> list[str]:
    """The `go build` argument list (after ``build``) for ``args`` with ``overlay`` merged in.

    ``output`` replaces the user's ``-o`` (gostatic builds into its own stage first).
    Tags and -ldflags from GOFLAGS count as the user's: a command-line flag would
    otherwise shadow them.
    """
    env_flags = goflags_entries(goflags)
    tags = merge_tags(user_tags(args, goflags), overlay.tags)

    replaced = {"o", "tags"}
    if overlay.touches_ldflags:
        replaced.add("ldflags")
    if overlay.buildmode is not None:
        replaced.add("buildmode")
    out: list[str] = []
    for flag in args.flags:
        if flag.name == "C":
            out.insert(0, flag.render())  # go insists that -C comes first
        elif flag.name not in replaced:
            out.append(flag.render())
    if overlay.buildmode is not None:
        out.append("-buildmode=" + overlay.buildmode)
    if tags:
        out.append("-tags=" + ",".join(tags))
    if overlay.touches_ldflags:
        user_ld = [f.value for f in env_flags if f.name == "ldflags" and f.value is not None]
        user_ld += args.values("ldflags")
        # Every value gets the strategy's flags: whichever one go picks for the main
        # package (the last that matches it) then carries them.
        for value in user_ld or [""]:
            prefix, flags = _split_pattern(value)
            out.append(
                "-ldflags=" + prefix + merge_ldflags(flags, overlay.linkmode, overlay.extldflags)
            )
    if output is not None:
        out.extend(["-o", output])
    return out


def overlay_env(env: Mapping[str, str], overlay: Overlay) -> dict[str, str]:
    merged = dict(env)
    merged.update(overlay.env)
    return merged
