"""The fast path: one `go build` when an earlier run already settled the command.

A Makefile runs `gostatic build` on every target, most of them up to date, the rest
usually changed in a way that keeps the same strategy working. The full path asks go
three things (go env, go list -deps, go build). When this exact command line, in this
directory and environment, already produced a verified static binary, a *plan* remembers
what go list and go env said, and the fast path runs only the build, with the strategy
that worked, into the package's stage:

- if go's up-to-date check leaves the stage binary with the build ID the stamp says was
  proved static, and the output is still gostatic's copy, nothing has changed;
- if go relinked, the new binary is re-checked (gostatic.recheck, stricter than the full
  path's reading and without its pyelftools import) and, when it is static with no hazard,
  installed (except for `cgo-off`, whose safety the import graph decides).

Anything else (no plan, a failed build, a dynamic or hazardous binary) falls through to
the full path, which re-derives every fact. A command line that names several packages
(`./...`) has a group plan instead, checked against go list on every run
(gostatic.fastgroup).

The plan is only a shortcut to facts that the build ID then confirms; it is untrusted
like every file in the cache (a file of the wrong shape or an unknown strategy name means
"no plan").
"""

from __future__ import annotations

import os

from gostatic import statefile
from gostatic.goflags import apply_overlay, output_for, overlay_env, sets_build_id
from gostatic.paths import PLANS_DIR, STAGE_DIR, cache_dir
from gostatic.records import Record
from gostatic.results import STATIC_DETAIL, Attempt, BuildReport, PackageResult
from gostatic.stage import (
    Stage,
    Stamp,
    file_id,
    file_id_fields,
    file_id_from_fields,
    go_build_id,
)
from gostatic.strategies import is_strategy_name, strategy_named

TYPE_CHECKING = False  # see gostatic.records: typing is not imported on the build path
if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    from gostatic.gocmd import GoSession
    from gostatic.goflags import GoBuildArgs
    from gostatic.results import BuildRequest
    from gostatic.stage import FileId
    from gostatic.strategies import Strategy

UP_TO_DATE_DETAIL = "up to date: proved static by an earlier build"
# Single arguments that name many packages.
_META_PATTERNS = frozenset({"all", "std", "cmd", "tool", "work"})
# Flags under which go does not (only) build: the full path handles them.
_NOT_FAST = frozenset({"n", "a", "json"})
_PLAN_KIND = "gostatic-plan-1"


def _env_facts(env: Mapping[str, str]) -> list[str]:
    """The environment that can change what go builds or which go runs, as NAME=VALUE."""
    keep = ("GO", "CGO_", "GOSTATIC_")
    named = {"CC", "CXX", "PATH", "HOME", "XDG_CONFIG_HOME", "PKG_CONFIG_PATH"}
    return sorted(f"{k}={v}" for k, v in env.items() if k.startswith(keep) or k in named)


def _go_env_file(env: Mapping[str, str]) -> str:
    """Where `go env -w` writes (GOFLAGS there changes the build without touching env)."""
    explicit = env.get("GOENV")
    if explicit:
        return explicit
    config = env.get("XDG_CONFIG_HOME") or os.path.join(env.get("HOME", "~"), ".config")
    return os.path.join(config, "go", "env")


def names_several_packages(packages: Sequence[str]) -> bool:
    """Whether a command line's package arguments can name more than one package: several
    arguments, or a pattern (.go files name one package between them). Such a command
    line gets a group plan (gostatic.fastgroup), checked against go list on every run."""
    if any(p.endswith(".go") for p in packages):
        return False
    return len(packages) > 1 or any("..." in p or p in _META_PATTERNS for p in packages)


class PlanKey(Record):
    """Everything a plan is valid for, and the file it lives in."""

    path: str
    material: tuple[str, ...]


def plan_key(
    args: GoBuildArgs, env: Mapping[str, str], cwd: str, options_key: str, cache_root: str
) -> PlanKey | None:
    """The key of this command line's plan; None when it may not take the fast path."""
    if any(f.name in _NOT_FAST for f in args.flags):
        return None
    # Each part is counted, so that no two command lines give the same fields.
    material = (
        cwd,
        options_key,
        str(file_id(_go_env_file(env))),
        str(len(args.packages)),
        *args.packages,
        str(len(args.flags)),
        *(f.render() for f in args.flags),
        *_env_facts(env),
    )
    name = statefile.digest("\0".join(material))
    return PlanKey(os.path.join(cache_root, PLANS_DIR, name), material)


class Plan(Record):
    """What the full path learned about a single-package command line."""

    package: str
    output: str | None
    stage_key: str
    name: str
    goflags: str
    project: tuple[str, FileId | None]  # gostatic.toml and its identity: a new pin voids the plan
    dir: str  # the package's source directory


def project_identity(project_file: str | os.PathLike[str]) -> tuple[str, FileId | None]:
    return (os.fspath(project_file), file_id(project_file))


# The plan's fields after the key's material; the output and the project's identity may be
# absent, which an empty field says (no output is ever named "", no identity part is "").
_PLAN_FIELDS = 10


