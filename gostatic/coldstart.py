"""The head start of a build that takes the full path: go env, go list -deps and, where it
can be guessed, the first go build, all started at once, before gostatic.fullbuild's
modules load.

The full path predicts each package's first rung from the import graph, which go list
gives; for a net/http program go list takes about a fifth of the build's time, and
gostatic's imports more. For the common cold build, one package named by its directory
(`gostatic build -o app ./cmd/app`), the first rung can be guessed without the graph
from the imports of the package's own files: the standard packages that reach `net` or
`os/user` (whose cgo the `netgo` strategy replaces) say `netgo`, other standard packages
say `plain`. The guessed build is started on the session, spelled exactly as the climb
will spell its first build (gostatic.climb), so that the climb takes its result instead
of running it again. Where the guess is wrong (the graph predicts another rung, the
strategy cache or a pin names one), the full path stops it (:func:`drop_wrong_guess`):
a guess only ever saves time; what is built and installed is the full path's choice.

No guess is made where the first rung depends on what is not cheap to know here: an
import of a package outside the standard library or of "C", a gostatic.toml (its ladder
or pins), an entry of the strategy cache for the package, -buildmode, -o /dev/null, a
target other than linux, GOPATH mode.
"""

from __future__ import annotations

import os
import sys

from gostatic.errors import GostaticError
from gostatic.goflags import apply_overlay, output_for, overlay_env, user_value
from gostatic.incremental.fast import start_full_path_queries
from gostatic.incremental.plan import names_several_packages
from gostatic.incremental.stage import Stage
from gostatic.paths import CACHE_FILE, STAGE_DIR, cache_dir
from gostatic.strategies import CGO_OFF, NETGO, PLAIN, strategy_named

TYPE_CHECKING = False  # see gostatic.records: typing is not imported on the build path
if TYPE_CHECKING:
    from collections.abc import Mapping

    from gostatic.gocmd import GoSession
    from gostatic.results import BuildRequest
    from gostatic.strategies import Strategy

# The standard packages that import net or os/user, directly or not (go 1.26; a package
# missing here only makes the guess wrong, which costs the head start, nothing more).
_REACH_CGO_RESOLVERS = frozenset(
    {
        "archive/tar",
        "crypto/tls",
        "crypto/x509",
        "expvar",
        "log/syslog",
        "mime/multipart",
        "net",
        "net/http",
        "net/http/cgi",
        "net/http/cookiejar",
        "net/http/fcgi",
        "net/http/httptest",
        "net/http/httptrace",
        "net/http/httputil",
        "net/http/pprof",
        "net/mail",
        "net/rpc",
        "net/rpc/jsonrpc",
        "net/smtp",
        "net/textproto",
        "os/user",
    }
)
# Imports after which the first rung is not net/os-user's alone: cgo of the program's own,
# a program no static binary serves.
_NO_GUESS = frozenset({"C", "plugin", "runtime/cgo"})
_MAX_SOURCE_BYTES = 1 << 20
_PROJECT_FILE = "gostatic.toml"  # gostatic.project's, without its imports


def start_cold_build(request: BuildRequest, session: GoSession) -> None:
    """Start the first go build, if it can be guessed (first: it takes longest), then go
    env and go list -deps."""
    try:
        guessed = _guessed_first_build(request)
    except (OSError, GostaticError):
        guessed = None  # the full path asks again, and says what is wrong
    if guessed is not None:
        argv, env, cwd = guessed
        session.start(argv, env=env, cwd=cwd, guess=True)
    start_full_path_queries(request, session)


def drop_wrong_guess(session: GoSession) -> None:
    """Stop the guessed go build if the full path did not start the same, and remove the
    stage file it may have left half written."""
    for args in session.drop_guesses():
        if "-o" in args[:-1]:
            try:  # noqa: SIM105 (contextlib is one more import on the build path)
                os.unlink(args[args.index("-o") + 1])
            except OSError:
                pass


def _guessed_first_build(request: BuildRequest) -> tuple[list[str], dict[str, str], str] | None:
    """The go build arguments, environment and directory of the first rung that the full
    path is expected to run for this request; None where no guess is made."""
    args, env = request.go_args, request.env
    packages = args.packages
    if len(packages) != 1 or names_several_packages(packages) or env.get("GO111MODULE") == "off":
        return None
    base = os.path.join(request.cwd, args.workdir or ".")
    directory = _local_directory(base, packages[0])
    if directory is None or _has_project_file(base):
        return None
    import_path = _import_path(directory)
    if import_path is None or _cache_may_steer(request, import_path):
        return None
    strategy = _guessed_strategy(request, directory)
    name = _binary_name(import_path)
    if strategy is None or name is None or args.output == os.devnull:
        return None
    settings = _go_settings(env)
    goflags = settings.get("GOFLAGS", "")
    buildmode = user_value(args, goflags, "buildmode")
    goos = settings.get("GOOS") or sys.platform
    if goos != "linux" or buildmode not in (None, "exe", "default"):
        return None  # and on linux, GOEXE is empty
    output = output_for(args.output, name, base)
    if output is None:
        return None
    stage = _stage(request, os.path.realpath(os.path.join(base, output)), name)
    os.makedirs(stage.strategy_dir(strategy.name), exist_ok=True)
    flags = apply_overlay(args, goflags, strategy.overlay, stage.binary(strategy.name))
    cwd = _as_pathlib(request.cwd)
    return ["build", *flags, *packages], overlay_env(env, strategy.overlay), cwd


