"""gostatic's overhead over plain `go build`, measured side by side in one run.

For a small program and a larger one (net/http), each scenario alternates `go build`
(with the flags of the strategy gostatic settles on) and `gostatic build`, and prints
median times and the median ratio:

1. up-to-date rebuild (nothing changed: go skips the link), beside the floor of any Python
   front end: an interpreter that only spawns the same go build and waits for it;
2. rebuild after a source change (compile and link);
3. cold first build (no gostatic cache or stage; go's build cache warm, output absent).

It also counts the `go build` calls of a cold first build, times `./...` over three
commands (up to date, and after one of them changed), a cold `-o bin/ ./...` over 1, 5
and 20 commands (and counts its go builds), the build after every output was replaced
behind gostatic's back (restored from a CI artifact), times `gostatic verify` on a
100 MB binary, and times the imports of gostatic's paths and of the standard modules the
up-to-date path avoids. Each section prints the command that reproduces it.
Run: `nox -s bench` or `python benchmarks/bench.py [--runs N] [--only SECTION ...]`.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path

SMALL = """package main

import "fmt"

func main() { fmt.Println("hello") }
"""

LARGE = """package main

import (
	"fmt"
	"net/http"
)

func main() {
	http.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) { fmt.Fprintln(w, "hi") })
	_ = http.ListenAndServe("127.0.0.1:0", nil)
}
"""

FLOOR = "import os, sys; os.waitpid(os.posix_spawn(sys.argv[1], sys.argv[1:], os.environ), 0)"

PROGRAMS = {"small (fmt)": ("small", SMALL), "larger (net/http)": ("large", LARGE)}
COLD_GOALS = {"small": 1.4, "large": 1.2}  # docs/performance.md


def gostatic_cmd() -> list[str]:
    found = shutil.which("gostatic")
    return [found] if found else [sys.executable, "-m", "gostatic"]


def timed(cmd: Sequence[str], cwd: Path, env: dict[str, str]) -> float:
    start = time.perf_counter()
    subprocess.run(cmd, cwd=cwd, env=env, check=True, capture_output=True)
    return time.perf_counter() - start


def alternate(
    runs: int,
    go: Callable[[], float],
    ours: Callable[[], float],
) -> tuple[float, float, float]:
    """Median go time, median gostatic time, median of per-pair ratios."""
    go_times, our_times, ratios = [], [], []
    for _ in range(runs):
        g = go()
        o = ours()
        go_times.append(g)
        our_times.append(o)
        ratios.append(o / g)
    return statistics.median(go_times), statistics.median(our_times), statistics.median(ratios)


def go_flags_for(strategy: str) -> tuple[list[str], dict[str, str]]:
    """The go build flags and env of a strategy, for the plain-go side of the comparison."""
    if strategy == "plain":
        return [], {}
    if strategy == "netgo":
        return ["-tags", "netgo,osusergo"], {}
    if strategy == "cgo-off":
        return [], {"CGO_ENABLED": "0"}
    return (
        ["-tags", "netgo,osusergo", "-ldflags", "-linkmode=external -extldflags=-static"],
        {"CGO_ENABLED": "1"},
    )


def bench_program(label: str, name: str, source: str, work: Path, runs: int) -> list[str]:
    mod = work / name
    (mod / "cmd" / name).mkdir(parents=True)
    (mod / "go.mod").write_text(f"module example.com/{name}\n\ngo 1.21\n")
    main_go = mod / "cmd" / name / "main.go"
    main_go.write_text(source)
    env = dict(os.environ)
    env["GOSTATIC_CACHE_DIR"] = str(work / f"cache-{name}")
    ours = gostatic_cmd()

    first = subprocess.run(
        [*ours, "build", "--json", "-o", "out-ours", f"./cmd/{name}"],
        cwd=mod, env=env, check=True, capture_output=True, text=True,
    )  # fmt: skip
    strategy = json.loads(first.stdout)["results"][0]["strategy"]
    flags, extra_env = go_flags_for(strategy)
    go_env = {**env, **extra_env}
    go_cmd = ["go", "build", *flags, "-o", "out-go", f"./cmd/{name}"]
    our_cmd = [*ours, "build", "--quiet", "-o", "out-ours", f"./cmd/{name}"]
    timed(go_cmd, mod, go_env)

    lines = [f"{label}: gostatic settles on {strategy!r}"]

    g, o, r = alternate(runs, lambda: timed(go_cmd, mod, go_env), lambda: timed(our_cmd, mod, env))
    lines.append(row("up-to-date rebuild", g, o, r, goal=1.5))
    # What no Python front end can go below: start this interpreter, spawn the same go
    # build, wait for it, exit.
    floor_cmd = [sys.executable, "-c", FLOOR, shutil.which("go") or "go", *go_cmd[1:]]
    g, o, r = alternate(
        runs, lambda: timed(go_cmd, mod, go_env), lambda: timed(floor_cmd, mod, go_env)
    )
    lines.append(row("  python floor of that", g, o, r, goal=None, name="floor"))

    counter = [0]

    def edit() -> None:
        counter[0] += 1
        main_go.write_text(source + f"\nvar edit{counter[0]} = {counter[0]}\n")

    def go_after_edit() -> float:
        edit()
        return timed(go_cmd, mod, go_env)

    def ours_after_edit() -> float:
        edit()
        return timed(our_cmd, mod, env)

    g, o, r = alternate(runs, go_after_edit, ours_after_edit)
    lines.append(row("rebuild after a change", g, o, r, goal=1.1))

    def floor_after_edit() -> float:
        edit()
        return timed(floor_cmd, mod, go_env)

    g, o, r = alternate(runs, go_after_edit, floor_after_edit)
    lines.append(row("  python floor of that", g, o, r, goal=None, name="floor"))

    cold_round = [0]

    def go_cold() -> float:
        (mod / "out-go").unlink(missing_ok=True)
        return timed(go_cmd, mod, go_env)

    def ours_cold() -> float:
        cold_round[0] += 1
        cold_env = {**env, "GOSTATIC_CACHE_DIR": str(work / f"cold-{name}-{cold_round[0]}")}
        (mod / "out-ours").unlink(missing_ok=True)
        return timed(our_cmd, mod, cold_env)

    # As many pairs as the other rows: a cold build is quick, and its goal is tight.
    g, o, r = alternate(runs, go_cold, ours_cold)
    lines.append(row("cold first build", g, o, r, goal=COLD_GOALS[name]))
    lines.append(f"  go build calls in a cold first build: {count_first_builds(mod, name, work)}")
    return lines


def bench_pattern(work: Path, runs: int) -> list[str]:
    """`-o bin/ ./...` over three small commands: a pattern, whose fast path asks go list
    whether it still names the same packages while one go build serves them all."""
    mod = work / "three"
    for name in ("a", "b", "c"):
        (mod / "cmd" / name).mkdir(parents=True)
        (mod / "cmd" / name / "main.go").write_text(SMALL.replace("hello", name))
    (mod / "go.mod").write_text("module example.com/three\n\ngo 1.21\n")
    env = {**os.environ, "GOSTATIC_CACHE_DIR": str(work / "cache-three")}
    go_cmd = ["go", "build", "-o", "bin-go/", "./..."]
    our_cmd = [*gostatic_cmd(), "build", "--quiet", "-o", "bin-ours/", "./..."]
    timed(our_cmd, mod, env)
    timed(go_cmd, mod, env)
    lines = ["three commands, -o bin/ ./...:"]
    g, o, r = alternate(runs, lambda: timed(go_cmd, mod, env), lambda: timed(our_cmd, mod, env))
    lines.append(row("up-to-date rebuild", g, o, r, goal=None))
    main_go = mod / "cmd" / "b" / "main.go"
    counter = [0]

    def after_edit(cmd: list[str]) -> float:
        counter[0] += 1
        main_go.write_text(SMALL.replace("hello", f"b{counter[0]}"))
        return timed(cmd, mod, env)

    g, o, r = alternate(max(3, runs // 2), lambda: after_edit(go_cmd), lambda: after_edit(our_cmd))
    lines.append(row("one command changed", g, o, r, goal=None))
    return lines


def commands_module(mod: Path, count: int) -> Path:
    """A module of ``count`` small commands, cmd/c01 ... (all of them `plain`)."""
    for i in range(1, count + 1):
        (mod / "cmd" / f"c{i:02d}").mkdir(parents=True)
        (mod / "cmd" / f"c{i:02d}" / "main.go").write_text(SMALL.replace("hello", f"c{i:02d}"))
    (mod / "go.mod").write_text(f"module example.com/{mod.name}\n\ngo 1.21\n")
    return mod


def bench_cold_patterns(work: Path, runs: int) -> list[str]:
    """A cold `-o bin/ ./...` (no gostatic cache, stage or output; go's build cache warm)
    over 1, 5 and 20 small commands, against plain `go build -o bin/ ./...` (their strategy
    is plain: the same flags)."""
    lines = ["cold -o bin/ ./... (no gostatic cache, no output; go's build cache warm):"]
    for count in (1, 5, 20):
        lines += bench_cold_pattern(
            work, count, max(3, runs // 2) if count < 20 else max(3, runs // 3)
        )
    return lines


def bench_cold_pattern(work: Path, count: int, pairs: int) -> list[str]:
    mod = commands_module(work / f"cold{count}", count)
    go_cmd = ["go", "build", "-o", "bin-go/", "./..."]
    our_cmd = [*gostatic_cmd(), "build", "--quiet", "-o", "bin-ours/", "./..."]
    timed(go_cmd, mod, dict(os.environ))  # go's build cache now holds every package
    cold_round = [0]

    def go_cold() -> float:
        shutil.rmtree(mod / "bin-go", ignore_errors=True)
        return timed(go_cmd, mod, dict(os.environ))

    def ours_cold() -> float:
        cold_round[0] += 1
        cache = work / f"cold{count}-cache-{cold_round[0]}"
        shutil.rmtree(mod / "bin-ours", ignore_errors=True)
        return timed(our_cmd, mod, {**os.environ, "GOSTATIC_CACHE_DIR": str(cache)})

    g, o, r = alternate(pairs, go_cold, ours_cold)
    lines = [row(f"{count} command(s)", g, o, r, goal=1.15 if count == 20 else None)]
    if count == 20:
        builds = count_go_builds(mod, ["-o", "bin-count/", "./..."], work / "count-cold20")
        lines.append(f"  go build calls in a cold ./... of 20 commands: {builds}")
    return lines


def bench_replaced(work: Path, runs: int) -> list[str]:
    """`-o bin/ ./...` over 20 commands after every output was replaced by a copy of
    itself (restored from a CI artifact: the same bytes, new files), against go build
    after the same restore (go finds each binary up to date by its build ID)."""
    mod = commands_module(work / "replaced", 20)
    env = {**os.environ, "GOSTATIC_CACHE_DIR": str(work / "replaced-cache")}
    go_cmd = ["go", "build", "-o", "bin-go/", "./..."]
    our_cmd = [*gostatic_cmd(), "build", "--quiet", "-o", "bin-ours/", "./..."]
    timed(go_cmd, mod, env)
    timed(our_cmd, mod, env)
    for name in ("bin-go", "bin-ours"):
        shutil.copytree(mod / name, mod / f"{name}-artifact")

    def restored(cmd: list[str], name: str) -> float:
        shutil.rmtree(mod / name)
        shutil.copytree(mod / f"{name}-artifact", mod / name, copy_function=shutil.copyfile)
        return timed(cmd, mod, env)

    g, o, r = alternate(
        max(3, runs // 2), lambda: restored(go_cmd, "bin-go"), lambda: restored(our_cmd, "bin-ours")
    )
    return [
        "20 commands, -o bin/ ./..., every output restored from an artifact:",
        row("outputs replaced", g, o, r, goal=None),
    ]


def count_go_builds(mod: Path, args: list[str], cache: Path) -> int:
    """The `go build` calls of `gostatic build ARGS` with a new cache, through a logging go."""
    log = cache.with_suffix(".log")
    wrapper = cache.with_suffix(".go")
    real_go = shutil.which("go") or "go"
    wrapper.write_text(f'#!/bin/sh\necho "$1" >> "{log}"\nexec "{real_go}" "$@"\n')
    wrapper.chmod(0o755)
    env = {**os.environ, "GOSTATIC_GO": str(wrapper), "GOSTATIC_CACHE_DIR": str(cache)}
    subprocess.run([*gostatic_cmd(), "build", "--quiet", *args], cwd=mod, env=env, check=True,
                   capture_output=True)  # fmt: skip
    return sum(1 for line in log.read_text().splitlines() if line == "build")


def count_first_builds(mod: Path, name: str, work: Path) -> int:
    return count_go_builds(mod, ["-o", "out-count", f"./cmd/{name}"], work / f"count-{name}")


# What gostatic's paths import, and the standard modules the up-to-date path avoids: each
# timed from a fresh interpreter, so a module's imports that start-up has not loaded count.
# -I: the installed gostatic, never a source tree in the current directory.
IMPORTS = {
    "an up-to-date build's modules": (
        "gostatic.builder.options, gostatic.builder.entry, gostatic.builder.pipeline, "
        "gostatic.incremental.fast, gostatic.report.build"
    ),
    "a rebuild's re-check and install": "gostatic.incremental.recheck, gostatic.atomic",
    "pyelftools (full path, verify)": "gostatic.elf.facts",
    "re": "re",
    "typing": "typing",
    "pathlib": "pathlib",
    "json": "json",
    "hashlib": "hashlib",
    "subprocess": "subprocess",
    "tempfile, shutil": "tempfile, shutil",
    "collections": "collections",
}
_IMPORT_PROBE = "import time; t = time.perf_counter(); import {}; print(time.perf_counter() - t)"


def bench_imports(runs: int = 5) -> list[str]:
    lines = [f"import cost in a fresh interpreter ({sys.executable}), median of {runs}:"]
    for label, modules in IMPORTS.items():
        code = _IMPORT_PROBE.format(modules)
        times = [
            float(subprocess.run([sys.executable, "-I", "-c", code], capture_output=True, text=True,
                                 check=True).stdout)
            for _ in range(runs)
        ]  # fmt: skip
        lines.append(f"  {label:<36} {statistics.median(times) * 1000:6.1f} ms")
    return lines


def bench_verify(work: Path) -> str:
    big = work / "big.bin"
    small = work / "small" / "out-ours"
    if not small.exists():  # the programs section did not run: a static binary of go's
        mod = work / "verify"
        (mod / "cmd").mkdir(parents=True)
        (mod / "go.mod").write_text("module example.com/verify\n\ngo 1.21\n")
        (mod / "cmd" / "main.go").write_text(SMALL)
        small = mod / "small"
        subprocess.run(["go", "build", "-o", str(small), "./cmd"], cwd=mod, check=True,
                       env={**os.environ, "CGO_ENABLED": "0"}, capture_output=True)  # fmt: skip
    shutil.copyfile(small, big)
    with open(big, "r+b") as f:
        f.truncate(100 * 1024 * 1024)
    times = []
    for _ in range(5):
        start = time.perf_counter()
        subprocess.run([*gostatic_cmd(), "verify", str(big)], capture_output=True, check=False)
        times.append(time.perf_counter() - start)
    return f"gostatic verify, 100 MB binary: median {statistics.median(times):.3f} s (goal < 0.3 s)"


def row(
    label: str, go: float, ours: float, ratio: float, goal: float | None, name: str = "gostatic"
) -> str:
    verdict = "" if goal is None else ("  ok" if ratio <= goal else f"  over the {goal}x goal")
    return f"  {label:<24} go {go:7.3f} s   {name:>8} {ours:7.3f} s   ratio {ratio:5.2f}x{verdict}"


SECTIONS = ("programs", "pattern", "cold-patterns", "replaced", "verify", "imports")


def run_section(section: str, work: Path, runs: int) -> list[str]:
    if section == "programs":
        return [
            line
            for label, (name, source) in PROGRAMS.items()
            for line in bench_program(label, name, source, work, runs)
        ]
    if section == "pattern":
        return bench_pattern(work, runs)
    if section == "cold-patterns":
        return bench_cold_patterns(work, runs)
    if section == "replaced":
        return bench_replaced(work, runs)
    if section == "verify":
        return [bench_verify(work)]
    return bench_imports()


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=11, help="alternating runs per scenario")
    parser.add_argument(
        "--only", nargs="+", choices=SECTIONS, default=SECTIONS, help="the sections to run"
    )
    args = parser.parse_args(argv)
    go_version = subprocess.run(["go", "version"], capture_output=True, text=True, check=True)
    print(go_version.stdout.strip())
    print(f"gostatic: {' '.join(gostatic_cmd())}; {args.runs} alternating runs, medians")
    print(f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    with tempfile.TemporaryDirectory(prefix="gostatic-bench-") as tmp:
        for section in args.only:
            print(f"[{section}] reproduce: python benchmarks/bench.py --only {section} "
                  f"--runs {args.runs}", flush=True)  # fmt: skip
            for line in run_section(section, Path(tmp), args.runs):
                print(line, flush=True)
    print(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