def read_plan(key: PlanKey) -> Plan | None:
    fields = statefile.read(_PLAN_KIND, key.path)
    n = len(key.material)
    if fields is None or len(fields) != n + _PLAN_FIELDS or tuple(fields[:n]) != key.material:
        return None
    package, output, stage_key, name, goflags, project, *identity, directory = fields[n:]
    try:
        found = file_id_from_fields(identity)
    except ValueError:
        return None
    return Plan(package, output or None, stage_key, name, goflags, (project, found), directory)


def planned_packages(path: str) -> tuple[str, ...]:
    """The main packages the plan at ``path`` builds, whatever command line it is for; ()
    if the file is not a plan."""
    fields = statefile.read(_PLAN_KIND, path)
    if fields is None:
        from gostatic.fastgroup import group_plan_members

        return group_plan_members(path)
    return (fields[-_PLAN_FIELDS],) if len(fields) >= _PLAN_FIELDS else ()


def write_plan(key: PlanKey, plan: Plan) -> None:
    """Record the plan unless it is already there (an up-to-date build writes nothing)."""
    if read_plan(key) == plan:
        return
    from gostatic.atomic import write_atomic

    project, found = plan.project
    identity = file_id_fields(found)
    fields = [
        *key.material,
        plan.package,
        plan.output or "",
        plan.stage_key,
        plan.name,
        plan.goflags,
        project,
        *identity,
        plan.dir,
    ]
    try:
        os.makedirs(os.path.dirname(key.path), exist_ok=True)
        write_atomic(key.path, statefile.encode(_PLAN_KIND, fields))
    except OSError:
        pass  # a plan only saves time; the cache's own warnings cover an unwritable dir


def request_plan_key(request: BuildRequest, cache_root: str) -> PlanKey | None:
    options = request.options
    if options.no_cache or options.pin:
        return None
    options_key = f"strategy={options.strategy} strict={options.strict}"
    return plan_key(request.go_args, request.env, request.cwd, options_key, cache_root)


def fast_build(request: BuildRequest, session: GoSession) -> BuildReport | None:
    """The report of a build that the plan settles, or None for the full path.

    Up to date: go's own check leaves the stage binary with the stamped build ID, and the
    output is still gostatic's copy. Rebuilt: the strategy that worked for this command
    is run again and its output re-checked (gostatic.recheck); if it is static with no
    hazard, it is installed, with no go list and no go env. `cgo-off` is the exception:
    whether it compiled a stub depends on the import graph, so the full path decides.
    Whatever go ran here stays in ``session``, so the full path never runs it twice.
    """
    options = request.options
    explicit = os.path.join(request.cwd, options.cache_dir) if options.cache_dir else None
    cache_root = cache_dir(request.env, explicit)
    key = request_plan_key(request, cache_root)
    if key is None:
        return None
    if names_several_packages(request.go_args.packages):
        from gostatic.fastgroup import fast_group_build

        return fast_group_build(request, session, key, cache_root)
    plan = read_plan(key)
    if plan is None or not _trustworthy(plan, request):
        return None
    stage = Stage(os.path.join(cache_root, STAGE_DIR), plan.stage_key, plan.name)
    proved = proved_strategy(stage, request)
    if proved is None or sets_build_id(request.go_args, plan.goflags):
        return None  # a fixed build ID cannot tell a relinked binary from the proved one
    strategy = proved[1]
    args = request.go_args
    argv = [
        "build",
        *apply_overlay(args, plan.goflags, strategy.overlay, stage.binary(strategy.name)),
    ]
    argv += args.packages  # the command line's own: the full path runs the same command
    env = overlay_env(request.env, strategy.overlay)
    if sources_changed_since(plan.dir, stage.stamped_at()):
        # go first: what is done while it compiles and links must not delay it.
        session.start(argv, env=env, cwd=request.cwd, background=False)
        if needs_graph(strategy):
            start_full_path_queries(request, session)  # the full path will need them
        else:
            load_for_relinked()
    built = session.run(argv, env=env, cwd=request.cwd, check=False)
    if not built.ok:
        return None  # the full path tells a compile error from a rung that does not apply
    base = os.path.join(request.cwd, args.workdir or ".")
    output = os.path.join(base, plan.output) if plan.output else None
    result = settle_built(stage, proved, plan.package, plan.output, output, built.stderr)
    return BuildReport((result,)) if result is not None else None


def proved_strategy(stage: Stage, request: BuildRequest) -> tuple[Stamp, Strategy] | None:
    """The stage's stamp and its strategy, when the fast path may build with that strategy
    again; None sends the build to the full path."""
    stamp = stage.read_stamp()
    if stamp is None or not is_strategy_name(stamp.strategy):
        return None
    options = request.options
    if (options.strategy not in (None, stamp.strategy)) or (options.strict and stamp.hazards):
        return None
    strategy = strategy_named(stamp.strategy)
    if strategy.toolchain is not None:
        return None  # its CC comes from detection on the full path, never from a file
    return stamp, strategy


def needs_graph(strategy: Strategy) -> bool:
    """Whether only the import graph can tell that a relinked binary of ``strategy`` works:
    with cgo off, a package may have compiled a stub (gostatic.explain decides)."""
    return ("CGO_ENABLED", "0") in strategy.overlay.env


