"""The pure parts of gostatic.image: DEST and --add parsing, --user, SOURCE_DATE_EPOCH,
labels from build info, the files each need puts in the image, and clashes in a tree."""

from __future__ import annotations

import os
from importlib.resources import files
from pathlib import Path

import pytest

from gostatic.errors import GostaticError, UsageError
from gostatic.image import (
    DEFAULT_ENTRYPOINT,
    DEFAULT_USER,
    ImageOptions,
    PlatformBinary,
    config_user,
    parse_addition,
    parse_destination,
)
from gostatic.image.entries import image_path
from gostatic.image.epoch import image_epoch, rfc3339
from gostatic.image.labels import labels_from_build_info
from gostatic.image.needfiles import CA_BUNDLE, need_entries
from gostatic.image.tree import image_tree
from tests.support import REPO_ROOT

# --- --output DEST ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "transport", "path", "reference"),
    [
        ("oci:out/layout", "oci", "out/layout", None),
        ("oci:out/layout:v1.0", "oci", "out/layout", "v1.0"),
        ("oci-archive:/tmp/a.tar:latest", "oci-archive", "/tmp/a.tar", "latest"),
        ("oci-archive:a.tar", "oci-archive", "a.tar", None),
        ("docker-archive:a.tar", "docker-archive", "a.tar", None),
        ("docker-archive:a.tar:app:1", "docker-archive", "a.tar", "app:1"),
        (
            "docker-archive:a.tar:ghcr.io/team/app:1",
            "docker-archive",
            "a.tar",
            "ghcr.io/team/app:1",
        ),
        ("docker://ghcr.io/team/app:1.2", "docker", "ghcr.io/team/app:1.2", None),
        ("docker://localhost:5000/app:v1", "docker", "localhost:5000/app:v1", None),
        ("rootfs:/rootfs", "rootfs", "/rootfs", None),
        ("rootfs:dir:with:colons", "rootfs", "dir:with:colons", None),
    ],
)
def test_destinations_in_skopeo_syntax(
    text: str, transport: str, path: str, reference: str | None
) -> None:
    dest = parse_destination(text)
    assert (dest.text, dest.transport, dest.path, dest.reference) == (
        text,
        transport,
        path,
        reference,
    )


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("docker-daemon:app:1", "unknown transport 'docker-daemon'"),
        ("dir:out", "unknown transport 'dir'"),
        ("out.tar", "no transport"),
        ("oci:", "no directory"),
        ("oci-archive::v1", "no file"),
        ("oci:out:", "'' is not a valid tag"),
        ("oci:out:bad tag", "'bad tag' is not a valid tag"),
        ("docker-archive:a.tar:app", "'app' has no tag"),
        ("docker-archive:a.tar:App:1", "'App' is not a valid image name"),
        ("docker://team/app:1", "name the registry"),
        ("docker://app:1", "name the registry"),
        ("docker:ghcr.io/team/app:1", "a registry destination starts with docker://"),
        ("docker://ghcr.io/team/app", "'ghcr.io/team/app' has no tag"),
        ("docker://ghcr.io/team/app@sha256:" + "0" * 64, "push to a tag"),
        ("rootfs:", "no directory"),
    ],
)
def test_bad_destinations_are_usage_errors(text: str, reason: str) -> None:
    with pytest.raises(UsageError) as raised:
        parse_destination(text)
    assert raised.value.exit_status == 2
    assert raised.value.message.startswith(f"--output {text}: {reason}")
    assert "oci:DIR[:TAG]" in raised.value.message, "the forms are named"


@pytest.mark.parametrize(
    ("registry", "loopback"),
    [
        ("127.0.0.1:5000", True),
        ("127.3.4.5", True),
        ("localhost:5000", True),
        ("localhost", True),
        ("[::1]:5000", True),
        ("ghcr.io", False),
        ("10.0.0.1:5000", False),
        ("[::2]:5000", False),
        ("localhost.example.com", False),
    ],
)
def test_only_the_loopback_is_reached_over_plain_http(registry: str, loopback: bool) -> None:
    dest = parse_destination(f"docker://{registry}/app:1")
    assert dest.registry == registry
    assert dest.on_loopback is loopback


# --- --add, --user, the entrypoint -------------------------------------------------------------


def test_additions(tmp_path: Path) -> None:
    (tmp_path / "conf.yml").write_text("a: 1\n")
    source = str(tmp_path / "conf.yml")
    assert parse_addition(f"{source}:/etc/app/conf.yml").dest == "/etc/app/conf.yml"
    assert parse_addition(f"{source}:/etc/app/").dest == "/etc/app/conf.yml"
    assert parse_addition(f"{source}:/").dest == "/conf.yml"
    assert parse_addition(f"{source}://etc//app/./x").dest == "/etc/app/x"


