"""Plans: what the full path learned about a command line that it settled, so that the
next identical command line can take the fast path (gostatic.incremental.fast).

A plan is keyed by the command line, the directory, the environment, go's env file and
gostatic's options, and names the packages the command line builds: what go list said it
names (import path, package name and directory of each package) and, for each main
package, its binary's name in the stage and its output. A command line that names one
package has a plan of one. One that can name several (`./...`, `./cmd/a ./cmd/b`) may
match other packages tomorrow without changing, so the fast path checks its plan against
go list on every run; a single package cannot, and its plan is taken as it is.

A plan is only a shortcut to facts that the stamps' build IDs then confirm; it is
untrusted like every file in the cache: a file of the wrong shape is no plan, and what a
plan says becomes part of go's arguments only after :func:`trustworthy` held it to the
command line and the environment.
"""

from __future__ import annotations

import os

from gostatic.go.flags import output_for
from gostatic.go.output import go_env_file, go_setting_in_effect, goflags_in_effect
from gostatic.incremental import codec
from gostatic.incremental.stage import file_id
from gostatic.paths import PLANS_DIR
from gostatic.records import TYPE_CHECKING, Record

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    from gostatic.builder.results import BuildRequest
    from gostatic.go.flags import GoBuildArgs
    from gostatic.incremental.stage import FileId

# Single arguments that name many packages.
_META_PATTERNS = frozenset({"all", "std", "cmd", "tool", "work"})
# Flags under which go does not (only) build: the full path handles them.
_NOT_FAST = frozenset({"n", "a", "json"})

# The plan file's kind and fields: the key's material (each part a value of its own), the
# plan's settings, then go list's packages and the main packages' binaries, each as
# columns side by side.
PLAN_KIND = "gostatic-plan-2"
_LISTED = ("listed_import_path", "listed_name", "listed_dir")
_MEMBERS = ("member_package", "member_name", "member_output")
# Each `#cgo pkg-config` argument, with the number of its package's directive beside it.
_PKG_CONFIG = ("pkg_config_directive", "pkg_config_arg")
PLAN_FIELDS = frozenset(
    {"material", "goflags", "project", "project_id", "list_with_cgo", "stage_key"}
    | {*_LISTED, *_MEMBERS, "pkg_config", "cgo_cppflags", *_PKG_CONFIG}
)


def names_several_packages(packages: Sequence[str]) -> bool:
    """Whether a command line's package arguments can name more than one package: several
    arguments, or a pattern (.go files name one package between them). The fast path
    checks such a command line's plan against go list on every run."""
    if any(p.endswith(".go") for p in packages):
        return False
    return len(packages) > 1 or any("..." in p or p in _META_PATTERNS for p in packages)


class PlanKey(Record):
    """Everything a plan is valid for, and the file it lives in."""

    path: str
    material: tuple[str, ...]


def _env_facts(env: Mapping[str, str]) -> list[str]:
    """The environment that can change what go builds or which go runs, as NAME=VALUE."""
    keep = ("GO", "CGO_", "GOSTATIC_")
    named = {"CC", "CXX", "PATH", "HOME", "XDG_CONFIG_HOME", "PKG_CONFIG_PATH"}
    return sorted(f"{k}={v}" for k, v in env.items() if k.startswith(keep) or k in named)


def _plan_key(
    args: GoBuildArgs, env: Mapping[str, str], cwd: str, options_key: str, cache_root: str
) -> PlanKey | None:
    """The key of this command line's plan; None when it may not take the fast path."""
    if any(f.name in _NOT_FAST for f in args.flags):
        return None
    # Each part is counted, so that no two command lines give the same fields.
    material = (
        cwd,
        options_key,
        str(file_id(go_env_file(env))),
        str(len(args.packages)),
        *args.packages,
        str(len(args.flags)),
        *(f.render() for f in args.flags),
        *_env_facts(env),
    )
    name = codec.digest("\0".join(material))
    return PlanKey(os.path.join(cache_root, PLANS_DIR, name), material)


