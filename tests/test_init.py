"""`gostatic init` and the shipped templates: what it writes and keeps, the Makefile include
driving a real build, the Dockerfile's stages, the CI workflow, and the templates in the
wheel and in an editable install."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from gostatic import __version__
from gostatic.errors import UsageError
from gostatic.scaffold import InitRequest, place_templates
from tests.support import (
    REPO_ROOT,
    SEED_SYSLOG,
    assert_static_by_readelf,
    copy_source_tree,
    gostatic_command,
    requires_go,
    run_gostatic,
    write_module,
)

TEMPLATES = REPO_ROOT / "templates"
WRITTEN = {  # template file -> where init puts it
    "gostatic.mk": "gostatic.mk",
    "Dockerfile.scratch": "Dockerfile.scratch",
    "github-actions.yml": ".github/workflows/gostatic.yml",
}
requires_make = pytest.mark.skipif(shutil.which("make") is None, reason="make is not on PATH")


@pytest.fixture
def module(tmp_path: Path) -> Path:
    return write_module(tmp_path / "mod", {"main.go": SEED_SYSLOG})


# --- the core ------------------------------------------------------------------------


def test_init_writes_the_templates_byte_for_byte(module: Path) -> None:
    report = place_templates(InitRequest(cwd=module))
    assert [(f.path.name, f.action) for f in report.files] == [
        ("gostatic.mk", "wrote"),
        ("Dockerfile.scratch", "wrote"),
    ]
    for name in ("gostatic.mk", "Dockerfile.scratch"):
        assert (module / name).read_bytes() == _rendered(name)
    assert not (module / ".github").exists(), "the CI workflow is written only with ci=True"


def test_ci_workflow_only_on_request(module: Path) -> None:
    report = place_templates(InitRequest(cwd=module, ci=True))
    workflow = module / ".github" / "workflows" / "gostatic.yml"
    assert workflow.read_bytes() == _rendered("github-actions.yml")
    assert report.files[-1].path == workflow


def test_init_finds_the_module_from_a_subdirectory(module: Path) -> None:
    sub = module / "cmd" / "x"
    sub.mkdir(parents=True)
    report = place_templates(InitRequest(cwd=sub))
    assert report.directory == module
    assert (module / "gostatic.mk").is_file()
    assert not (sub / "gostatic.mk").exists()


def test_no_module_is_a_usage_error(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match=r"no go\.mod"):
        place_templates(InitRequest(cwd=tmp_path))


def test_dir_must_be_a_directory(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("x")
    for bad in ("missing", "file"):
        with pytest.raises(UsageError, match="not a directory"):
            place_templates(InitRequest(cwd=tmp_path, directory=Path(bad)))


def test_dir_writes_there_without_needing_a_go_mod(tmp_path: Path) -> None:
    (tmp_path / "out").mkdir()
    place_templates(InitRequest(cwd=tmp_path, directory=Path("out")))
    assert (tmp_path / "out" / "gostatic.mk").is_file()


def test_edited_file_is_kept_identical_one_unchanged_force_replaces(module: Path) -> None:
    place_templates(InitRequest(cwd=module))
    mk = module / "gostatic.mk"
    mk.write_text(mk.read_text() + "GOSTATIC_FLAGS = --strict\n")
    edited = mk.read_bytes()

    again = place_templates(InitRequest(cwd=module))
    assert [f.action for f in again.files] == ["kept", "unchanged"]
    assert mk.read_bytes() == edited

    forced = place_templates(InitRequest(cwd=module, force=True))
    assert [f.action for f in forced.files] == ["replaced", "unchanged"]
    assert mk.read_bytes() == _rendered("gostatic.mk")


def test_force_replaces_a_symlink_without_writing_through_it(module: Path, tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere.mk"
    elsewhere.write_text("not yours to overwrite\n")
    (module / "gostatic.mk").symlink_to(elsewhere)

    kept = place_templates(InitRequest(cwd=module))
    assert kept.files[0].action == "kept"

    place_templates(InitRequest(cwd=module, force=True))
    assert not (module / "gostatic.mk").is_symlink()
    assert elsewhere.read_text() == "not yours to overwrite\n"


def test_what_cannot_be_written_is_reported_and_the_rest_still_written(module: Path) -> None:
    (module / "gostatic.mk").mkdir()
    (module / ".github").write_text("a file where init wants a directory\n")
    report = place_templates(InitRequest(cwd=module, force=True, ci=True))
    assert [(f.action, f.error) for f in report.files] == [
        ("failed", "a directory is in the way"),
        ("wrote", None),
        ("failed", f"a file is in the way of the directory {module / '.github' / 'workflows'}"),
    ]
    assert report.exit_status == 1
    assert (module / "Dockerfile.scratch").is_file()


def test_written_files_follow_the_umask_and_leave_no_temporary_file(module: Path) -> None:
    old = os.umask(0o027)
    try:
        place_templates(InitRequest(cwd=module))
    finally:
        os.umask(old)
    assert (module / "gostatic.mk").stat().st_mode & 0o777 == 0o640
    assert not [p for p in module.iterdir() if p.name.endswith(".gostatic-tmp")]


def test_without_hard_links_a_new_file_is_still_written_but_never_overwritten(
    module: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_links(src: object, dst: object) -> None:
        raise PermissionError(1, "Operation not permitted")

    monkeypatch.setattr(os, "link", no_links)
    assert [f.action for f in place_templates(InitRequest(cwd=module)).files] == ["wrote", "wrote"]
    assert (module / "gostatic.mk").read_bytes() == _rendered("gostatic.mk")


# --- the command ---------------------------------------------------------------------


def test_init_twice_keeps_a_locally_edited_file(module: Path, gostatic_env: dict[str, str]) -> None:
    first = run_gostatic(["init"], module, gostatic_env)
    assert first.returncode == 0, first.stderr
    assert "wrote gostatic.mk" in first.stdout.splitlines()
    assert "wrote Dockerfile.scratch" in first.stdout.splitlines()

    mk = module / "gostatic.mk"
    mk.write_text("# ours now\nGOSTATIC_BUILD = go build\n")
    second = run_gostatic(["init"], module, gostatic_env)
    assert second.returncode == 0, second.stderr
    assert mk.read_text() == "# ours now\nGOSTATIC_BUILD = go build\n"
    lines = second.stdout.splitlines()
    assert any(ln.startswith("kept gostatic.mk") and "--force" in ln for ln in lines), lines
    assert any(ln.startswith("unchanged Dockerfile.scratch") for ln in lines), lines


def test_init_outside_a_module_is_one_line_and_status_2(
    tmp_path: Path, gostatic_env: dict[str, str]
) -> None:
    run = run_gostatic(["init"], tmp_path, gostatic_env)
    assert run.returncode == 2
    assert run.stderr.startswith("gostatic: no go.mod")
    assert len(run.stderr.splitlines()) == 1
    assert run.stdout == ""


def test_a_file_that_cannot_be_written_is_one_line_and_status_1(
    module: Path, gostatic_env: dict[str, str]
) -> None:
    (module / "Dockerfile.scratch").mkdir()
    run = run_gostatic(["init"], module, gostatic_env)
    assert run.returncode == 1
    assert run.stderr == "gostatic: cannot write Dockerfile.scratch: a directory is in the way\n"
    assert "wrote gostatic.mk" in run.stdout.splitlines()


# --- the Makefile include ------------------------------------------------------------


def _make(module: Path, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["make", "--no-print-directory", *args],
        cwd=module,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


@requires_make
def test_include_defines_variables_only_and_gostatic_can_be_overridden(
    tmp_path: Path,
) -> None:
    shutil.copy(TEMPLATES / "gostatic.mk", tmp_path)
    (tmp_path / "Makefile").write_text(
        "include gostatic.mk\n\n"
        "show:\n\t@echo 'build=$(GOSTATIC_BUILD) verify=$(GOSTATIC_VERIFY)'\n"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GOSTATIC", "MAKE"))}
    # The include has no target of its own: the Makefile's first target stays the default.
    default = _make(tmp_path, env)
    assert default.stdout.strip() == "build=gostatic build  verify=gostatic verify"
    by_env = _make(tmp_path, {**env, "GOSTATIC": "/opt/bin/gostatic"})
    assert by_env.stdout.startswith("build=/opt/bin/gostatic build")
    by_arg = _make(tmp_path, env, "GOSTATIC=python3 -m gostatic", "GOSTATIC_FLAGS=--strict")
    assert by_arg.stdout.startswith("build=python3 -m gostatic build --strict ")


@pytest.mark.slow
@requires_go
@requires_make
def test_make_with_the_include_builds_a_static_binary(
    module: Path, gostatic_env: dict[str, str]
) -> None:
    """log/syslog pulls in net: plain `go build` is dynamic here (tests/test_build.py shows
    readelf seeing it), so a static app proves gostatic ran through the include."""
    assert run_gostatic(["init"], module, gostatic_env).returncode == 0
    shutil.copy(REPO_ROOT / "examples" / "make" / "Makefile", module)  # the one the docs show
    command, env = gostatic_command(gostatic_env)
    built = _make(module, env, f"GOSTATIC={' '.join(command)}")
    assert built.returncode == 0, built.stdout + built.stderr
    assert f"{' '.join(command)} build  -o app ." in built.stdout  # make echoes the recipe
    assert_static_by_readelf(module / "app")


# --- the Dockerfile ------------------------------------------------------------------


def _dockerfile_instructions(text: str) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) with continuation lines joined and comments dropped."""
    logical: list[str] = []
    pending = ""
    for raw in text.splitlines():
        line = raw.strip()
        if not pending and (not line or line.startswith("#")):
            continue
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        logical.append(pending + line)
        pending = ""
    assert not pending, "a continuation line runs off the end of the Dockerfile"
    return [(ln.split(None, 1)[0].upper(), ln.split(None, 1)[1]) for ln in logical]


