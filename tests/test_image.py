"""Scratch images written by gostatic.image, checked with the tools that read and run them
(skopeo, umoci, podman, Debian's docker-registry, GNU tar) and by running a probe
program as user 65532 in the image's own root: every run-time need met, and every check
failing in an empty root."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
from pathlib import Path

import pytest

from gostatic.errors import GostaticError, UsageError
from gostatic.image import ImageOptions, PlatformBinary, parse_addition, write_image
from tests.image_support import (
    ALL_NEEDS,
    NONROOT,
    build_probe,
    podman_store,
    probe_verdicts,
    registry_digest,
    registry_on_loopback,
    requires_podman,
    requires_registry,
    requires_root,
    requires_skopeo,
    requires_umoci,
    run_as_nonroot,
    skopeo,
    skopeo_json,
    umoci_unpack,
)
from tests.support import GO, marked, requires_go, requires_qemu

pytestmark = [pytest.mark.slow, requires_go]

OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_INDEX = "application/vnd.oci.image.index.v1+json"


@pytest.fixture(scope="module")
def probe(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_probe(tmp_path_factory.mktemp("probe"))


@pytest.fixture(scope="module")
def probe_arm64(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_probe(tmp_path_factory.mktemp("probe-arm64"), goarch="arm64")


def options(**changes: object) -> ImageOptions:
    environ = {k: v for k, v in os.environ.items() if k != "SOURCE_DATE_EPOCH"}
    return ImageOptions(environ=environ)._replace(**changes)


def with_needs(binary: Path, needs: tuple[str, ...] = ALL_NEEDS) -> list[PlatformBinary]:
    return [PlatformBinary(str(binary), needs)]


# --- the image's root, run as 65532 ------------------------------------------------------


@requires_root
def test_probe_runs_as_nonroot_in_the_image_root_and_fails_in_an_empty_one(
    probe: Path, tmp_path: Path
) -> None:
    result = write_image(with_needs(probe), f"rootfs:{tmp_path / 'root'}", options())
    met = run_as_nonroot(tmp_path / "root")
    assert met.returncode == 0, met.stdout + met.stderr
    assert probe_verdicts(met) == dict.fromkeys(ALL_NEEDS, True)

    # The oracle: the same binary alone in a root fails every check.
    empty = tmp_path / "empty"
    empty.mkdir()
    shutil.copy2(probe, empty / "app")
    unmet = run_as_nonroot(empty)
    assert unmet.returncode == 1, unmet.stdout + unmet.stderr
    assert probe_verdicts(unmet) == dict.fromkeys(ALL_NEEDS, False)

    [image] = result.platforms
    assert image.files == (
        "/app",
        "/etc/group",
        "/etc/hosts",
        "/etc/nsswitch.conf",
        "/etc/passwd",
        "/etc/ssl/certs/ca-certificates.crt",
        "/tmp/",
        "/usr/share/zoneinfo/",
    )
    assert (image.platform, image.needs, image.manifest) == (
        "linux/amd64",
        ALL_NEEDS,
        result.digest,
    )


@requires_root
@pytest.mark.parametrize("left_out", ALL_NEEDS)
def test_each_need_is_what_its_check_depends_on(probe: Path, tmp_path: Path, left_out: str) -> None:
    needs = tuple(n for n in ALL_NEEDS if n != left_out)
    write_image(with_needs(probe, needs), f"rootfs:{tmp_path / 'root'}", options())
    run = run_as_nonroot(tmp_path / "root")
    assert run.returncode == 1
    assert probe_verdicts(run) == {n: n != left_out for n in ALL_NEEDS}


def test_no_needs_no_files(probe: Path, tmp_path: Path) -> None:
    write_image(with_needs(probe, ()), f"rootfs:{tmp_path / 'root'}", options())
    assert sorted(p.name for p in (tmp_path / "root").iterdir()) == ["app"]


# --- the layer, as GNU tar reads it --------------------------------------------------------


@marked(requires_skopeo)
def test_layer_members_are_owned_by_root_with_one_fixed_time(probe: Path, tmp_path: Path) -> None:
    layout = tmp_path / "layout"
    write_image(with_needs(probe), f"oci:{layout}:v1", options())
    [layer] = skopeo_json("inspect", f"oci:{layout}:v1")["Layers"]  # type: ignore[misc]
    blob = layout / "blobs" / "sha256" / str(layer).removeprefix("sha256:")
    listing = subprocess.run(
        ["tar", "-tvzf", str(blob), "--numeric-owner", "--full-time"],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "TZ": "UTC"},
    ).stdout.splitlines()
    members = {line.split()[-1].rstrip("/"): line.split() for line in listing}
    assert all(fields[1] == "0/0" for fields in members.values())
    assert all(fields[3:5] == ["1970-01-01", "00:00:00"] for fields in members.values())
    assert members["tmp"][0] == "drwxrwxrwt"
    assert members["app"][0] == "-rwxr-xr-x"
    assert members["etc/passwd"][0] == "-rw-r--r--"
    assert {name.split("/")[0] for name in members} == {"app", "etc", "tmp", "usr"}
    in_etc = {name.split("/")[1] for name in members if name.startswith("etc/")}
    assert in_etc == {"group", "hosts", "nsswitch.conf", "passwd", "ssl"}
    assert "usr/share/zoneinfo/Europe/Berlin" in members
    assert not [name for name in members if "__init__" in name or "pycache" in name]
    assert [name.split()[-1].rstrip("/") for name in listing] == sorted(
        members, key=lambda name: name.split("/")
    ), "each directory right before what it holds, in name order"


# --- every output form, read by skopeo -----------------------------------------------------


@marked(requires_skopeo)
def test_every_output_form_is_read_by_skopeo(probe: Path, tmp_path: Path) -> None:
    forms = {
        "oci": f"oci:{tmp_path / 'layout'}:v1",
        "oci-archive": f"oci-archive:{tmp_path / 'image.tar'}:v1",
        "docker-archive": f"docker-archive:{tmp_path / 'docker.tar'}:localhost/probe:v1",
    }
    digests = set()
    for form, dest in forms.items():
        result = write_image(with_needs(probe), dest, options())
        digests.add(result.digest)
        inspected = skopeo_json("inspect", dest)
        assert (inspected["Architecture"], inspected["Os"]) == ("amd64", "linux"), form
        config = skopeo_json("inspect", "--config", dest)["config"]
        assert isinstance(config, dict)
        assert config["User"] == NONROOT, form
        assert config["Entrypoint"] == ["/app"], form
        if form != "docker-archive":  # Docker's format has a manifest of its own
            assert inspected["Digest"] == result.digest, form
    manifest = subprocess.run(
        ["tar", "-xOf", str(tmp_path / "docker.tar"), "manifest.json"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert json.loads(manifest)[0]["RepoTags"] == ["localhost/probe:v1"]
    assert len(digests) == 1, "one image, one digest, whatever the form"


@marked(requires_skopeo)
def test_user_and_entrypoint_options(probe: Path, tmp_path: Path) -> None:
    dest = f"oci:{tmp_path / 'layout'}:v1"
    write_image(with_needs(probe, ()), dest, options(user="1000", entrypoint="/usr/bin/probe"))
    config = skopeo_json("inspect", "--config", dest)["config"]
    assert isinstance(config, dict)
    assert (config["User"], config["Entrypoint"]) == ("1000", ["/usr/bin/probe"])


@marked(requires_skopeo)
def test_an_oci_layout_holds_several_tags(probe: Path, tmp_path: Path) -> None:
    layout = tmp_path / "layout"
    first = write_image(with_needs(probe), f"oci:{layout}:a", options())
    second = write_image(with_needs(probe, ()), f"oci:{layout}:b", options())
    again = write_image(with_needs(probe, ("tmp",)), f"oci:{layout}:a", options())
    assert len({first.digest, second.digest, again.digest}) == 3
    assert skopeo_json("inspect", f"oci:{layout}:a")["Digest"] == again.digest
    assert skopeo_json("inspect", f"oci:{layout}:b")["Digest"] == second.digest


def test_rootfs_is_a_new_or_empty_directory(probe: Path, tmp_path: Path) -> None:
    (tmp_path / "root").mkdir()
    write_image(with_needs(probe, ()), f"rootfs:{tmp_path / 'root'}", options())
    with pytest.raises(UsageError, match="not empty"):
        write_image(with_needs(probe, ()), f"rootfs:{tmp_path / 'root'}", options())
    assert sorted(os.listdir(tmp_path)) == ["root"], "nothing left beside it"


def test_a_directory_that_is_not_a_layout_is_not_written_into(probe: Path, tmp_path: Path) -> None:
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "notes.txt").write_text("keep")
    with pytest.raises(UsageError, match="not an OCI image layout"):
        write_image(with_needs(probe), f"oci:{tmp_path / 'mine'}", options())
    assert os.listdir(tmp_path / "mine") == ["notes.txt"]


# --- umoci and podman run it ---------------------------------------------------------------


@requires_root
@marked(requires_umoci)
def test_umoci_unpacks_an_image_whose_probe_runs_as_nonroot(probe: Path, tmp_path: Path) -> None:
    write_image(with_needs(probe), f"oci:{tmp_path / 'layout'}:v1", options())
    rootfs = umoci_unpack(tmp_path / "layout", "v1", tmp_path / "bundle")
    run = run_as_nonroot(rootfs)
    assert run.returncode == 0, run.stdout + run.stderr
    assert probe_verdicts(run) == dict.fromkeys(ALL_NEEDS, True)


@requires_root
@marked(requires_podman, requires_skopeo)
def test_podman_loads_the_docker_archive_and_runs_it_as_nonroot(
    probe: Path, tmp_path: Path
) -> None:
    archive = tmp_path / "probe.tar"
    write_image(with_needs(probe), f"docker-archive:{archive}:localhost/probe:v1", options())
    write_image(with_needs(probe), f"oci:{tmp_path / 'layout'}", options())
    config = skopeo_json("inspect", "--raw", f"oci:{tmp_path / 'layout'}")["config"]
    assert isinstance(config, dict)
    with podman_store(tmp_path) as podman:
        loaded = podman("load", "--input", str(archive))
        assert loaded.returncode == 0, loaded.stderr
        shown = podman(
            "image", "inspect", "--format", "{{.Config.User}} {{.Id}}", "localhost/probe:v1"
        )
        # The same config as the OCI image's: the image ID is its digest.
        assert shown.stdout.split() == [NONROOT, config["digest"].removeprefix("sha256:")]
        run = podman("run", "--rm", "--runtime", "runc", "--network", "none", "localhost/probe:v1")
    assert run.returncode == 0, run.stdout + run.stderr
    assert probe_verdicts(run) == dict.fromkeys(ALL_NEEDS, True)


# --- push ----------------------------------------------------------------------------------


@marked(requires_registry, requires_skopeo)
def test_a_registry_on_the_loopback_receives_the_push_and_reports_the_same_digest(
    probe: Path, probe_arm64: Path, tmp_path: Path
) -> None:
    archive = write_image(with_needs(probe), f"oci-archive:{tmp_path / 'a.tar'}", options())
    both = with_needs(probe) + with_needs(probe_arm64)
    with registry_on_loopback(tmp_path) as registry:
        pushed = write_image(with_needs(probe), f"docker://{registry}/probe:v1", options())
        assert pushed.digest == registry_digest(registry, "probe", "v1", OCI_MANIFEST)
        index = write_image(both, f"docker://{registry}/probe:multi", options())
        assert index.digest == registry_digest(registry, "probe", "multi", OCI_INDEX)
        # skopeo reads it back through the registry as another client would.
        raw = skopeo("inspect", "--raw", "--tls-verify=false", f"docker://{registry}/probe:multi")
    assert pushed.digest == archive.digest
    assert index.platforms[0].manifest == pushed.digest
    assert '"arm64"' in raw


# --- reproducible ------------------------------------------------------------------------


@marked(requires_skopeo)
def test_two_writes_a_second_apart_are_the_same_bytes(probe: Path, tmp_path: Path) -> None:
    def write(directory: Path) -> tuple[str, bytes, bytes]:
        directory.mkdir()
        oci = write_image(with_needs(probe), f"oci-archive:{directory / 'o.tar'}:v1", options())
        dest = f"docker-archive:{directory / 'd.tar'}:localhost/probe:v1"
        docker = write_image(with_needs(probe), dest, options())
        assert oci.digest == docker.digest
        return oci.digest, (directory / "o.tar").read_bytes(), (directory / "d.tar").read_bytes()

    first = write(tmp_path / "first")
    time.sleep(1.1)
    assert write(tmp_path / "second") == first


@marked(requires_skopeo)
def test_source_date_epoch_sets_the_one_time(probe: Path, tmp_path: Path) -> None:
    dest = f"oci-archive:{tmp_path / 'o.tar'}"
    plain = write_image(with_needs(probe), dest, options())
    environ = {**options().environ, "SOURCE_DATE_EPOCH": "1700000000"}
    dated = write_image(with_needs(probe), dest, options(environ=environ))
    assert dated.digest != plain.digest
    assert skopeo_json("inspect", dest)["Created"] == "2023-11-14T22:13:20Z"


# --- several platforms ---------------------------------------------------------------------


@marked(requires_skopeo)
def test_two_platforms_make_one_index(probe: Path, probe_arm64: Path, tmp_path: Path) -> None:
    dest = f"oci-archive:{tmp_path / 'multi.tar'}:v1"
    result = write_image(with_needs(probe) + with_needs(probe_arm64), dest, options())
    raw = skopeo_json("inspect", "--raw", dest)
    assert raw["mediaType"] == OCI_INDEX
    manifests = raw["manifests"]
    assert isinstance(manifests, list)
    listed = [(m["platform"]["architecture"], m["digest"]) for m in manifests]
    assert listed == [
        ("amd64", result.platforms[0].manifest),
        ("arm64", result.platforms[1].manifest),
    ]
    assert [p.platform for p in result.platforms] == ["linux/amd64", "linux/arm64"]
    # skopeo picks each platform's image out of the index by its own reading of it.
    arm = skopeo_json("inspect", "--override-arch", "arm64", dest)
    amd = skopeo_json("inspect", "--override-arch", "amd64", dest)
    assert (arm["Architecture"], amd["Architecture"]) == ("arm64", "amd64")
    assert arm["Digest"] == amd["Digest"] == result.digest
    assert arm["Layers"] != amd["Layers"]


@requires_root
@marked(requires_qemu, requires_skopeo, requires_umoci)
def test_the_arm64_image_of_an_index_runs_under_qemu(
    probe: Path, probe_arm64: Path, tmp_path: Path
) -> None:
    dest = f"oci-archive:{tmp_path / 'multi.tar'}:v1"
    write_image(with_needs(probe) + with_needs(probe_arm64), dest, options())
    # skopeo picks the arm64 image out of the index, as an arm64 machine's engine would.
    skopeo("copy", "--override-arch", "arm64", dest, f"oci:{tmp_path / 'arm'}:v1")
    rootfs = umoci_unpack(tmp_path / "arm", "v1", tmp_path / "bundle")
    run = run_as_nonroot(rootfs, qemu=True)
    assert run.returncode == 0, run.stdout + run.stderr
    assert probe_verdicts(run) == dict.fromkeys(ALL_NEEDS, True)


def test_two_binaries_for_one_platform_are_refused(probe: Path, tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="two binaries for linux/amd64"):
        write_image(with_needs(probe) * 2, f"oci:{tmp_path / 'x'}", options())
    assert not (tmp_path / "x").exists()


@pytest.mark.parametrize("form", ["rootfs:{}", "docker-archive:{}.tar"])
def test_forms_holding_one_platform_refuse_two(
    probe: Path, probe_arm64: Path, tmp_path: Path, form: str
) -> None:
    dest = form.format(tmp_path / "out")
    with pytest.raises(UsageError, match="holds one platform"):
        write_image(with_needs(probe) + with_needs(probe_arm64), dest, options())
    assert list(tmp_path.iterdir()) == []


# --- the program's own files, labels ---------------------------------------------------------


def test_added_files_keep_their_content_and_only_the_executable_bit(
    probe: Path, tmp_path: Path
) -> None:
    site = tmp_path / "site"
    (site / "css").mkdir(parents=True)
    (site / "index.html").write_text("<p>hi</p>")
    (site / "css" / "a.css").write_text("p{}")
    os.chmod(site / "index.html", 0o600)
    (site / "latest").symlink_to("index.html")
    tool = tmp_path / "tool.sh"
    tool.write_text("#!/bin/sh\n")
    tool.chmod(0o700)
    additions = (parse_addition(f"{site}:/srv/www"), parse_addition(f"{tool}:/usr/bin/"))
    result = write_image(
        with_needs(probe, ()), f"rootfs:{tmp_path / 'root'}", options(additions=additions)
    )
    root = tmp_path / "root"
    assert (root / "srv/www/css/a.css").read_text() == "p{}"
    assert (root / "srv/www/index.html").stat().st_mode & 0o7777 == 0o644
    assert os.readlink(root / "srv/www/latest") == "index.html"
    assert (root / "usr/bin/tool.sh").stat().st_mode & 0o7777 == 0o755
    assert result.platforms[0].files == ("/app", "/srv/www/", "/usr/bin/tool.sh")


def test_an_added_file_may_not_replace_a_needed_one(probe: Path, tmp_path: Path) -> None:
    mine = tmp_path / "passwd"
    mine.write_text("me:x:1:1::/:/bin/sh\n")
    additions = (parse_addition(f"{mine}:/etc/passwd"),)
    with pytest.raises(UsageError, match=r"/etc/passwd is already in the image \(the users need\)"):
        write_image(with_needs(probe), f"rootfs:{tmp_path / 'root'}", options(additions=additions))
    assert not (tmp_path / "root").exists()


@marked(requires_skopeo)
def test_labels_come_from_the_build_info(tmp_path: Path) -> None:
    git = shutil.which("git")
    if git is None:
        pytest.skip("git missing: apt-get install git")
    source = tmp_path / "src"
    build_probe(source)  # writes the module; the binary is rebuilt below, outside it
    (source / "probe-amd64").unlink()
    ident = ["-c", "user.name=t", "-c", "user.email=t@example.com"]
    for command in (
        ["init", "-q"],
        ["add", "."],
        [*ident, "commit", "-qm", "probe"],
        ["tag", "v1.2.3"],
    ):
        subprocess.run([git, *command], cwd=source, check=True)
    revision = subprocess.run(
        [git, "rev-parse", "HEAD"], cwd=source, capture_output=True, text=True, check=True
    ).stdout.strip()
    binary = tmp_path / "probe"
    env = {**os.environ, "CGO_ENABLED": "0", "GOFLAGS": "-buildvcs=true"}
    subprocess.run(["go", "build", "-o", str(binary), "."], cwd=source, env=env, check=True)
    dest = f"oci:{tmp_path / 'layout'}:v1"
    write_image(with_needs(binary, ()), dest, options())
    assert skopeo_json("inspect", dest)["Labels"] == {
        "org.opencontainers.image.revision": revision,
        "org.opencontainers.image.source": "https://example.com/probe",
        "org.opencontainers.image.version": "v1.2.3",
    }


# --- bad input, failures ---------------------------------------------------------------------


def test_a_dynamic_binary_is_refused(tmp_path: Path) -> None:
    dynamic = shutil.which("true")
    assert dynamic is not None
    with pytest.raises(UsageError, match="dynamically linked"):
        write_image([PlatformBinary(dynamic, ())], f"oci:{tmp_path / 'x'}", options())
    assert not (tmp_path / "x").exists()


def test_an_unknown_transport_is_a_usage_error(probe: Path, tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="unknown transport 'docker-daemon'") as raised:
        write_image(with_needs(probe), "docker-daemon:probe:v1", options())
    assert raised.value.exit_status == 2


def test_without_skopeo_a_push_names_the_install_and_oci_still_works(
    probe: Path, tmp_path: Path
) -> None:
    no_path = {**options().environ, "PATH": str(tmp_path / "empty-bin"), "GOSTATIC_GO": GO}
    no_skopeo = options(environ=no_path)
    with pytest.raises(GostaticError, match="apt-get install skopeo"):
        write_image(with_needs(probe), "docker://localhost:5000/probe:v1", no_skopeo)
    write_image(with_needs(probe), f"oci-archive:{tmp_path / 'o.tar'}", no_skopeo)
    assert (tmp_path / "o.tar").is_file()


def test_a_failed_docker_archive_leaves_the_old_one(probe: Path, tmp_path: Path) -> None:
    """skopeo fails half way through writing: the archive is the old one, nothing is left
    beside it."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    fake = bin_dir / "skopeo"
    fake.write_text(
        "#!/bin/sh\nfor last; do :; done\nfile=${last#docker-archive:}; file=${file%%:*}\n"
        'echo partial > "$file"\necho "writing blob: disk quota exceeded" >&2\nexit 1\n'
    )
    fake.chmod(0o755)
    out = tmp_path / "out"
    out.mkdir()
    (out / "probe.tar").write_bytes(b"the old archive")
    environ = {**options().environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}"}
    with pytest.raises(GostaticError, match="disk quota exceeded"):
        write_image(
            with_needs(probe), f"docker-archive:{out / 'probe.tar'}", options(environ=environ)
        )
    assert os.listdir(out) == ["probe.tar"]
    assert (out / "probe.tar").read_bytes() == b"the old archive"


