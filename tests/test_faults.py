"""Faults injected into real builds: kill -9 at seeded random points, a full file system at
the output, corrupt and hostile state files of every kind gostatic keeps, and random
command lines. The promise under all of them: never a traceback, an exit status from the
documented set, and an existing output either unchanged or a static binary (readelf).
"""

from __future__ import annotations

import json
import os
import random
import shutil
import signal
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from tests.support import (
    SEED_FMT,
    SEED_SYSLOG,
    Run,
    assert_static_by_readelf,
    gostatic_command,
    requires_go,
    run_gostatic,
    write_module,
)

pytestmark = [pytest.mark.slow, requires_go]

# docs/getting-started.md's exit statuses of `gostatic build`, but for 130 and 141 (a
# Ctrl-C, a reader gone away), which none of these runs can meet.
DOCUMENTED = {0, 1, 2, 3}
LIB = "package lib\n\nfunc F() int { return 1 }\n"
BROKEN = "package main\n\nfunc main() { undefined() }\n"


def _hello(version: int) -> str:
    return SEED_FMT.replace("Hello", f"Hello v{version}")


def _module(root: Path) -> Path:
    files = {"hello/main.go": _hello(0), "logger/main.go": SEED_SYSLOG, "lib/lib.go": LIB}
    return write_module(root, files)


def _no_traceback(run: Run | subprocess.CompletedProcess[str]) -> None:
    assert "Traceback" not in run.stderr, run.stderr
    assert run.returncode in DOCUMENTED, (run.returncode, run.stderr)


def _run_bounded(argv: list[str], cwd: Path, env: dict[str, str], timeout: float = 180) -> Run:
    """gostatic as a real process in a session of its own: one that hangs fails the test,
    and neither it nor any go it started is left behind."""
    command, proc_env = gostatic_command(env)
    proc = subprocess.Popen(
        [*command, *argv], cwd=cwd, env=proc_env, start_new_session=True, text=True,
        stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )  # fmt: skip
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        _kill_session(proc.pid, everything=True)
        proc.communicate()
        pytest.fail(f"gostatic {' '.join(argv)} hung")
    return Run(proc.returncode, out, err)


def _unchanged_or_static(output: Path, before: bytes) -> None:
    assert output.exists(), f"{output} is gone"
    if output.read_bytes() != before:
        assert_static_by_readelf(output)


def _leftovers(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.iterdir() if p.name.endswith(".gostatic-tmp"))


# --- (a) kill -9 at random points -------------------------------------------------------------


def _session_members(sid: int) -> list[int]:
    """The processes of session ``sid`` (the build and every go process it started)."""
    members = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[1].split()
        if int(fields[3]) == sid and fields[0] != "Z":
            members.append(int(entry))
    return members


def _kill_session(sid: int, everything: bool) -> None:
    """SIGKILL the build (``everything``: and all it started, as a crash would); then wait
    for what is left of it to end on its own (go, its pipes to gostatic broken)."""
    for pid in _session_members(sid) if everything else [sid]:
        try:  # noqa: SIM105
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    deadline = time.monotonic() + 120
    while _session_members(sid) and time.monotonic() < deadline:
        time.sleep(0.05)
    for pid in _session_members(sid):  # not ended in time: no longer this test's business
        os.kill(pid, signal.SIGKILL)


