"""The fast path: one `go build` when an earlier run already settled the command.

A Makefile runs `gostatic build` on every target, most of them up to date, the rest
usually changed in a way that keeps the same strategy working. The full path asks go
three things (go env, go list -deps, go build). When this exact command line, in this
directory and environment, already produced a verified static binary, a *plan* remembers
what go list and go env said, and the fast path runs only the build, with the strategy
that worked, into the package's stage:

- if go's up-to-date check leaves the stage binary with the build ID the stamp says was
  proved static, and the output is still gostatic's copy, nothing has changed;
- if go relinked, the new binary is read exactly as the full path reads it and, when it is
  static with no hazard, installed (except for `cgo-off`, whose safety the import graph
  decides).

Anything else (no plan, a failed build, a dynamic or hazardous binary) falls through to
the full path, which re-derives every fact.

The plan is only a shortcut to facts that the build ID then confirms; it is untrusted
like every file in the cache (bad JSON or an unknown strategy name means "no plan").
"""

from __future__ import annotations

import hashlib
import importlib
import json
import os
import threading
from collections.abc import Mapping
from pathlib import Path
from typing import NamedTuple

from gostatic.gocmd import GoSession
from gostatic.goflags import GoBuildArgs, apply_overlay, output_for, overlay_env, sets_build_id
from gostatic.paths import PLANS_DIR, STAGE_DIR, cache_dir
from gostatic.results import STATIC_DETAIL, Attempt, BuildReport, BuildRequest, PackageResult
from gostatic.stage import Stage, Stamp, file_id, go_build_id
from gostatic.strategies import is_strategy_name, strategy_named

UP_TO_DATE_DETAIL = "up to date: proved static by an earlier build"
# Patterns whose expansion can change without the command line changing.
_META_PATTERNS = frozenset({"all", "std", "cmd", "tool", "work"})
# Flags under which go does not (only) build: the full path handles them.
_NOT_FAST = frozenset({"n", "a", "json"})


def _env_facts(env: Mapping[str, str]) -> list[tuple[str, str]]:
    """The environment that can change what go builds or which go runs."""
    keep = ("GO", "CGO_", "GOSTATIC_")
    named = {"CC", "CXX", "PATH", "HOME", "XDG_CONFIG_HOME", "PKG_CONFIG_PATH"}
    return sorted((k, v) for k, v in env.items() if k.startswith(keep) or k in named)


def _go_env_file(env: Mapping[str, str]) -> str:
    """Where `go env -w` writes (GOFLAGS there changes the build without touching env)."""
    explicit = env.get("GOENV")
    if explicit:
        return explicit
    config = env.get("XDG_CONFIG_HOME") or os.path.join(env.get("HOME", "~"), ".config")
    return os.path.join(config, "go", "env")


def plan_file(
    args: GoBuildArgs, env: Mapping[str, str], cwd: Path, options_key: str, cache_root: Path
) -> Path | None:
    """Where the plan of this command line lives; None when it may not take the fast path."""
    if any(f.name in _NOT_FAST for f in args.flags):
        return None
    if any("..." in p or p in _META_PATTERNS for p in args.packages):
        return None
    material = json.dumps(
        [str(cwd), list(args.packages), [f.render() for f in args.flags], options_key,
         _env_facts(env), file_id(Path(_go_env_file(env)))],
    )  # fmt: skip
    digest = hashlib.sha256(material.encode()).hexdigest()[:24]
    return cache_root / PLANS_DIR / f"{digest}.json"


class Plan(NamedTuple):
    """What the full path learned about a single-package command line."""

    package: str
    output: str | None
    stage_key: str
    name: str
    goflags: str
    project: tuple[str, object]  # gostatic.toml's path and identity: a new pin voids the plan
    dir: str  # the package's source directory


def project_identity(project_file: Path) -> tuple[str, object]:
    found = file_id(project_file)
    return (str(project_file), list(found) if found is not None else None)


def read_plan(path: Path) -> Plan | None:
    try:
        raw = json.loads(path.read_text())
        output = raw["output"]
        project = raw["project"]
        plan = Plan(
            package=str(raw["package"]),
            output=None if output is None else str(output),
            stage_key=str(raw["stage_key"]),
            name=str(raw["name"]),
            goflags=str(raw["goflags"]),
            project=(str(project[0]), project[1]),
            dir=str(raw["dir"]),
        )
    except (OSError, ValueError, KeyError, TypeError, IndexError):
        return None
    return plan


def write_plan(path: Path, plan: Plan) -> None:
    """Record the plan unless it is already there (an up-to-date build writes nothing)."""
    if read_plan(path) == plan:
        return
    from gostatic.atomic import write_atomic

    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(path, json.dumps(plan._asdict()).encode())
    except OSError:
        pass  # a plan only saves time; the cache's own warnings cover an unwritable dir


def request_plan_file(request: BuildRequest, cache_root: Path) -> Path | None:
    options = request.options
    if options.no_cache or options.pin:
        return None
    options_key = f"strategy={options.strategy} strict={options.strict}"
    return plan_file(request.go_args, request.env, request.cwd, options_key, cache_root)


