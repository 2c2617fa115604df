"""`gostatic matrix`: the seed's experiment. Build each package in each mode, read each ELF.

The seed's Makefile modes keep their names (auto, cgo0, cgo1, dyn, netgo). gostatic's own
strategies are modes too, spelled ``strategy:NAME``: the seed's ``netgo`` is ``-tags netgo``
alone, while the strategy ``netgo`` adds ``osusergo`` as well, and one name must not mean both.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path

from gostatic.errors import GoCommandError, UsageError
from gostatic.go.cmd import run_go
from gostatic.go.env import GoEnv, go_env
from gostatic.go.flags import GoBuildArgs, Overlay, apply_overlay, overlay_env
from gostatic.go.packages import exe_name, load_packages
from gostatic.records import TYPE_CHECKING, Record
from gostatic.strategies import LADDER, NAMES, Strategy, is_strategy_name, strategy_named
from gostatic.targets import ELF_GOOS, non_elf_message
from gostatic.toolchains import INSTALL_HINT, Toolchains

if TYPE_CHECKING:
    from typing import Literal, TypeAlias

    Result: TypeAlias = Literal["static", "dynamic", "build-failed"]

STRATEGY_PREFIX = "strategy:"

# A mode is built as a strategy is (an overlay on go build, and for musl-static and
# zig-static a C toolchain), under the mode's own name: a seed mode's, or
# ``strategy:NAME``. Those names are looked up here only, never in the strategy cache.
Mode = Strategy

SEED_MODES: tuple[Mode, ...] = (
    Mode("auto", Overlay(), "go build"),
    Mode("cgo0", Overlay(env=(("CGO_ENABLED", "0"),)), "CGO_ENABLED=0 go build"),
    Mode("cgo1", Overlay(env=(("CGO_ENABLED", "1"),)), "CGO_ENABLED=1 go build"),
    Mode("dyn", Overlay(linkmode="external"), "go build -ldflags -linkmode=external"),
    Mode("netgo", Overlay(tags=("netgo",)), "go build -tags netgo"),
)
_SEED_BY_NAME = {m.name: m for m in SEED_MODES}
MODE_NAMES: tuple[str, ...] = (
    *_SEED_BY_NAME,
    *(STRATEGY_PREFIX + s.name for s in LADDER),
)


def mode_named(name: str) -> Mode:
    if name in _SEED_BY_NAME:
        return _SEED_BY_NAME[name]
    strategy = name.removeprefix(STRATEGY_PREFIX)
    if name.startswith(STRATEGY_PREFIX) and is_strategy_name(strategy):
        return strategy_named(strategy)._replace(name=name)
    hint = ""
    if name in NAMES:
        hint = f" (the strategy is {STRATEGY_PREFIX}{name})"
    raise UsageError(f"unknown mode {name!r}{hint}; choose from: {', '.join(MODE_NAMES)}")


def parse_modes(text: str | None) -> tuple[Mode, ...]:
    """``--modes a,b,c`` in the order given, each once; the seed's five when not given."""
    if text is None:
        return SEED_MODES
    names = [n.strip() for n in text.split(",") if n.strip()]
    if not names:
        raise UsageError("--modes names no mode")
    return tuple(mode_named(n) for n in dict.fromkeys(names))


class Program(Record):
    """One program of the table: what to pass to go build, and how to show it."""

    package: str  # import path, or the .go file as given
    short: str
    build_args: tuple[str, ...]


class Cell(Record):
    mode: str
    package: str
    short: str
    result: Result
    detail: str  # go's first error line for build-failed, else ""


class MatrixReport(Record):
    modes: tuple[str, ...]
    packages: tuple[str, ...]
    cells: tuple[Cell, ...]


class MatrixRequest(Record):
    packages: tuple[str, ...]
    modes: tuple[Mode, ...]
    env: Mapping[str, str]
    cwd: Path


# Called after each cell with the cell, the number of cells done and the number in all.
ProgressFn = Callable[[Cell, int, int], None]


def _no_progress(cell: Cell, done: int, total: int) -> None:
    pass


def run_matrix(request: MatrixRequest, progress: ProgressFn = _no_progress) -> MatrixReport:
    if not request.packages:
        raise UsageError("matrix needs at least one package")
    goenv = go_env(request.env, request.cwd)
    if goenv.goos not in ELF_GOOS:
        raise UsageError(non_elf_message(goenv.goos))
    programs = _programs(request, goenv)
    cells: list[Cell] = []
    total = len(request.modes) * len(programs)
    # Always removed, Ctrl-C included: the binaries are evidence, not products.
    with tempfile.TemporaryDirectory(prefix="gostatic-matrix-") as tmp:
        for index, mode in enumerate(request.modes):
            for program in programs:
                output = Path(tmp) / str(index) / (program.short + goenv.goexe)
                cell = _build_cell(request, goenv, mode, program, output)
                cells.append(cell)
                progress(cell, len(cells), total)
    return MatrixReport(
        tuple(m.name for m in request.modes), tuple(p.package for p in programs), tuple(cells)
    )


def _programs(request: MatrixRequest, goenv: GoEnv) -> list[Program]:
    """Each .go file is a program of its own, as in the seed's Makefile; everything else goes
    through one `go list` so that patterns expand and a bad path fails before any build."""
    files = [p for p in request.packages if p.endswith(".go")]
    for f in files:
        if not (request.cwd / f).is_file():
            raise UsageError(f"{f}: no such file")
    patterns = tuple(p for p in request.packages if not p.endswith(".go"))
    programs = [Program(f, Path(f).stem, (f,)) for f in files]
    if patterns:
        graph = load_packages(GoBuildArgs((), patterns), request.env, request.cwd, deps=False)
        for pkg in graph.named:
            if pkg.error is not None:
                raise GoCommandError(pkg.error)
        mains = [p for p in graph.named if p.is_main]
        if not mains:
            raise UsageError(f"no main package in {' '.join(patterns)}")
        programs += [Program(p.import_path, exe_name(p, (), ""), (p.import_path,)) for p in mains]
    return _unique_shorts(programs)


def _unique_shorts(programs: Iterable[Program]) -> list[Program]:
    """Short names label the table; where two collide, those two show their full name."""
    programs = list(programs)
    shorts = [p.short for p in programs]
    return [
        p if shorts.count(p.short) == 1 else Program(p.package, p.package, p.build_args)
        for p in programs
    ]


def _build_cell(
    request: MatrixRequest, goenv: GoEnv, mode: Mode, program: Program, output: Path
) -> Cell:
    from gostatic.elf.facts import inspect_elf

    output.parent.mkdir(parents=True, exist_ok=True)
    argv = apply_overlay(GoBuildArgs((), ()), goenv.goflags, mode.overlay, str(output))
    env = overlay_env(request.env, mode.overlay)
    if mode.toolchain is not None:
        cc = Toolchains(request.env, goenv.cc).cc_env(mode.toolchain, goenv.goarch)
        if cc is None:
            why = f"{mode.toolchain} is not installed for GOARCH={goenv.goarch} ({INSTALL_HINT})"
            return Cell(mode.name, program.package, program.short, "build-failed", why)
        env.update(cc)
    built = run_go(
        ["build", *argv, *program.build_args],
        env=env,
        cwd=request.cwd,
        check=False,
    )
    if not built.ok:
        return Cell(
            mode.name, program.package, program.short, "build-failed", built.first_error_line
        )
    facts = inspect_elf(output)
    result: Result = "static" if facts.is_static else "dynamic"
    return Cell(mode.name, program.package, program.short, result, "")
