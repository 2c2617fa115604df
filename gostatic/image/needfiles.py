"""The files each run-time need puts in a scratch image, and why a Go program looks there.

Every path is one Go's standard library reads on Linux without configuration:
crypto/x509 tries /etc/ssl/certs/ca-certificates.crt first, time tries
/usr/share/zoneinfo first, os/user (pure Go) reads /etc/passwd and /etc/group, net's
resolver reads /etc/nsswitch.conf and /etc/hosts, and os.TempDir is /tmp unless $TMPDIR
says otherwise. The contents come from Python packages (certifi, tzdata), not from this
machine's /etc, so the image is the same wherever it is written.
"""

from __future__ import annotations

from importlib.resources import files

from gostatic.errors import GostaticError, UsageError
from gostatic.image.entries import Entry, directory, generated, host_file
from gostatic.image.model import NONROOT_ID
from gostatic.records import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Iterator
    from importlib.abc import Traversable

CA_BUNDLE = "/etc/ssl/certs/ca-certificates.crt"
ZONEINFO = "/usr/share/zoneinfo"
TMP_MODE = 0o1777  # anyone may create files; only their owner may remove them

# The image has no home directories, so the users' home is the root they cannot write.
PASSWD = (
    "root:x:0:0:root:/:/sbin/nologin\n"
    f"nonroot:x:{NONROOT_ID}:{NONROOT_ID}:nonroot:/:/sbin/nologin\n"
)
GROUP = f"root:x:0:\nnonroot:x:{NONROOT_ID}:\n"
HOSTS = "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n"
# Go's resolver (and glibc's) asks the hosts file before DNS only when told so.
NSSWITCH = "hosts: files dns\n"

_PEM_BEGIN = b"-----BEGIN CERTIFICATE-----"


# How each need's files are named in a result: the zone files as their directory.
LISTED: dict[str, tuple[str, ...]] = {
    "ca-certificates": (CA_BUNDLE,),
    "zoneinfo": (ZONEINFO + "/",),
    "users": ("/etc/group", "/etc/passwd"),
    "hosts": ("/etc/hosts", "/etc/nsswitch.conf"),
    "tmp": ("/tmp/",),
}


def need_entries(need: str, ca_bundle: str | None) -> tuple[Entry, ...]:
    """The files that meet ``need``."""
    if need == "ca-certificates":
        return (_ca_bundle(ca_bundle),)
    if need == "zoneinfo":
        return tuple(_zone_files())
    if need == "users":
        return (generated("/etc/passwd", PASSWD.encode()), generated("/etc/group", GROUP.encode()))
    if need == "hosts":
        return (
            generated("/etc/hosts", HOSTS.encode()),
            generated("/etc/nsswitch.conf", NSSWITCH.encode()),
        )
    if need == "tmp":
        return (directory("/tmp", TMP_MODE),)
    raise GostaticError(f"no image files are known for the run-time need {need!r}")


def _ca_bundle(given: str | None) -> Entry:
    if given is None:
        resource = files("certifi") / "cacert.pem"
        if not resource.is_file():
            raise GostaticError("certifi's cacert.pem is missing; reinstall gostatic")
        return generated(CA_BUNDLE, resource.read_bytes())
    try:
        with open(given, "rb") as pem:
            head = pem.read(1 << 20)
    except OSError as exc:
        raise UsageError(f"--ca-bundle {given}: {exc.strerror or exc}") from None
    if _PEM_BEGIN not in head:
        raise UsageError(f"--ca-bundle {given}: no PEM certificate in it")
    return host_file(CA_BUNDLE, given, 0o644)


def _zone_files() -> Iterator[Entry]:
    root = files("tzdata") / "zoneinfo"
    if not root.is_dir():
        raise GostaticError("the tzdata package has no zoneinfo; reinstall gostatic")
    yield directory(ZONEINFO)
    yield from _zone_tree(root, ZONEINFO)


def _zone_tree(folder: Traversable, image_path: str) -> Iterator[Entry]:
    # tzdata ships its zone directories as Python packages: their __init__.py and caches
    # are not zone files.
    for item in folder.iterdir():
        if item.name.startswith("__") or item.name.endswith((".py", ".pyc")):
            continue
        path = f"{image_path}/{item.name}"
        if item.is_dir():
            yield directory(path)
            yield from _zone_tree(item, path)
        else:
            yield generated(path, item.read_bytes())