def _stages(text: str) -> list[tuple[str, str | None, list[tuple[str, str]]]]:
    """(image, stage name, instructions) for each FROM."""
    stages: list[tuple[str, str | None, list[tuple[str, str]]]] = []
    for instruction, args in _dockerfile_instructions(text):
        if instruction == "FROM":
            words = args.split()
            name = words[2] if len(words) == 3 and words[1].upper() == "AS" else None
            stages.append((words[0], name, []))
        elif stages:
            stages[-1][2].append((instruction, args))
        else:
            assert instruction == "ARG", f"{instruction} before the first FROM"
    return stages


def test_dockerfile_final_stage_is_scratch_fed_by_the_builder() -> None:
    stages = _stages((TEMPLATES / "Dockerfile.scratch").read_text())
    assert len(stages) >= 2
    image, _, final = stages[-1]
    assert image == "scratch"
    names = {name for _, name, _ in stages[:-1] if name}
    sources = re.findall(r"--from=(\S+)\s+(\S+)", " ".join(a for i, a in final if i == "COPY"))
    assert sources, "the final stage copies nothing"
    assert {stage for stage, _ in sources} <= names, "COPY --from names a stage not defined"

    builder = {name: body for _, name, body in stages}["builder"]
    runs = " && ".join(args for instruction, args in builder if instruction == "RUN")
    written = re.search(r"gostatic image .*?--output rootfs:(\S+)", runs)
    assert written, "the builder never writes the image's files with gostatic image"
    root = written.group(1).rstrip("/") + "/"
    assert ("builder", root) in sources, "the final stage must copy the tree gostatic wrote"
    assert ("USER", "65532:65532") in final
    assert any(i == "ENTRYPOINT" for i, _ in final)