def _go_settings(env: Mapping[str, str]) -> dict[str, str]:
    """GOFLAGS and GOOS as go takes them, without waiting for go env: the environment's,
    else those `go env -w` wrote (the file gostatic.incremental.plan reads GOFLAGS from).
    A setting only go env knows (GOROOT's go.env) makes the guess wrong, nothing worse."""
    path = env.get("GOENV") or os.path.join(
        env.get("XDG_CONFIG_HOME") or os.path.join(env.get("HOME", "~"), ".config"), "go", "env"
    )
    settings: dict[str, str] = {}
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            lines = f.read(_MAX_SOURCE_BYTES).splitlines()
    except OSError:
        lines = []
    for line in lines:
        name, sep, value = line.partition("=")
        if sep and name in ("GOFLAGS", "GOOS"):
            settings[name] = value
    settings.update((k, env[k]) for k in ("GOFLAGS", "GOOS") if env.get(k))
    return settings


def _stage(request: BuildRequest, key: str, name: str) -> Stage:
    """The stage gostatic.fullbuild gives a single package with an output, its paths
    spelled as pathlib spells them there."""
    return Stage(_as_pathlib(os.path.join(_cache_root(request), STAGE_DIR)), key, name)


def _cache_root(request: BuildRequest) -> str:
    cache_flag = request.options.cache_dir
    return cache_dir(request.env, os.path.join(request.cwd, cache_flag) if cache_flag else None)


def _guessed_strategy(request: BuildRequest, directory: str) -> Strategy | None:
    """The strategy the full path is expected to try first for the package in
    ``directory``, from its own imports; None when they do not tell."""
    imports = _imports_of(directory)
    if imports is None or imports & _NO_GUESS or any(_outside_std(p) for p in imports):
        return None
    forced = request.options.strategy
    if forced:
        # The rungs that no toolchain can be missing for: with standard imports alone,
        # nothing skips them (gostatic.rungchoice).
        strategy = strategy_named(forced)
        return strategy if strategy in (PLAIN, NETGO, CGO_OFF) else None
    # With cgo off, net and os/user have no cgo files, and plain is static.
    cgo_off = request.env.get("CGO_ENABLED") == "0"
    return NETGO if imports & _REACH_CGO_RESOLVERS and not cgo_off else PLAIN


def _outside_std(import_path: str) -> bool:
    return "." in import_path.partition("/")[0]


def _local_directory(base: str, argument: str) -> str | None:
    """The directory a package argument names, if it names one by its path."""
    if not (argument in (".", "..") or argument.startswith(("./", "../", "/"))):
        return None
    directory = os.path.join(base, argument)
    return directory if os.path.isdir(directory) else None


def _has_project_file(base: str) -> bool:
    """Whether a gostatic.toml may apply (gostatic.project looks from ``base`` up to the
    module root)."""
    directory = os.path.abspath(base)
    while True:
        if os.path.isfile(os.path.join(directory, _PROJECT_FILE)):
            return True
        parent = os.path.dirname(directory)
        if os.path.isfile(os.path.join(directory, "go.mod")) or parent == directory:
            return False
        directory = parent


def _import_path(directory: str) -> str | None:
    """The package's import path in module mode: the path of the module whose go.mod is
    nearest above, then the directory below that module's root; None outside a module."""
    here = os.path.abspath(directory)
    below: list[str] = []
    while True:
        try:
            with open(os.path.join(here, "go.mod"), encoding="utf-8") as f:
                lines = f.read(_MAX_SOURCE_BYTES).splitlines()
        except FileNotFoundError:
            parent = os.path.dirname(here)
            if parent == here:
                return None
            below.append(os.path.basename(here))
            here = parent
            continue
        words = [ln.split() for ln in lines if ln.startswith("module ")]
        if len(words) != 1 or len(words[0]) != 2:
            return None
        return "/".join([words[0][1].strip('"`'), *reversed(below)])


def _binary_name(import_path: str) -> str | None:
    """The name go gives the binary: the import path's last element; None for a major
    version suffix (go takes the element before it)."""
    name = import_path.rpartition("/")[2]
    if not name or (name[0] == "v" and name[1:].isdigit()):
        return None
    return name


def _cache_may_steer(request: BuildRequest, import_path: str) -> bool:
    """Whether the strategy cache may name this package's first rung: its file holds the
    import path (a text search: no TOML read here)."""
    if request.options.no_cache:
        return False
    try:
        with open(os.path.join(_cache_root(request), CACHE_FILE), "rb") as f:
            text = f.read()
    except FileNotFoundError:
        return False
    return f'"{import_path}"'.encode("utf-8", "surrogateescape") in text


def _imports_of(directory: str) -> set[str] | None:
    """Every import of the package's non-test Go files (build constraints not read: a
    guess); None if it has none or one cannot be read."""
    imports: set[str] = set()
    with os.scandir(directory) as entries:
        names = [
            e.name
            for e in entries
            if e.name.endswith(".go")
            and not e.name.endswith("_test.go")
            and not e.name.startswith(("_", "."))
        ]
    if not names:
        return None
    from gostatic.goimports import import_paths

    for name in names:
        with open(os.path.join(directory, name), encoding="utf-8", errors="replace") as f:
            found = import_paths(f.read(_MAX_SOURCE_BYTES))
        if found is None:
            return None
        imports |= found
    return imports


def _as_pathlib(path: str) -> str:
    """``path`` as str(pathlib.Path(path)) spells it (pathlib is an import this path does
    without): no empty or "." parts."""
    parts = [p for p in path.split("/") if p not in ("", ".")]
    lead = "/" if path.startswith("/") else ""
    if path.startswith("//") and not path.startswith("///"):
        lead = "//"
    return lead + "/".join(parts) or "."
