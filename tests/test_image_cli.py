"""`gostatic image`: the command line, built as `gostatic build` builds, checked with the
tools that read and run images (skopeo, umoci, Debian's docker-registry) and by running the
probe program (tests/image_support.py) as user 65532 in the image's own root."""

from __future__ import annotations

import hashlib
import json
import os
import time
from pathlib import Path

import pytest

from gostatic.errors import UsageError
from gostatic.image.request import IMAGE_OPTIONS, parse_image_command
from tests.image_support import (
    ALL_NEEDS,
    NONROOT,
    PROBE,
    probe_verdicts,
    registry_digest,
    registry_on_loopback,
    requires_registry,
    requires_root,
    requires_skopeo,
    requires_umoci,
    run_as_nonroot,
    skopeo,
    skopeo_json,
    umoci_unpack,
)
from tests.support import (
    REPO_ROOT,
    gostatic_command,
    marked,
    requires_go,
    requires_qemu,
    run_gostatic,
    run_on_terminal,
    write_module,
)

OCI_INDEX = "application/vnd.oci.image.index.v1+json"
ENV = {"PATH": "/usr/bin:/bin"}
PLATFORM_FIELDS = ["files", "manifest", "needs", "platform", "strategy"]
# Prints its arguments and the ids it runs as.
WHOAMI = """package main

import (
	"fmt"
	"os"
)

func main() { fmt.Println(os.Args[1:], os.Getuid(), os.Getgid()) }
"""
LIBRARY = "package lib\n\nfunc Answer() int { return 42 }\n"
BROKEN = "package main\n\nfunc main() { undefined() }\n"

built = [pytest.mark.slow, requires_go]
ALL_NEEDS_IN_PROBE_ORDER = ("hosts", "users", "zoneinfo", "tmp", "ca-certificates")