def test_dockerfile_parser_sees_a_final_stage_that_is_not_scratch() -> None:
    """The check above can fail."""
    stages = _stages("FROM golang:1.26 AS builder\nRUN go build -o /app .\nFROM debian\n")
    assert stages[-1][0] == "debian"


# --- the CI workflow -----------------------------------------------------------------


def test_ci_workflow_builds_and_verifies() -> None:
    yaml = pytest.importorskip("yaml")
    workflow = yaml.safe_load((TEMPLATES / "github-actions.yml").read_text())
    [job] = workflow["jobs"].values()
    uses = [step["uses"].split("@")[0] for step in job["steps"] if "uses" in step]
    runs = [step["run"] for step in job["steps"] if "run" in step]
    assert {"actions/checkout", "actions/setup-go", "actions/setup-python"} <= set(uses)
    build = next(i for i, r in enumerate(runs) if r.startswith("gostatic build"))
    verify = next(i for i, r in enumerate(runs) if r.startswith("gostatic verify"))
    assert build < verify


# --- the version: what init writes names the gostatic that wrote it ------------------
#
# gostatic is not on PyPI: a template that installs "gostatic" by name would install whatever
# someone registers under it. The templates install from a wheel or a checkout and name
# the version with this placeholder, which gostatic/scaffold.py replaces with __version__.

VERSION_PLACEHOLDER = "{{version}}"
PINNED = ("gostatic.mk", "github-actions.yml", "Dockerfile.scratch")