@pytest.mark.parametrize(
    ("dest", "reason"),
    [
        ("etc/app.yml", "not an absolute path"),
        ("/etc/../app.yml", "must not climb out"),
        ("/.", "root itself"),
        ("", "give SRC:DEST"),
    ],
)
def test_bad_additions(tmp_path: Path, dest: str, reason: str) -> None:
    (tmp_path / "f").write_text("x")
    with pytest.raises(UsageError, match=reason):
        parse_addition(f"{tmp_path / 'f'}:{dest}")


def test_an_addition_needs_an_existing_source(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="no such file or directory"):
        parse_addition(f"{tmp_path / 'missing'}:/x")


@pytest.mark.parametrize(
    ("text", "user"),
    [
        ("65532:65532", "65532:65532"),
        ("0", "0"),
        ("1000:100", "1000:100"),
        ("007:01", "7:1"),
        ("root", "0:0"),
        ("nonroot", "65532:65532"),
    ],
)
def test_users_are_numbers(text: str, user: str) -> None:
    assert config_user(text) == user


@pytest.mark.parametrize(
    "text", ["www-data", "1000:", ":1000", "-1", "4294967295", "1:2:3", "\u0661"]
)
def test_other_users_are_refused(text: str) -> None:
    with pytest.raises(UsageError, match="--user"):
        config_user(text)


def test_image_paths_are_normalised() -> None:
    assert image_path("/usr//local/./bin/app", "x") == "/usr/local/bin/app"
    assert image_path("//app", "x") == "/app"


# --- SOURCE_DATE_EPOCH ---------------------------------------------------------------------


def test_source_date_epoch() -> None:
    assert image_epoch({}) == 0
    assert image_epoch({"SOURCE_DATE_EPOCH": ""}) == 0
    assert image_epoch({"SOURCE_DATE_EPOCH": "1700000000"}) == 1700000000
    assert rfc3339(1700000000) == "2023-11-14T22:13:20Z"
    for bad in ("yesterday", "-5", "1.5", "\u0663", str(8**11)):
        with pytest.raises(UsageError, match="SOURCE_DATE_EPOCH"):
            image_epoch({"SOURCE_DATE_EPOCH": bad})


# --- labels --------------------------------------------------------------------------------

BUILD_INFO = (
    "/tmp/app: go1.26.8\n"
    "\tpath\tgithub.com/team/app/cmd/app\n"
    "\tmod\tgithub.com/team/app\tv1.4.0\t\n"
    "\tdep\tgolang.org/x/text\tv0.3.0\th1:abc=\n"
    "\tbuild\t-compiler=gc\n"
    "\tbuild\tvcs=git\n"
    "\tbuild\tvcs.revision=4c121deb32c03004d51cb7811bb3e30e1713315a\n"
    "\tbuild\tvcs.modified=false\n"
)


def test_labels_from_build_info() -> None:
    assert labels_from_build_info(BUILD_INFO) == {
        "org.opencontainers.image.version": "v1.4.0",
        "org.opencontainers.image.revision": "4c121deb32c03004d51cb7811bb3e30e1713315a",
        "org.opencontainers.image.source": "https://github.com/team/app",
    }


def test_no_label_without_its_value() -> None:
    local = "/tmp/app: go1.26.8\n\tpath\tapp\n\tmod\tapp\t(devel)\t\n\tbuild\t-compiler=gc\n"
    assert labels_from_build_info(local) == {}
    assert labels_from_build_info("") == {}


# --- the files of each need ------------------------------------------------------------------


def test_the_ca_bundle_is_certifis_unless_given(tmp_path: Path) -> None:
    [bundle] = need_entries("ca-certificates", None)
    assert bundle.path == CA_BUNDLE
    assert bundle.data == (files("certifi") / "cacert.pem").read_bytes()
    mine = tmp_path / "corp.pem"
    mine.write_text("-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n")
    [given] = need_entries("ca-certificates", str(mine))
    assert (given.path, given.source) == (CA_BUNDLE, str(mine))


def test_a_ca_bundle_must_be_pem(tmp_path: Path) -> None:
    (tmp_path / "x.der").write_bytes(b"\x30\x82\x01\x0a")
    with pytest.raises(UsageError, match="no PEM certificate"):
        need_entries("ca-certificates", str(tmp_path / "x.der"))
    with pytest.raises(UsageError, match="--ca-bundle"):
        need_entries("ca-certificates", str(tmp_path / "missing.pem"))