def test_kill_9_at_random_points_leaves_the_output_whole_and_the_next_build_works(
    tmp_path: Path, gostatic_env: dict[str, str]
) -> None:
    module = _module(tmp_path / "m")
    output = module / "out"
    argv = ["build", "-o", "out", "./hello"]
    assert run_gostatic(argv, module, gostatic_env).returncode == 0
    command, env = gostatic_command(gostatic_env)
    rng = random.Random(14)
    span = 0.0
    for point in range(1, 13):
        (module / "hello" / "main.go").write_text(_hello(point))  # so that go relinks
        before = output.read_bytes()
        started = time.monotonic()
        proc = subprocess.Popen(
            [*command, *argv], cwd=module, env=env, start_new_session=True,
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        if point == 1:  # the first runs to its end: how long a relinking build takes
            assert proc.wait(timeout=300) == 0
            span = time.monotonic() - started
            continue
        time.sleep(rng.uniform(0, span * 1.2))
        _kill_session(proc.pid, everything=point % 2 == 0)
        proc.wait()
        _unchanged_or_static(output, before)

        after = run_gostatic(argv, module, gostatic_env)
        assert after.returncode == 0, (point, after.stderr)
        assert_static_by_readelf(output)
        said = subprocess.run([str(output)], capture_output=True, text=True, check=True)
        assert f"Hello v{point}" in said.stdout
        assert _leftovers(module) == [], point


# --- (b) a full file system at the output -----------------------------------------------------


@pytest.fixture
def full_tmpfs(tmp_path: Path) -> Iterator[Path]:
    """A small tmpfs, mounted for the test and unmounted after it."""
    if os.geteuid() != 0:
        pytest.skip("mounting a tmpfs needs root: run the suite as root (CI does)")
    mount = shutil.which("mount")
    if mount is None:
        pytest.skip("mount is missing: apt-get install mount")
    point = tmp_path / "small"
    point.mkdir()
    mounted = subprocess.run(
        [mount, "-t", "tmpfs", "-o", "size=6m", "tmpfs", str(point)],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.strip()}")
    try:
        yield point
    finally:
        subprocess.run(["umount", "-l", str(point)], check=False)


def _fill(directory: Path) -> None:
    """Fill the file system of ``directory`` to the last byte."""
    fd = os.open(directory / "filler", os.O_WRONLY | os.O_CREAT, 0o600)
    try:
        for size in (1 << 16, 1):
            try:
                while os.write(fd, b"\0" * size):
                    pass
            except OSError:
                pass
    finally:
        os.close(fd)


@pytest.mark.parametrize(
    "own",
    [[], ["--json"], ["--no-cache"]],
    ids=["text", "json", "full path"],  # the plan of the first build takes the fast path
)
def test_a_full_file_system_at_the_output_names_it_and_keeps_the_old_output(
    tmp_path: Path, gostatic_env: dict[str, str], full_tmpfs: Path, own: list[str]
) -> None:
    module = _module(tmp_path / "m")
    output = full_tmpfs / "out"
    argv = ["build", *own, "-o", str(output), "./hello"]
    assert run_gostatic(argv, module, gostatic_env).returncode == 0
    before = output.read_bytes()
    _fill(full_tmpfs)
    (module / "hello" / "main.go").write_text(_hello(1))

    run = run_gostatic(argv, module, gostatic_env)
    _no_traceback(run)
    assert run.returncode == 1, run.stderr  # docs/getting-started.md: exit status 1
    [line] = [ln for ln in run.stderr.splitlines() if ln.startswith("gostatic: ")]
    assert line == f"gostatic: {output}: No space left on device", run.stderr
    if "--json" in own:
        error = json.loads(run.stdout)["error"]
        assert error == {"message": line.removeprefix("gostatic: "), "exit_status": 1}
    assert output.read_bytes() == before
    assert _leftovers(full_tmpfs) == []


# --- (c) corrupt and hostile state files ------------------------------------------------------


def _state_files(module: Path, cache: Path) -> dict[str, Path]:
    """One file of each kind gostatic keeps, after a build that made them all."""
    stage = cache / "stage"
    stamps = sorted(stage.glob("*/stamps/*"))
    binaries = sorted(p for p in stage.glob("*/*/*") if p.parent.name != "stamps")
    plans = sorted((cache / "plans").iterdir())
    assert stamps and binaries and plans, sorted(str(p) for p in cache.rglob("*"))
    return {
        "strategies.toml": cache / "strategies.toml",
        "plan": plans[0],
        "stamp": stamps[0],
        "stage binary": binaries[0],
        "gostatic.toml": module / "gostatic.toml",
    }


def _truncated(path: Path, _: Path) -> None:
    path.write_bytes(path.read_bytes()[: max(1, path.stat().st_size // 2)])


def _random_bytes(path: Path, _: Path) -> None:
    path.write_bytes(random.Random(str(path.name)).randbytes(4096))


def _to_dev_zero(path: Path, _: Path) -> None:
    path.unlink()
    path.symlink_to("/dev/zero")


def _to_fifo(path: Path, scratch: Path) -> None:
    fifo = scratch / f"fifo-{path.name}"
    os.mkfifo(fifo)
    path.unlink()
    path.symlink_to(fifo)


def _directory(path: Path, _: Path) -> None:
    path.unlink()
    path.mkdir()
    (path / "inside").write_text("x")


def _huge(path: Path, _: Path) -> None:
    with open(path, "ab") as f:
        f.truncate(256 << 20)  # sparse: 256 MiB to read, none on disk


CORRUPTIONS: dict[str, Callable[[Path, Path], None]] = {
    "truncated": _truncated,
    "random bytes": _random_bytes,
    "symlink to /dev/zero": _to_dev_zero,
    "symlink to a FIFO": _to_fifo,
    "directory": _directory,
    "huge": _huge,
}
KINDS = ["strategies.toml", "plan", "stamp", "stage binary", "gostatic.toml"]


@pytest.mark.parametrize("corruption", CORRUPTIONS, ids=list(CORRUPTIONS))
@pytest.mark.parametrize("kind", KINDS)
def test_a_hostile_state_file_never_gives_a_traceback_or_a_wrong_output(
    tmp_path: Path, gostatic_env: dict[str, str], kind: str, corruption: str
) -> None:
    module = _module(tmp_path / "m")
    argv = ["build", "-o", "out", "./logger"]
    ladder = '["plain", "netgo", "cgo-off", "external-static", "musl-static"]'
    (module / "gostatic.toml").write_text(f"ladder = {ladder}\n")
    assert run_gostatic(argv, module, gostatic_env).returncode == 0
    output = module / "out"
    before = output.read_bytes()
    target = _state_files(module, Path(gostatic_env["GOSTATIC_CACHE_DIR"]))[kind]
    CORRUPTIONS[corruption](target, tmp_path)

    also = [["cache", "show", "--json"]] if kind == "strategies.toml" else []
    for command in (argv, *also, argv):
        run = _run_bounded(command, module, gostatic_env)
        _no_traceback(run)
        if "--json" in command:
            json.loads(run.stdout)  # one document, whatever happened
        _unchanged_or_static(output, before)


# --- (d) random command lines ------------------------------------------------------------------

_BOOLS = ["-n", "-v", "-x", "-work", "-cover", "-trimpath", "-modcacherw", "-linkshared", "-json"]
_BOOL_VALUES = ["", "=true", "=false", "=0", "=T", "=maybe"]
# Each value flag with values that are safe to run (no program of the test's choosing
# runs but /bin/false), and some that go refuses.
_VALUES = {
    "-o": ["out", "out2", "bin/", os.devnull],
    "-p": ["1", "2", "0x2", "none"],
    "-C": [".", "hello", "nowhere"],
    "-buildmode": ["exe", "pie", "default", "c-shared", "plugin", "archive", "bogus"],
    "-compiler": ["gc", "gccgo", "bogus"],
    "-mod": ["mod", "readonly", "vendor", "bogus"],
    "-pgo": ["off", "auto", "missing.pgo"],
    "-covermode": ["set", "atomic", "bogus"],
    "-coverpkg": ["./..."],
    "-gcflags": ["", "-N -l", "all=-N -l", "'unterminated"],
    "-asmflags": ["", "-D=X"],
    "-ldflags": ["", "-s -w", "-X main.v=1", "-linkmode=external", "-extldflags=-static"],
    "-tags": ["", "netgo", "osusergo,netgo", "a b"],
    "-toolexec": ["", "/bin/false"],
    "-installsuffix": ["x"],
    "-overlay": ["missing.json"],
    "-modfile": ["missing.mod"],
    "-debug-actiongraph": ["actiongraph.json"],
}
_OWN_SWITCHES = ["--json", "--strict", "--quiet", "--no-cache", "--pin", "--smoke"]
# Programs that build, more often than the rest: most runs should get to an output.
_PACKAGES = [*["./hello", "./logger"] * 3, "./lib", "./broken", "./...", ".", "./missing", "hello"]
_OUTPUTS = [[], ["-o", "bin/"], ["-o", os.devnull], ["-o", "out2"], *[["-o", "out"]] * 3]
# Junk: no "/" or "." (a pattern such as /... or ... would walk the whole disk or std),
# and not the flags that rebuild the standard library (-a, -race, -asan, -msan).
_SLOW = {"a", "race", "asan", "msan"}
_junk = st.text(alphabet="bcdefghijklmnopqrstuvwxyz-=_,:0é", min_size=1, max_size=8).filter(
    lambda s: s.lstrip("-").partition("=")[0] not in _SLOW
)


def _flag() -> st.SearchStrategy[list[str]]:
    bools = st.builds(lambda f, v: [f + v], st.sampled_from(_BOOLS), st.sampled_from(_BOOL_VALUES))
    values = st.sampled_from(sorted(_VALUES)).flatmap(
        lambda f: st.sampled_from(_VALUES[f]).flatmap(
            lambda v: st.sampled_from([[f, v], [f"{f}={v}"], [f"-{f}", v]])
        )
    )
    own = st.one_of(
        st.sampled_from(_OWN_SWITCHES).map(lambda s: [s]),
        st.sampled_from(["plain", "netgo", "cgo-off", "nonsense"]).map(lambda s: ["--strategy", s]),
        st.sampled_from(["cachedir", "sub/cache"]).map(lambda d: ["--cache-dir", d]),
    )
    # Junk one time in seven: most command lines should get as far as go.
    return st.one_of(bools, values, values, own, own, own, _junk.map(lambda j: [j]))


_command_lines = st.builds(
    lambda output, flags, packages, tail: output + [a for f in flags for a in f] + packages + tail,
    st.sampled_from(_OUTPUTS),
    st.lists(_flag(), max_size=3),
    st.lists(st.sampled_from(_PACKAGES), min_size=1, max_size=2),
    st.sampled_from([[], [], [], ["--", "arg"], ["-v"], ["--json"]]),
)


@pytest.fixture(scope="module")
def random_module(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    root = tmp_path_factory.mktemp("random")
    module = _module(root / "m")
    (module / "broken").mkdir()
    (module / "broken" / "main.go").write_text(BROKEN)
    env = dict(os.environ, GOSTATIC_CACHE_DIR=str(root / "cache"))
    env.pop("NO_COLOR", None)
    assert run_gostatic(["build", "-o", "out", "./hello"], module, env).returncode == 0
    return module, env


@settings(
    max_examples=40,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(argv=_command_lines)
def test_any_command_line_gives_no_traceback_a_documented_status_and_a_whole_output(
    random_module: tuple[Path, dict[str, str]], argv: list[str]
) -> None:
    module, env = random_module
    output = module / "out"
    before = output.read_bytes()
    run = _run_bounded(["build", *argv], module, env)
    event(f"exit status {run.returncode}")  # pytest --hypothesis-show-statistics
    _no_traceback(run)
    _unchanged_or_static(output, before)
