"""The fast path of a command line that names several packages (`./...`, `./cmd/...`,
`./cmd/a ./cmd/b`): one `go list` and one `go build` per strategy, side by side.

A pattern can match other packages tomorrow without the command line changing, so its
plan records what go list said the command line names (import path, package name and
directory of each package), and every run asks go list again, for those three fields only
(the bench's `./...` rows measure what it adds). While it runs, the packages are built
with the strategies their stamps proved, each strategy's main packages in one
`go build -o STAGE/STRATEGY/`, as go builds `-o bin/ ./...`, so that go's up-to-date check
and its build cache serve them all in one process.

If go list names exactly the planned packages, each binary is settled as a single
package's is (gostatic.fastpath): up to date, or re-checked and installed. Anything else
(a package added, removed or broken, a failed build, a binary that is no longer static)
goes to the full path, which re-derives every fact.
"""

from __future__ import annotations

import os

from gostatic import statefile
from gostatic.fastpath import (
    is_file_name,
    load_for_relinked,
    proved_strategy,
    settings_unchanged,
    settle_built,
    sources_changed_since,
)
from gostatic.goflags import (
    apply_overlay,
    checks_non_main,
    output_for,
    overlay_env,
    sets_build_id,
)
from gostatic.golist import listing_args, listing_env
from gostatic.paths import STAGE_DIR
from gostatic.records import Record
from gostatic.results import BuildReport
from gostatic.stage import Stage, file_id_fields, file_id_from_fields
from gostatic.strategies import PLAIN

TYPE_CHECKING = False  # see gostatic.records: typing is not imported on the build path
if TYPE_CHECKING:
    from collections.abc import Sequence

    from gostatic.fastpath import PlanKey
    from gostatic.gocmd import GoSession
    from gostatic.results import BuildRequest, PackageResult
    from gostatic.stage import FileId, Stamp
    from gostatic.strategies import Strategy

    _Proved = tuple["Member", Stage, tuple[Stamp, Strategy]]

_GROUP_KIND = "gostatic-group-1"


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


class GroupPlan(Record):
    """What the full path learned about a command line that names several packages."""

    goflags: str
    project: tuple[str, FileId | None]
    list_with_cgo: bool  # listed with CGO_ENABLED=1, as the full path lists when go turns cgo off
    stage_key: str
    listed: tuple[Listed, ...]
    members: tuple[Member, ...]


def _listing_records(listed: Sequence[Listed]) -> list[str]:
    """go list's records for ``listed``, none with an error (its field is empty), in a
    stable order."""
    return sorted(f"{p.import_path}\0{p.name}\0{p.dir}\0" for p in listed)


def _records_of(stdout: str) -> list[str]:
    """The records go list printed: each ends with NUL and go's newline."""
    return sorted(r for r in stdout.split("\0\n") if r)


def write_group_plan(key: PlanKey, plan: GroupPlan) -> None:
    """Record the plan unless it is already there (an up-to-date build writes nothing)."""
    if read_group_plan(key) == plan:
        return
    from gostatic.atomic import write_atomic

    project, found = plan.project
    fields = [
        str(len(key.material)),  # so that the file can be read without the key
        *key.material,
        plan.goflags,
        project,
        *file_id_fields(found),
        "1" if plan.list_with_cgo else "",
        plan.stage_key,
        str(len(plan.listed)),
        *(field for p in plan.listed for field in p),
        str(len(plan.members)),
        *(field for m in plan.members for field in (m.package, m.name, m.output or "")),
    ]
    try:
        os.makedirs(os.path.dirname(key.path), exist_ok=True)
        write_atomic(key.path, statefile.encode(_GROUP_KIND, fields))
    except OSError:
        pass  # a plan only saves time; the cache's own warnings cover an unwritable dir


def read_group_plan(key: PlanKey) -> GroupPlan | None:
    """The plan for ``key``, or None if there is none of the expected shape."""
    parsed = _parse(statefile.read(_GROUP_KIND, key.path))
    if parsed is None or parsed[0] != key.material:
        return None
    return parsed[1]


def group_plan_members(path: str) -> tuple[str, ...]:
    """The main packages the group plan at ``path`` builds, whatever command line it is
    for; () if the file is not a group plan."""
    parsed = _parse(statefile.read(_GROUP_KIND, path))
    return tuple(m.package for m in parsed[1].members) if parsed is not None else ()