def test_a_failed_oci_archive_leaves_the_old_one(
    probe: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from gostatic.image import archive

    (tmp_path / "o.tar").write_bytes(b"the old archive")
    real_add = archive._add
    calls: list[str] = []

    def failing_add(tar: object, layout: str, member: str, epoch: int) -> None:
        calls.append(member)
        if len(calls) == 3:
            raise OSError(28, "No space left on device")
        real_add(tar, layout, member, epoch)  # type: ignore[arg-type]

    monkeypatch.setattr(archive, "_add", failing_add)
    with pytest.raises(GostaticError, match="No space left on device"):
        write_image(with_needs(probe), f"oci-archive:{tmp_path / 'o.tar'}", options())
    assert os.listdir(tmp_path) == ["o.tar"]
    assert (tmp_path / "o.tar").read_bytes() == b"the old archive"
    monkeypatch.setattr(archive, "_add", real_add)
    write_image(with_needs(probe), f"oci-archive:{tmp_path / 'o.tar'}", options())
    assert (tmp_path / "o.tar").read_bytes()[:5] == b"blobs"


def test_a_failed_oci_write_leaves_no_half_image(
    probe: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from gostatic.image import compose

    layout = tmp_path / "layout"
    write_image(with_needs(probe), f"oci:{layout}:a", options())
    index = (layout / "index.json").read_bytes()

    def full_disk(*args: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(compose, "write_layer", full_disk)
    with pytest.raises(GostaticError, match="No space left on device"):
        write_image(with_needs(probe, ()), f"oci:{layout}:b", options())
    assert (layout / "index.json").read_bytes() == index, "the layout still names only :a"
    with pytest.raises(GostaticError, match="No space left on device"):
        write_image(with_needs(probe), f"oci:{tmp_path / 'new'}", options())
    assert not (tmp_path / "new").exists(), "a layout this write created is removed"