def request_plan_key(request: BuildRequest, cache_root: str) -> PlanKey | None:
    """The key of the request's plan; None when it may neither take nor make one."""
    options = request.options
    if options.no_cache or options.pin:
        return None
    options_key = f"strategy={options.strategy} strict={options.strict}"
    return _plan_key(request.go_args, request.env, request.cwd, options_key, cache_root)


class Listed(Record):
    """A package as go list names it."""

    import_path: str
    name: str
    dir: str


class Member(Record):
    """A main package of the command line: its binary's name in the stage and its output."""

    package: str
    name: str
    output: str | None


class Plan(Record):
    """What the full path learned about a command line."""

    goflags: str
    project: tuple[str, FileId | None]  # gostatic.toml and its identity: a new pin voids the plan
    # Listed with CGO_ENABLED=1, as gostatic.builder.full lists when go turns cgo off.
    list_with_cgo: bool
    stage_key: str
    listed: tuple[Listed, ...]
    members: tuple[Member, ...]
    # For a build with `#cgo pkg-config` packages, what its static rungs' environment is
    # made from (gostatic.cgo.pkgconfig): each package's arguments, and go env's PKG_CONFIG
    # and CGO_CPPFLAGS, which :func:`trustworthy` holds to the environment.
    pkg_config_directives: tuple[tuple[str, ...], ...] = ()
    pkg_config: str = ""
    cgo_cppflags: str = ""


def project_identity(project_file: str | os.PathLike[str]) -> tuple[str, FileId | None]:
    return (os.fspath(project_file), file_id(project_file))


def write_plan(key: PlanKey, plan: Plan) -> None:
    """Record the plan unless it is already there (an up-to-date build writes nothing)."""
    if read_plan(key) == plan:
        return
    from gostatic.atomic import write_atomic

    project, found = plan.project
    fields = [
        *(("material", part) for part in key.material),
        ("goflags", plan.goflags),
        ("project", project),
        ("project_id", codec.identity_value(found)),
        ("list_with_cgo", codec.flag_value(plan.list_with_cgo)),
        ("stage_key", plan.stage_key),
    ]
    for listed in plan.listed:
        fields += zip(_LISTED, listed, strict=True)
    for member in plan.members:
        row = (member.package, member.name, member.output or "")
        fields += zip(_MEMBERS, row, strict=True)
    if plan.pkg_config_directives:
        fields += [("pkg_config", plan.pkg_config), ("cgo_cppflags", plan.cgo_cppflags)]
    for number, directive in enumerate(plan.pkg_config_directives):
        for arg in directive:
            fields += ((_PKG_CONFIG[0], str(number)), (_PKG_CONFIG[1], arg))
    try:
        os.makedirs(os.path.dirname(key.path), exist_ok=True)
        write_atomic(key.path, codec.encode(PLAN_KIND, fields))
    except OSError:
        pass  # a plan only saves time; the cache's own warnings cover an unwritable dir


def read_plan(key: PlanKey) -> Plan | None:
    """The plan for ``key``, or None if there is none of the expected shape."""
    read = _read(key.path)
    if read is None or read[0] != key.material:
        return None
    return read[1]


def planned_packages(path: str) -> tuple[str, ...]:
    """The main packages the plan at ``path`` builds, whatever command line it is for; ()
    if the file is not a plan."""
    read = _read(path)
    return tuple(m.package for m in read[1].members) if read is not None else ()


def _read(path: str) -> tuple[tuple[str, ...], Plan] | None:
    """The key material and the plan in the file at ``path``; None if it is not a plan."""
    fields = codec.read(PLAN_KIND, path, PLAN_FIELDS)
    if fields is None:
        return None
    try:
        listed = tuple(Listed(*row) for row in fields.rows(*_LISTED))
        members = tuple(
            Member(package, name, output or None)
            for package, name, output in fields.rows(*_MEMBERS)
        )
        plan = Plan(
            goflags=fields.one("goflags"),
            project=(fields.one("project"), fields.identity("project_id")),
            list_with_cgo=fields.flag("list_with_cgo"),
            stage_key=fields.one("stage_key"),
            listed=listed,
            members=members,
            pkg_config_directives=_directives(fields.rows(*_PKG_CONFIG)),
        )
        if plan.pkg_config_directives:
            plan = plan._replace(
                pkg_config=fields.one("pkg_config"), cgo_cppflags=fields.one("cgo_cppflags")
            )
    except ValueError:
        return None
    return tuple(fields.many("material")), plan