def _rendered(template: str) -> bytes:
    """What init must write for ``template``: the placeholder replaced by this version."""
    data = (TEMPLATES / template).read_bytes()
    return data.replace(VERSION_PLACEHOLDER.encode(), __version__.encode())


@pytest.mark.parametrize("template", PINNED)
def test_templates_name_their_version_and_never_install_by_name(template: str) -> None:
    text = (TEMPLATES / template).read_text()
    assert VERSION_PLACEHOLDER in text
    # `pip install gostatic`, `pip install "gostatic"`, `pip install gostatic==1`: by name.
    by_name = re.compile(r"pip install[^\n]*?(?<![\w./-])[\"']?gostatic(?![\w./-])")
    assert not by_name.search(text), by_name.search(text)


def test_the_ci_workflow_installs_the_wheel_of_its_version() -> None:
    yaml = pytest.importorskip("yaml")
    workflow = yaml.safe_load(_rendered("github-actions.yml"))
    wheel = f"./.github/gostatic-{__version__}-py3-none-any.whl"
    assert workflow["env"]["GOSTATIC"] == wheel
    [job] = workflow["jobs"].values()
    installs = [s["run"] for s in job["steps"] if "pip install" in s.get("run", "")]
    assert installs == ['pip install "$GOSTATIC"']


def test_init_writes_its_own_version_into_each_file(module: Path) -> None:
    place_templates(InitRequest(cwd=module, ci=True))
    for template in PINNED:
        written = (module / WRITTEN[template]).read_bytes()
        assert VERSION_PLACEHOLDER.encode() not in written
        assert written == _rendered(template)


def test_init_leaves_a_file_it_wrote_unchanged_the_second_time(module: Path) -> None:
    """Comparing with the rendered template, not the raw one: a second init keeps its own."""
    place_templates(InitRequest(cwd=module, ci=True))
    again = place_templates(InitRequest(cwd=module, ci=True))
    assert {f.action for f in again.files} == {"unchanged"}
    assert (module / "gostatic.mk").read_bytes() == _rendered("gostatic.mk")


# --- packaging: the templates travel with the package --------------------------------


@pytest.fixture(scope="module")
def source_copy(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return copy_source_tree(tmp_path_factory.mktemp("source") / "gostatic")


def _pip(*args: str) -> subprocess.CompletedProcess[str]:
    probe = [sys.executable, "-m", "pip", "--version"]
    if subprocess.run(probe, capture_output=True, check=False).returncode:
        pytest.skip("pip is not available to this Python")
    return subprocess.run(
        [sys.executable, "-m", "pip", "--disable-pip-version-check", *args],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )


@pytest.mark.slow
def test_the_wheel_contains_the_templates(source_copy: Path, tmp_path: Path) -> None:
    built = _pip("wheel", "--no-deps", str(source_copy), "-w", str(tmp_path))
    assert built.returncode == 0, built.stdout + built.stderr
    [wheel] = tmp_path.glob("gostatic-*.whl")
    # The name the CI template installs until gostatic is on PyPI.
    assert wheel.name == f"gostatic-{__version__}-py3-none-any.whl"
    with zipfile.ZipFile(wheel) as zf:
        names = set(zf.namelist())
        for template in WRITTEN:
            member = f"gostatic/templates/{template}"
            assert member in names, sorted(names)
            assert zf.read(member) == (TEMPLATES / template).read_bytes()
    source_modules = {
        p.relative_to(REPO_ROOT).as_posix() for p in (REPO_ROOT / "gostatic").rglob("*.py")
    }
    assert source_modules <= names, "a module of the source tree is missing from the wheel"


@pytest.mark.slow
def test_an_editable_install_reads_the_templates(source_copy: Path, tmp_path: Path) -> None:
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    python = venv / "bin" / "python"
    installed = _pip("--python", str(python), "install", "--no-deps", "-e", str(source_copy))
    assert installed.returncode == 0, installed.stdout + installed.stderr
    # gostatic.scaffold needs nothing beyond the standard library, so no dependency is needed.
    read = subprocess.run(
        [
            python,
            "-c",
            "import gostatic.scaffold as i; print(i.__file__); "
            "print(i.template_bytes('gostatic.mk').decode(), end='')",
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )
    assert read.returncode == 0, read.stderr
    where, _, text = read.stdout.partition("\n")
    assert Path(where).is_relative_to(source_copy)
    assert text == _rendered("gostatic.mk").decode()