@pytest.fixture(scope="module")
def probe_module(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_module(
        tmp_path_factory.mktemp("probe"),
        {
            "main.go": PROBE,
            "whoami/main.go": WHOAMI,
            "lib/lib.go": LIBRARY,
            "broken/main.go": BROKEN,
        },
        module="example.com/probe",
    )


@pytest.fixture(scope="module")
def image_env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """One gostatic cache for the module's tests: the probe is built once, then up to date."""
    env = {k: v for k, v in os.environ.items() if k not in ("SOURCE_DATE_EPOCH", "NO_COLOR")}
    return {**env, "GOSTATIC_CACHE_DIR": str(tmp_path_factory.mktemp("cache"))}


def image(module: Path, env: dict[str, str], *args: str) -> dict[str, object]:
    """`gostatic image --json ARGS`, which must succeed: its document."""
    run = run_gostatic(["image", "--json", *args], module, env)
    assert run.returncode == 0, run.stderr
    document = json.loads(run.stdout)
    assert isinstance(document, dict)
    return document


def only_platform(document: dict[str, object]) -> dict[str, object]:
    [platform] = document["platforms"]  # type: ignore[misc]
    assert isinstance(platform, dict)
    return platform


# --- the command line, parsed (no build) ---------------------------------------------------


def test_the_image_options_parse_beside_builds_and_gos() -> None:
    added = REPO_ROOT / "pyproject.toml"
    request = parse_image_command(
        [
            "--strict",
            "--output",
            "oci:out:v1",
            "-tags",
            "x",
            f"--add={added}:/etc/",
            "--user=0",
            ".",
        ],
        ENV,
        str(REPO_ROOT),
    )
    assert request.build.options.strict and not request.build.options.smoke
    assert request.build.go_args.packages == (".",)
    assert request.build.go_args.values("tags") == ("x",)
    assert (request.destination.transport, request.destination.reference) == ("oci", "v1")
    assert request.image.user == "0"
    [addition] = request.image.additions
    assert addition.dest == "/etc/pyproject.toml"
    [platform] = request.platforms
    assert platform == (None, (("GOOS", "linux"),))


def test_platforms_set_goos_goarch_and_goarm() -> None:
    argv = ["--platform", "linux/amd64,linux/arm/v7", "--output", "oci:out", "."]
    request = parse_image_command(argv, ENV, "/")
    assert [dict(p.env) for p in request.platforms] == [
        {"GOOS": "linux", "GOARCH": "amd64"},
        {"GOOS": "linux", "GOARCH": "arm", "GOARM": "7"},
    ]
    assert request.image.user == NONROOT


def test_smoke_takes_the_programs_arguments_after_the_double_dash() -> None:
    request = parse_image_command(["--smoke", "--output", "oci:o", ".", "--", "-v", "x"], ENV, "/")
    assert request.smoke and request.program_args == ("-v", "x")
    assert request.build.go_args.packages == (".",)
    assert not request.build.options.smoke  # the build itself runs nothing


@pytest.mark.parametrize(
    ("argv", "said"),
    [
        (["."], "--output DEST is required"),
        (["--output", "tar:x", "."], "unknown transport"),
        (["--output", "oci:x", "-o", "app", "."], "-o:"),
        (["--output", "oci:x", "--platform", "windows/amd64", "."], "Linux"),
        (["--output", "oci:x", "--platform", "linux/sparc", "."], "unknown architecture"),
        (["--output", "oci:x", "--platform", "linux/arm64/v8", "."], "variant"),
        (["--output", "oci:x", "--platform", "linux/arm64,linux/arm64", "."], "twice"),
        (["--output", "oci:x", "--user", "bob", "."], "--user bob"),
        (["--output", "oci:x", "--add", "/no/such/file:/x", "."], "no such file"),
        (["--output", "oci:x", "--ca-bundle", "/no/such.pem", "."], "--ca-bundle"),
        (["--output", "oci:x", "--strategy", "nope", "."], "nope"),
    ],
)
def test_bad_command_lines_are_usage_errors(argv: list[str], said: str) -> None:
    with pytest.raises(UsageError, match=said):
        parse_image_command(argv, ENV, "/")


def test_a_goos_other_than_linux_is_a_usage_error() -> None:
    with pytest.raises(UsageError, match="GOOS=darwin"):
        parse_image_command(["--output", "oci:x", "."], {**ENV, "GOOS": "darwin"}, "/")


def test_help_lists_image_and_each_of_its_options(tmp_path: Path) -> None:
    env = {**os.environ, "COLUMNS": "250", "NO_COLOR": "1"}
    top = run_gostatic(["--help"], tmp_path, env)
    assert top.returncode == 0 and "image" in top.stdout.split(), top.stdout
    for help_flag in ("--help", "-h"):
        run = run_gostatic(["image", help_flag], tmp_path, env)
        assert run.returncode == 0, run.stderr
        shown = " ".join(run.stdout.split())
        for option in IMAGE_OPTIONS:
            assert option.flag in shown and " ".join(option.help.split()) in shown, option.flag


# --- usage errors and failed builds write nothing --------------------------------------------


@marked(built)
@pytest.mark.parametrize(
    "args",
    [
        ["--output", "tar:DEST", "."],
        ["--output", "oci:DEST", "./lib"],
        ["--output", "oci:DEST", ".", "./whoami"],
        ["--output", "oci:DEST", "./..."],
        ["--output", "oci:DEST", "--platform", "darwin/arm64", "."],
        ["--output", "oci:DEST", "-o", "app", "."],
        ["--output", "rootfs:DEST", "--platform", "linux/amd64,linux/arm64", "."],
    ],
)
def test_each_usage_error_exits_2_and_writes_nothing(
    probe_module: Path, image_env: dict[str, str], tmp_path: Path, args: list[str]
) -> None:
    dest = tmp_path / "dest"
    before = sorted(p.name for p in probe_module.iterdir())
    args = [a.replace("DEST", str(dest)) for a in args]
    run = run_gostatic(["image", "--json", *args], probe_module, image_env)
    assert run.returncode == 2, run.stderr
    assert run.stderr.startswith("gostatic: ") and "Traceback" not in run.stderr
    # --json: one document, the error in it and no image (issue 14 item 15).
    document = json.loads(run.stdout)
    assert document["error"]["exit_status"] == 2 and document["digest"] is None
    assert not dest.exists()
    assert sorted(p.name for p in probe_module.iterdir()) == before


@marked(built)
def test_a_program_that_does_not_compile_writes_no_image(
    probe_module: Path, image_env: dict[str, str], tmp_path: Path
) -> None:
    dest = tmp_path / "image.tar"
    run = run_gostatic(
        ["image", "--json", "--output", f"oci-archive:{dest}", "./broken"], probe_module, image_env
    )
    assert run.returncode == 1, run.stderr
    assert "undefined" in run.stderr
    document = json.loads(run.stdout)
    assert document["error"]["exit_status"] == 1 and "undefined" in document["error"]["message"]
    assert document["platforms"] == [] and not dest.exists()


@marked(built)
def test_no_static_binary_no_image(
    probe_module: Path, image_env: dict[str, str], tmp_path: Path
) -> None:
    # The probe uses net and os/user: built plain with cgo, it is dynamic.
    dest = tmp_path / "layout"
    run = run_gostatic(
        ["image", "--strategy", "plain", "--output", f"oci:{dest}", "."],
        probe_module,
        {**image_env, "CGO_ENABLED": "1"},
    )
    assert run.returncode == 3, run.stderr
    assert "no strategy gave a static binary" in run.stderr
    assert not dest.exists()


# --- the images, read and run by other tools ----------------------------------------------


@marked(built, [requires_root])
def test_rootfs_runs_the_probe_as_nonroot_with_every_need_met(
    probe_module: Path, image_env: dict[str, str], tmp_path: Path
) -> None:
    root = tmp_path / "root"
    document = image(probe_module, image_env, "--output", f"rootfs:{root}", ".")
    run = run_as_nonroot(root)
    assert run.returncode == 0, run.stdout + run.stderr
    assert probe_verdicts(run) == dict.fromkeys(ALL_NEEDS, True)
    platform = only_platform(document)
    assert platform["needs"] == list(ALL_NEEDS)
    assert sorted(p.name for p in root.iterdir()) == ["app", "etc", "tmp", "usr"]


@marked(built, requires_skopeo)
def test_the_json_document(probe_module: Path, image_env: dict[str, str], tmp_path: Path) -> None:
    dest = f"oci:{tmp_path / 'layout'}:v1"
    document = image(probe_module, image_env, "--output", dest, ".")
    assert sorted(document) == ["digest", "output", "platforms", "version"]
    assert (document["version"], document["output"]) == (1, dest)
    platform = only_platform(document)
    assert sorted(platform) == PLATFORM_FIELDS
    assert (platform["platform"], platform["strategy"]) == ("linux/amd64", "netgo")
    assert platform["manifest"] == document["digest"] == skopeo_json("inspect", dest)["Digest"]
    assert platform["needs"] == list(ALL_NEEDS)
    assert platform["files"] == [
        "/app",
        "/etc/group",
        "/etc/hosts",
        "/etc/nsswitch.conf",
        "/etc/passwd",
        "/etc/ssl/certs/ca-certificates.crt",
        "/tmp/",
        "/usr/share/zoneinfo/",
    ]


@marked(built, requires_skopeo)
def test_every_archive_form_is_read_by_skopeo(
    probe_module: Path, image_env: dict[str, str], tmp_path: Path
) -> None:
    forms = {
        "oci-archive": f"oci-archive:{tmp_path / 'image.tar'}:v1",
        "docker-archive": f"docker-archive:{tmp_path / 'docker.tar'}:localhost/probe:v1",
    }
    for form, dest in forms.items():
        document = image(probe_module, image_env, "--output", dest, ".")
        inspected = skopeo_json("inspect", dest)
        assert (inspected["Architecture"], inspected["Os"]) == ("amd64", "linux"), form
        config = skopeo_json("inspect", "--config", dest)["config"]
        assert isinstance(config, dict)
        assert (config["User"], config["Entrypoint"]) == (NONROOT, ["/app"]), form
        if form == "oci-archive":  # Docker's format has a manifest of its own
            assert inspected["Digest"] == document["digest"]


@marked(built, requires_skopeo, requires_umoci, [requires_root])
def test_an_oci_layout_unpacked_by_umoci_runs_the_probe_as_nonroot(
    probe_module: Path, image_env: dict[str, str], tmp_path: Path
) -> None:
    layout = tmp_path / "layout"
    image(probe_module, image_env, "--output", f"oci:{layout}:v1", ".")
    rootfs = umoci_unpack(layout, "v1", tmp_path / "bundle")
    run = run_as_nonroot(rootfs)
    assert run.returncode == 0, run.stdout + run.stderr
    assert probe_verdicts(run) == dict.fromkeys(ALL_NEEDS, True)


@marked(built, requires_skopeo)
def test_two_platforms_give_an_index_of_two_manifests(
    probe_module: Path, image_env: dict[str, str], tmp_path: Path
) -> None:
    dest = f"oci:{tmp_path / 'layout'}:v1"
    document = image(
        probe_module, image_env, "--platform", "linux/amd64,linux/arm64", "--output", dest, "."
    )
    raw = skopeo("inspect", "--raw", dest)
    index = json.loads(raw)
    assert index["mediaType"] == OCI_INDEX
    assert document["digest"] == "sha256:" + hashlib.sha256(raw.encode()).hexdigest()
    platforms = document["platforms"]
    assert isinstance(platforms, list)
    assert [p["platform"] for p in platforms] == ["linux/amd64", "linux/arm64"]
    assert [(m["platform"]["architecture"], m["digest"]) for m in index["manifests"]] == [
        ("amd64", platforms[0]["manifest"]),
        ("arm64", platforms[1]["manifest"]),
    ]
    arm64 = skopeo_json("inspect", "--override-arch", "arm64", dest)
    assert arm64["Architecture"] == "arm64"


@marked(built, requires_qemu, [requires_root])
def test_the_arm64_image_runs_the_probe_under_qemu(
    probe_module: Path, image_env: dict[str, str], tmp_path: Path
) -> None:
    root = tmp_path / "root"
    document = image(
        probe_module, image_env, "--platform", "linux/arm64", "--output", f"rootfs:{root}", "."
    )
    assert only_platform(document)["platform"] == "linux/arm64"
    run = run_as_nonroot(root, qemu=True)
    assert run.returncode == 0, run.stdout + run.stderr
    assert probe_verdicts(run) == dict.fromkeys(ALL_NEEDS, True)


@marked(built)
def test_two_runs_a_second_apart_with_the_cache_cleared_give_the_same_image(
    probe_module: Path, image_env: dict[str, str], tmp_path: Path
) -> None:
    env = {**image_env, "GOSTATIC_CACHE_DIR": str(tmp_path / "cache")}
    archives = [tmp_path / "first.tar", tmp_path / "second.tar"]
    digests = []
    for archive in archives:
        digests.append(
            image(probe_module, env, "--output", f"oci-archive:{archive}", ".")["digest"]
        )
        cleared = run_gostatic(["cache", "clear"], probe_module, env)
        assert cleared.returncode == 0, cleared.stderr
        assert not (tmp_path / "cache" / "stage").exists()
        time.sleep(1.1)
    assert digests[0] == digests[1]
    assert archives[0].read_bytes() == archives[1].read_bytes()


@marked(built, requires_skopeo, requires_registry)
def test_a_push_reports_the_registrys_digest(
    probe_module: Path, image_env: dict[str, str], tmp_path: Path
) -> None:
    with registry_on_loopback(tmp_path) as address:
        dest = f"docker://{address}/probe:v1"
        document = image(probe_module, image_env, "--output", dest, ".")
        manifest = "application/vnd.oci.image.manifest.v1+json"
        assert document["digest"] == registry_digest(address, "probe", "v1", manifest)


# --- --smoke ------------------------------------------------------------------------------------


@marked(built, [requires_root])
def test_smoke_runs_in_the_image_root_as_its_user(
    probe_module: Path, image_env: dict[str, str], tmp_path: Path
) -> None:
    document = image(
        probe_module, image_env, "--smoke", "--output", f"oci:{tmp_path / 'probe'}", "."
    )
    smoke = only_platform(document)["smoke"]
    assert isinstance(smoke, dict)
    assert (smoke["status"], smoke["exit_status"]) == ("ran", 0), smoke
    # The probe's users check passes only as 65532 with the image's /etc/passwd.
    assert smoke["stdout"].splitlines() == [f"ok {n}" for n in ALL_NEEDS_IN_PROBE_ORDER]

    args = image(
        probe_module,
        image_env,
        *("--smoke", "--user", "1000:1001", "--output", f"oci:{tmp_path / 'who'}"),
        *("./whoami", "--", "-v", "x"),
    )
    said = only_platform(args)["smoke"]
    assert isinstance(said, dict) and said["stdout"] == "[-v x] 1000 1001\n", said


@marked(built, [requires_root])
def test_a_failed_smoke_run_writes_no_image(
    probe_module: Path, image_env: dict[str, str], tmp_path: Path
) -> None:
    # As root the probe's user check fails (it wants nonroot): the run exits 1.
    dest = tmp_path / "layout"
    run = run_gostatic(
        ["image", "--smoke", "--user", "root", "--output", f"oci:{dest}", "."],
        probe_module,
        image_env,
    )
    assert run.returncode == 1, run.stderr
    assert "smoke: exit status 1 in the image's root as 0:0" in run.stderr
    assert "FAIL users" in run.stderr
    assert not dest.exists()


def test_a_smoke_run_as_another_user_needs_root(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from gostatic.smoke import run_in_root

    monkeypatch.setattr(os, "geteuid", lambda: 1000)
    run = run_in_root(tmp_path, "/app", NONROOT)
    assert (run.status, run.failed) == ("skipped", False)
    assert "needs root" in run.detail


# --- progress ----------------------------------------------------------------------------


@marked(built)
def test_progress_only_on_a_terminal_and_never_with_json(
    probe_module: Path, image_env: dict[str, str], tmp_path: Path
) -> None:
    env = {**image_env, "TERM": "xterm-256color", "COLUMNS": "100"}
    piped = run_gostatic(["image", "--output", f"oci:{tmp_path / 'a'}", "."], probe_module, env)
    assert piped.returncode == 0, piped.stderr
    assert "image: " not in piped.stderr and "\x1b" not in piped.stderr
    command, command_env = gostatic_command(env)
    status, screen = run_on_terminal(
        [*command, "image", "--output", f"oci:{tmp_path / 'b'}", "."], probe_module, command_env
    )
    assert status == 0, screen
    assert "image: building" in screen and "gostatic: wrote oci:" in screen, screen
    status, screen = run_on_terminal(
        [*command, "image", "--json", "--output", f"oci:{tmp_path / 'c'}", "."],
        probe_module,
        command_env,
    )
    assert status == 0, screen
    assert "image: " not in screen and '"digest"' in screen