def settle_built(
    stage: Stage,
    proved: tuple[Stamp, Strategy],
    package: str,
    output_arg: str | None,
    output: str | None,
    go_said: str,
) -> PackageResult | None:
    """The result of a package whose proved strategy go just built into ``stage``: up to
    date, or relinked, re-checked and installed at ``output``; None for the full path."""
    stamp, strategy = proved
    stage_bin = stage.binary(strategy.name)
    build_id = go_build_id(stage_bin)
    if build_id is None:
        return None
    if build_id == stamp.build_id:
        if output is not None and file_id(output) != stamp.output:
            return None
        detail, hazards, rebuilt = UP_TO_DATE_DETAIL, stamp.hazards, False
    else:
        if needs_graph(strategy):
            return None
        try:
            if not _install_if_static(stage_bin, output):
                return None  # the full path reads it with pyelftools and says why
            installed = file_id(output) if output is not None else None
            stage.write_stamp(Stamp(strategy.name, build_id, installed, ()))
        except OSError:
            return None  # the full path says what could not be written, in one line
        detail, hazards, rebuilt = STATIC_DETAIL, (), True
    return PackageResult(
        package=package,
        output=output_arg,
        strategy=strategy.name,
        static=True,
        hazards=hazards,
        attempts=(Attempt(strategy.name, "static", detail, go_said),),
        up_to_date=not rebuilt,
    )


def _install_if_static(stage_bin: str, output: str | None) -> bool:
    """Re-check a relinked binary (gostatic.recheck) and, if it is static with no hazard,
    put it at ``output``. The copy beside the output is made first and is what is
    checked: the bytes checked are the bytes installed, and the copy is written out to
    disk while the check runs."""
    from gostatic.recheck import still_static  # struct and mmap: only after a relink

    if output is None:
        return still_static(stage_bin)
    from gostatic.atomic import copy_beside, discard, put_in_place

    copy = copy_beside(stage_bin, output)
    try:
        static = still_static(copy)
    except BaseException:
        discard(copy)
        raise
    if not static:
        discard(copy)
        return False
    put_in_place(copy, output)
    return True


def _trustworthy(plan: Plan, request: BuildRequest) -> bool:
    """Whether the plan's facts match what can be checked without go.

    The plan file is untrusted like the rest of the cache: what it says becomes part of
    go's arguments (GOFLAGS merged into -ldflags, the stage path) and the path gostatic
    writes to, so each of those must agree with the command line and the environment.
    (The package arguments are the command line's own, never the plan's.)
    """
    if not is_file_name(plan.name):
        return False
    base = os.path.join(request.cwd, request.go_args.workdir or ".")
    if plan.output != output_for(request.go_args.output, plan.name, base):
        return False
    return settings_unchanged(plan.goflags, plan.project, request.env)


def is_file_name(name: str) -> bool:
    """Whether ``name`` names a file in a directory, and nothing else."""
    return bool(name) and name not in (".", "..") and os.path.basename(name) == name


def settings_unchanged(
    goflags: str, project: tuple[str, FileId | None], env: Mapping[str, str]
) -> bool:
    """Whether GOFLAGS and the project file are what a plan recorded."""
    if goflags != effective_goflags(env):
        return False
    path, identity = project
    return file_id(path) == identity


def effective_goflags(env: Mapping[str, str]) -> str | None:
    """GOFLAGS as go sees it: the environment's, else the `go env -w` file's; None when the
    file cannot be read (then the plan cannot be checked)."""
    if env.get("GOFLAGS"):
        return env["GOFLAGS"]
    try:
        with open(_go_env_file(env), encoding="utf-8") as f:
            lines = f.read().splitlines()
    except FileNotFoundError:
        return ""
    except (OSError, UnicodeDecodeError):
        return None
    values = [line[len("GOFLAGS=") :] for line in lines if line.startswith("GOFLAGS=")]
    return values[-1] if values else ""


def load_for_relinked() -> None:
    """Import what a relinked binary needs next (the re-check and the install), while go
    links it."""
    import gostatic.atomic
    import gostatic.recheck  # noqa: F401


def sources_changed_since(directory: str, stamped_at: int | None) -> bool:
    """Whether a .go file of the package is newer than the last proof: only a hint for
    starting work early (a changed dependency is caught by the build ID all the same)."""
    if stamped_at is None:
        return True
    try:
        with os.scandir(directory) as entries:
            return any(
                e.name.endswith(".go") and e.stat().st_mtime_ns > stamped_at for e in entries
            )
    except OSError:
        return True


def start_full_path_queries(request: BuildRequest, session: GoSession) -> None:
    """Start go env and go list as gostatic.fullbuild will ask them, so that they run while
    the full path's modules load or a build links; the session hands their results over
    (or stops them, if the full path never asks)."""
    from gostatic.gocmd import ENV_ARGS
    from gostatic.golist import list_args

    session.start(ENV_ARGS, env=request.env, cwd=request.cwd)
    session.start(list_args(request.go_args), env=request.env, cwd=request.cwd)