def test_zone_files_are_tzdatas_without_its_python_files() -> None:
    entries = {e.path: e for e in need_entries("zoneinfo", None)}
    berlin = entries["/usr/share/zoneinfo/Europe/Berlin"]
    shipped = (files("tzdata") / "zoneinfo" / "Europe" / "Berlin").read_bytes()
    assert berlin.data == shipped
    assert berlin.data is not None and berlin.data.startswith(b"TZif")
    assert entries["/usr/share/zoneinfo/Europe"].kind == "dir"
    assert not [p for p in entries if "__" in p or p.endswith((".py", ".pyc"))]


def test_users_hosts_and_tmp() -> None:
    passwd, group = need_entries("users", None)
    assert passwd.data is not None and group.data is not None
    assert b"nonroot:x:65532:65532:" in passwd.data and b"root:x:0:0:" in passwd.data
    assert b"nonroot:x:65532:" in group.data
    hosts, nsswitch = need_entries("hosts", None)
    assert hosts.data is not None and b"127.0.0.1\tlocalhost" in hosts.data
    assert hosts.data is not None and b"::1\tlocalhost" in hosts.data
    assert nsswitch.data == b"hosts: files dns\n"
    [tmp] = need_entries("tmp", None)
    assert (tmp.path, tmp.kind, tmp.mode) == ("/tmp", "dir", 0o1777)


# --- trees ---------------------------------------------------------------------------------


def _tree_of(tmp_path: Path, needs: tuple[str, ...], **changes: object) -> list[str]:
    binary = tmp_path / "app-binary"
    binary.write_bytes(b"\x7fELF")
    options = ImageOptions(environ={})._replace(**changes)
    tree = image_tree(PlatformBinary(str(binary), needs), options)
    return [e.path for e in tree.entries]


def test_a_tree_holds_each_directory_before_its_contents(tmp_path: Path) -> None:
    paths = _tree_of(tmp_path, ("tmp", "users", "ca-certificates"))
    assert paths == [
        "/app",
        "/etc",
        "/etc/group",
        "/etc/passwd",
        "/etc/ssl",
        "/etc/ssl/certs",
        "/etc/ssl/certs/ca-certificates.crt",
        "/tmp",
    ]


def test_an_addition_under_the_binary_clashes(tmp_path: Path) -> None:
    (tmp_path / "f").write_text("x")
    additions = (parse_addition(f"{tmp_path / 'f'}:/app/f"),)
    with pytest.raises(UsageError, match=r"/app is a file in the image \(the binary\)"):
        _tree_of(tmp_path, (), additions=additions)


def test_an_addition_into_tmp_keeps_its_sticky_mode(tmp_path: Path) -> None:
    (tmp_path / "seed").write_text("x")
    additions = (parse_addition(f"{tmp_path / 'seed'}:/tmp/seed"),)
    binary = tmp_path / "app-binary"
    binary.write_bytes(b"")
    tree = image_tree(
        PlatformBinary(str(binary), ("tmp",)), ImageOptions(environ={}, additions=additions)
    )
    assert {e.path: e.mode for e in tree.entries}["/tmp"] == 0o1777


def test_an_addition_of_a_special_file_is_refused(tmp_path: Path) -> None:
    (tmp_path / "d").mkdir()
    os.mkfifo(tmp_path / "d" / "pipe")
    additions = (parse_addition(f"{tmp_path / 'd'}:/d"),)
    with pytest.raises(UsageError, match="neither a file, a directory nor a link"):
        _tree_of(tmp_path, (), additions=additions)


def test_an_unknown_need_is_an_error_not_a_silent_gap(tmp_path: Path) -> None:
    with pytest.raises(GostaticError, match="no image files are known for the run-time need"):
        _tree_of(tmp_path, ("gpu",))


# --- the Dockerfile template ---------------------------------------------------------------


def test_the_dockerfile_gives_the_rootfs_the_config_gostatic_images_have() -> None:
    """A directory carries no config: the Dockerfile states the user and entrypoint, and
    they must be what `gostatic image` writes into its own images."""
    text = (REPO_ROOT / "templates" / "Dockerfile.scratch").read_text()
    final = text.rsplit("FROM scratch", 1)[1]
    assert f"\nUSER {DEFAULT_USER}\n" in final
    assert f'\nENTRYPOINT ["{DEFAULT_ENTRYPOINT}"]\n' in final


def test_the_dockerfile_installs_the_wheel_of_the_gostatic_that_wrote_it() -> None:
    """init replaces the placeholder with its own version (tests/test_init.py)."""
    text = (REPO_ROOT / "templates" / "Dockerfile.scratch").read_text()
    assert "\nARG GOSTATIC=.github/gostatic-{{version}}-py3-none-any.whl\n" in text