def fast_build(request: BuildRequest, session: GoSession) -> BuildReport | None:
    """The report of a build that the plan settles, or None for the full path.

    Up to date: go's own check leaves the stage binary with the stamped build ID, and the
    output is still gostatic's copy. Rebuilt: the strategy that worked for this command
    is run again and its output read as the full path reads it; if it is static with no
    hazard, it is installed, with no go list and no go env. `cgo-off` is the exception:
    whether it compiled a stub depends on the import graph, so the full path decides.
    Whatever go ran here stays in ``session``, so the full path never runs it twice.
    """
    options = request.options
    cache_root = cache_dir(
        request.env, request.cwd / options.cache_dir if options.cache_dir else None
    )
    path = request_plan_file(request, cache_root)
    plan = read_plan(path) if path is not None else None
    if plan is None or not _trustworthy(plan, request):
        return None
    stage = Stage(cache_root / STAGE_DIR, plan.stage_key)
    stamp = stage.read_stamp()
    if stamp is None or not is_strategy_name(stamp.strategy):
        return None
    if (options.strategy not in (None, stamp.strategy)) or (options.strict and stamp.hazards):
        return None
    strategy = strategy_named(stamp.strategy)
    if strategy.toolchain is not None:
        return None  # its CC comes from detection on the full path, never from a file
    if sets_build_id(request.go_args, plan.goflags):
        return None  # a fixed build ID cannot tell a relinked binary from the proved one
    needs_graph = ("CGO_ENABLED", "0") in strategy.overlay.env
    if _sources_changed_since(plan.dir, stage.stamped_at()):
        _start_early(request, session, needs_graph)
    stage_bin = stage.binary(strategy.name, plan.name)
    args = request.go_args
    argv = ["build", *apply_overlay(args, plan.goflags, strategy.overlay, str(stage_bin))]
    argv += args.packages  # the command line's own: the full path runs the same command
    env = overlay_env(request.env, strategy.overlay)
    built = session.run(argv, env=env, cwd=request.cwd, check=False)
    if not built.ok:
        return None  # the full path tells a compile error from a rung that does not apply
    output = request.cwd / (args.workdir or ".") / plan.output if plan.output else None
    build_id = go_build_id(stage_bin)
    if build_id is None:
        return None
    if build_id == stamp.build_id:
        if output is not None and file_id(output) != stamp.output:
            return None
        detail, hazards, rebuilt = UP_TO_DATE_DETAIL, stamp.hazards, False
    else:
        if needs_graph or not _static_without_hazards(stage_bin):
            return None
        try:
            stage.settle(stage_bin, output, Stamp(strategy.name, build_id, None, ()))
        except OSError:
            return None  # the full path says what could not be written, in one line
        detail, hazards, rebuilt = STATIC_DETAIL, (), True
    result = PackageResult(
        package=plan.package,
        output=plan.output,
        strategy=strategy.name,
        static=True,
        hazards=hazards,
        attempts=(Attempt(strategy.name, "static", detail, built.stderr),),
        up_to_date=not rebuilt,
    )
    return BuildReport((result,))


def _static_without_hazards(binary: Path) -> bool:
    from gostatic.elf import inspect_elf
    from gostatic.errors import ElfError

    try:
        facts = inspect_elf(binary)
    except ElfError:
        return False
    return facts.is_static and not facts.hazards


def _trustworthy(plan: Plan, request: BuildRequest) -> bool:
    """Whether the plan's facts match what can be checked without go.

    The plan file is untrusted like the rest of the cache: what it says becomes part of
    go's arguments (GOFLAGS merged into -ldflags, the stage path) and the path gostatic
    writes to, so each of those must agree with the command line and the environment.
    (The package arguments are the command line's own, never the plan's.)
    """
    name = plan.name
    if not name or name in (".", "..") or os.path.basename(name) != name:
        return False
    base = request.cwd / (request.go_args.workdir or ".")
    if plan.output != output_for(request.go_args.output, name, base):
        return False
    if plan.goflags != _effective_goflags(request.env):
        return False
    return file_id(Path(plan.project[0])) == _as_id(plan.project[1])


def _effective_goflags(env: Mapping[str, str]) -> str | None:
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


def _sources_changed_since(directory: str, stamped_at: int | None) -> bool:
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


def _start_early(request: BuildRequest, session: GoSession, needs_graph: bool) -> None:
    """Start, while the fast path's go build runs, what will be needed after it: the ELF
    reader's import and, when the full path will have to decide, go env and go list (as
    gostatic.build asks them)."""
    # pyelftools takes ~50 ms to import. Not a daemon thread: an import must not be cut
    # off at interpreter exit.
    threading.Thread(target=importlib.import_module, args=("gostatic.elf",)).start()
    if needs_graph:
        from gostatic.gocmd import ENV_ARGS
        from gostatic.packages import list_args

        session.start(ENV_ARGS, env=request.env, cwd=request.cwd)
        session.start(list_args(request.go_args), env=request.env, cwd=request.cwd)


def _as_id(raw: object) -> tuple[int, int, int] | None:
    if isinstance(raw, list) and len(raw) == 3 and all(isinstance(x, int) for x in raw):
        return (raw[0], raw[1], raw[2])
    return None