def _parse(fields: list[str] | None) -> tuple[tuple[str, ...], GroupPlan] | None:
    """A plan file's key material and plan. The file is untrusted: every count is checked
    against what follows it."""
    if not fields:
        return None
    try:
        n = int(fields[0])
        if n < 0 or len(fields) < n + 9:
            return None
        material = tuple(fields[1 : n + 1])
        goflags, project, *identity = fields[n + 1 : n + 6]
        with_cgo, stage_key, count = fields[n + 6 : n + 9]
        found = file_id_from_fields(identity)
        rest = fields[n + 9 :]
        n_listed = int(count)
        if n_listed < 0:
            return None
        listed_fields, rest = rest[: 3 * n_listed], rest[3 * n_listed :]
        n_members = int(rest[0])
    except (ValueError, IndexError):
        return None
    member_fields = rest[1:]
    if len(listed_fields) != 3 * n_listed or n_members < 0:
        return None
    if len(member_fields) != 3 * n_members or with_cgo not in ("", "1"):
        return None
    listed = tuple(Listed(*listed_fields[i : i + 3]) for i in range(0, len(listed_fields), 3))
    members = tuple(
        Member(package, name, output or None)
        for package, name, output in (
            member_fields[i : i + 3] for i in range(0, len(member_fields), 3)
        )
    )
    plan = GroupPlan(goflags, (project, found), with_cgo == "1", stage_key, listed, members)
    return material, plan


def _trustworthy(plan: GroupPlan, request: BuildRequest) -> bool:
    """Whether the plan's facts agree with each other, the command line and the
    environment (see gostatic.fastpath._trustworthy): the packages it builds are main
    packages it lists, which go list then holds to the command line's own expansion;
    each binary has a name of its own in the stage and the output go would write."""
    mains = {p.import_path for p in plan.listed if p.name == "main"}
    names = [m.name for m in plan.members]
    if len(set(names)) != len(names) or not all(is_file_name(n) for n in names):
        return False
    if {m.package for m in plan.members} != mains or len(mains) != len(plan.members):
        return False
    args = request.go_args
    base = os.path.join(request.cwd, args.workdir or ".")
    several = len(plan.members) > 1
    for member in plan.members:
        # Several main packages and no -o: go builds them and writes nothing.
        expected = (
            None if several and args.output is None else output_for(args.output, member.name, base)
        )
        if member.output != expected:
            return False
    return settings_unchanged(plan.goflags, plan.project, request.env)


def fast_group_build(
    request: BuildRequest, session: GoSession, key: PlanKey, cache_root: str
) -> BuildReport | None:
    """The report of a build that the group plan settles, or None for the full path."""
    plan = read_group_plan(key)
    if plan is None or not _trustworthy(plan, request):
        return None
    args = request.go_args
    if sets_build_id(args, plan.goflags):
        return None  # a fixed build ID cannot tell a relinked binary from the proved one
    stage_root = os.path.join(cache_root, STAGE_DIR)
    proved: list[_Proved] = []
    for member in plan.members:
        stage = Stage(stage_root, plan.stage_key, member.name)
        found = proved_strategy(stage, request)
        if found is None:
            return None
        proved.append((member, stage, found))
    builds = _group_builds(request, plan, proved)
    for argv, env in builds:
        session.start(argv, env=env, cwd=request.cwd, background=False)
    directories = {p.import_path: p.dir for p in plan.listed}
    if any(sources_changed_since(directories[m.package], s.stamped_at()) for m, s, _ in proved):
        load_for_relinked()
    listing = listing_args(args)
    list_env = listing_env(request.env, plan.list_with_cgo)
    listed = session.run(listing, env=list_env, cwd=request.cwd, check=False)
    if not listed.ok or _records_of(listed.stdout) != _listing_records(plan.listed):
        return None  # the command line names other packages now: the full path
    said = ""
    for argv, env in builds:
        built = session.run(argv, env=env, cwd=request.cwd, check=False)
        if not built.ok:
            return None  # the full path tells a compile error from a rung that does not apply
        said += built.stderr
    base = os.path.join(request.cwd, args.workdir or ".")
    results: list[PackageResult] = []
    for member, stage, found in proved:
        output = os.path.join(base, member.output) if member.output else None
        result = settle_built(stage, found, member.package, member.output, output, said)
        if result is None:
            return None
        results.append(result)
    return BuildReport(tuple(results))


def _group_builds(
    request: BuildRequest, plan: GroupPlan, proved: list[_Proved]
) -> list[tuple[list[str], dict[str, str]]]:
    """The go builds of a group plan: per strategy, its main packages into the strategy's
    stage directory; and go's plain check of the packages that are not main, where go
    build gives them one, in a build of its own (with -o DIR/, go builds main packages
    only)."""
    by_strategy: dict[str, tuple[Strategy, list[str]]] = {}
    stages: dict[str, str] = {}
    for member, stage, (_, strategy) in proved:
        by_strategy.setdefault(strategy.name, (strategy, []))[1].append(member.package)
        stages[strategy.name] = os.path.join(stage.strategy_dir(strategy.name), "")
    args, goflags = request.go_args, plan.goflags
    builds = []
    for name, (strategy, packages) in by_strategy.items():
        flags = apply_overlay(args, goflags, strategy.overlay, stages[name])
        builds.append(
            (["build", *flags, "--", *packages], overlay_env(request.env, strategy.overlay))
        )
    libraries = [p.import_path for p in plan.listed if p.name != "main"]
    if libraries and checks_non_main(args.output):
        flags = apply_overlay(args, goflags, PLAIN.overlay, None)
        builds.append((["build", *flags, "--", *libraries], dict(request.env)))
    return builds
