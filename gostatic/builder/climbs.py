"""The climbs of one full-path build, side by side: one `go build` per predicted strategy
for the packages that share a stage, the other packages' first builds started ahead.

go builds `-o bin/ ./...` in one process, whose build cache and up-to-date check serve
every package at once; one go build per package costs a process each (on a 2-core machine
0.88 s over go's own build for 20 commands, issue 17). So when the packages of a command
line share a stage directory (gostatic.builder.full's group key), the main packages whose
first rung is the same strategy are built with one `go build -o STAGE/STRATEGY/ PKGS`, the
layout the fast path's group builds use (gostatic.incremental.fast). Each binary is then
checked by its own climb (gostatic.builder.climb), as if the climb had built it; a package whose
binary is not taken (dynamic, a hazard that rules it out) climbs on alone from its second
rung. When the group's build fails, a package whose binary go wrote anyway compiled and is
checked all the same; each other one climbs alone from its first rung, so that go says
which one does not compile, in its own words.
"""

from __future__ import annotations

import os

from gostatic.builder.climb import Climb
from gostatic.builder.results import PackageResult
from gostatic.builder.rungchoice import toolchain_env
from gostatic.go.flags import apply_overlay, overlay_env
from gostatic.go.session import GoCommand
from gostatic.incremental.stage import file_id
from gostatic.records import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    from gostatic.strategies import Strategy

    Settled = Callable[[Climb, PackageResult], PackageResult]


class _Group:
    """The packages of one stage whose first rung is one strategy, and their go build."""

    def __init__(
        self, strategy: Strategy, climbs: list[Climb], packages: Sequence[str] | None
    ) -> None:
        """``packages``: the package arguments of the go build, when not the climbs' import
        paths (the command line's own, when the group is every package it names)."""
        self.strategy = strategy
        self.climbs = climbs
        setting = climbs[0].setting
        request = setting.request
        # Every binary of a group goes into the same strategy directory of the shared stage.
        stage_dir = os.path.join(climbs[0].stage.strategy_dir(strategy.name), "")
        flags = apply_overlay(request.go_args, setting.goenv.goflags, strategy.overlay, stage_dir)
        named = packages if packages is not None else [c.pkg.import_path for c in climbs]
        self.argv = ["build", *flags, "--", *named]
        self.env = overlay_env(request.env, strategy.overlay)
        self.env.update(toolchain_env(strategy, setting.target, setting.tools))
        self.cwd = request.cwd

    @property
    def command(self) -> GoCommand:
        return GoCommand(self.argv, self.env, self.cwd)

    def start(self) -> None:
        os.makedirs(self.climbs[0].stage.strategy_dir(self.strategy.name), exist_ok=True)
        self.climbs[0].setting.session.start(self.argv, env=self.env, cwd=self.cwd)

    def settle(self) -> list[tuple[Climb, PackageResult | None, int]]:
        """Each climb, its result if its first rung settled it, and the rung it goes on
        from otherwise (1: its binary was checked and not taken; 0: go did not build it)."""
        session = self.climbs[0].setting.session
        built = session.run(self.argv, env=self.env, cwd=self.cwd, check=False)
        settled: list[tuple[Climb, PackageResult | None, int]] = []
        for climb in self.climbs:
            if built.ok or self._written(climb, session.opened_ns):
                # go's message about another package is not this one's.
                said = built.stderr if built.ok else ""
                settled.append((climb, climb.check_first_rung(said), 1))
            else:
                settled.append((climb, None, 0))
        return settled

    def _written(self, climb: Climb, since_ns: int) -> bool:
        """Whether go wrote the climb's binary in this session, though the build failed:
        it writes (or, when up to date, touches) the binary of each package it built, even
        when another one fails; one that is older (or missing) did not build now. The
        session opened before any go command, and file times are at most a clock tick
        coarser than it: far less than a go build takes."""
        written = file_id(climb.stage.binary(self.strategy.name))
        return written is not None and written[2] >= since_ns


def _groups(climbs: Sequence[Climb], whole_line: Sequence[str] | None) -> list[_Group]:
    """The groups of two or more packages whose first rung is the same strategy; a group
    of every package is built with the command line's own package arguments,
    ``whole_line``, if given (as go builds `-o bin/ ./...`).

    Only packages in module mode: there go names each binary as gostatic.go.packages.exe_name
    does (outside it, example.com/cmd/v2 becomes "v2"), so each finds its own file.
    """
    by_strategy: dict[str, list[Climb]] = {}
    strategies: dict[str, Strategy] = {}
    for climb in climbs:
        first = climb.first_rung()
        if first is None or climb.pkg.module is None:
            continue
        by_strategy.setdefault(first.name, []).append(climb)
        strategies[first.name] = first
    return [
        _Group(strategies[name], members, whole_line if len(members) == len(climbs) else None)
        for name, members in by_strategy.items()
        if len(members) > 1
    ]


def climb_all(
    prepared: Sequence[Climb | PackageResult],
    *,
    shared_stage: bool,
    whole_line: Sequence[str] | None,
    settled: Settled,
    while_building: Callable[[], None],
) -> list[PackageResult]:
    """Each package's result, in order. ``shared_stage``: the packages share a stage
    directory, so those of one first strategy are built by one go build (with the package
    arguments ``whole_line`` when it builds every package, if given). The builds of
    the other packages are started ahead, up to one per CPU at a time (go's build cache is
    made for that); ``while_building`` runs once every first build has started;
    ``settled`` is told each climb's result and gives the one to report."""
    climbs = [p for p in prepared if isinstance(p, Climb)]
    if len(climbs) != len(prepared):
        whole_line = None  # a package refused before any rung is not in any build
    groups = _groups(climbs, whole_line) if shared_stage else []
    grouped = {id(c) for g in groups for c in g.climbs}
    alone = [c for c in climbs if id(c) not in grouped]
    ahead = max(1, (os.cpu_count() or 1) - len(groups))
    if climbs:
        # A build started on a guess (gostatic.builder.headstart) that is not one of these
        # first builds stops before any of them can write where it writes.
        firsts = [g.command for g in groups] + [c.first_build() for c in alone[:ahead]]
        climbs[0].setting.session.keep_guesses(c for c in firsts if c is not None)
    for group in groups:
        group.start()
    for climb in alone[:ahead]:
        climb.start_first_rung()
    while_building()
    done: dict[int, PackageResult] = {}
    for group in groups:
        for climb, result, start in group.settle():
            done[id(climb)] = settled(climb, result if result is not None else climb.run(start))
    for i, climb in enumerate(alone):
        done[id(climb)] = settled(climb, climb.run())
        if i + ahead < len(alone):
            alone[i + ahead].start_first_rung()
    return [p if isinstance(p, PackageResult) else done[id(p)] for p in prepared]