def _directives(rows: list[tuple[str, ...]]) -> tuple[tuple[str, ...], ...]:
    """The `#cgo pkg-config` arguments of each package from (number, argument) rows, in
    file order; numbers that do not count up from 0 raise ValueError."""
    directives: list[list[str]] = []
    for number, arg in rows:
        if int(number) == len(directives):
            directives.append([])
        elif int(number) != len(directives) - 1:
            raise ValueError("pkg_config_directive: out of order")
        directives[-1].append(arg)
    return tuple(tuple(d) for d in directives)


def trustworthy(plan: Plan, request: BuildRequest) -> bool:
    """Whether the plan's facts agree with each other, the command line and the
    environment, as far as can be checked without go.

    What the plan says becomes part of go's arguments (GOFLAGS merged into -ldflags, the
    stage path, the packages of a command line that names several) and the paths gostatic
    writes to. So the packages it builds must be the main packages it lists (which go
    list then holds to the command line's own expansion; a single package's command line
    builds its own argument, and its plan must name exactly one); each binary must have a
    name of its own in the stage and the output go would write; GOFLAGS and the project
    file must be what they were.
    """
    several = names_several_packages(request.go_args.packages)
    if not several and (len(plan.members) != 1 or len(plan.listed) != 1):
        return False
    if not _members_are_the_mains(plan) or not _outputs_are_gos(plan, request):
        return False
    if not _settings_unchanged(plan.goflags, plan.project, request.env):
        return False
    return not plan.pkg_config_directives or _pkg_config_unchanged(plan, request.env)


def _members_are_the_mains(plan: Plan) -> bool:
    """Whether the plan builds each main package it lists, once, into a file of its own."""
    mains = {p.import_path for p in plan.listed if p.name == "main"}
    names = [m.name for m in plan.members]
    if len(set(names)) != len(names) or not all(_is_file_name(n) for n in names):
        return False
    return {m.package for m in plan.members} == mains and len(mains) == len(plan.members)


def _outputs_are_gos(plan: Plan, request: BuildRequest) -> bool:
    """Whether each binary's output is where go build would write it."""
    args = request.go_args
    base = os.path.join(request.cwd, args.workdir or ".")
    several = len(plan.listed) > 1
    for member in plan.members:
        # Several packages and no -o: go builds them and writes nothing.
        expected = (
            None if several and args.output is None else output_for(args.output, member.name, base)
        )
        if member.output != expected:
            return False
    return True


def _is_file_name(name: str) -> bool:
    """Whether ``name`` names a file in a directory, and nothing else."""
    return bool(name) and name not in (".", "..") and os.path.basename(name) == name


def _settings_unchanged(
    goflags: str, project: tuple[str, FileId | None], env: Mapping[str, str]
) -> bool:
    """Whether GOFLAGS and the project file are what a plan recorded."""
    if goflags != goflags_in_effect(env):
        return False
    path, identity = project
    return file_id(path) == identity


def _pkg_config_unchanged(plan: Plan, env: Mapping[str, str]) -> bool:
    """Whether go env's PKG_CONFIG and CGO_CPPFLAGS are what the plan recorded: a static
    rung's pkg-config wrapper runs the program PKG_CONFIG names, and CGO_CPPFLAGS reaches
    the C compiler (go's default PKG_CONFIG is pkg-config)."""
    pkg_config = go_setting_in_effect(env, "PKG_CONFIG")
    if pkg_config is None or plan.pkg_config != (pkg_config or "pkg-config"):
        return False
    return plan.cgo_cppflags == go_setting_in_effect(env, "CGO_CPPFLAGS")
