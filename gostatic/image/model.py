"""The records `gostatic image` is asked with and answers with."""

from __future__ import annotations

from gostatic.records import TYPE_CHECKING, Record

if TYPE_CHECKING:
    from collections.abc import Mapping

# The user a scratch image runs as unless told otherwise: distroless's `nonroot`, which
# the image's /etc/passwd names when the program looks users up.
NONROOT_ID = 65532
DEFAULT_USER = f"{NONROOT_ID}:{NONROOT_ID}"
DEFAULT_ENTRYPOINT = "/app"


class PlatformBinary(Record):
    """One verified static binary to put in the image, with what it needs at run time."""

    binary: str  # its path on this machine
    needs: tuple[str, ...]  # names from the needs reader: "ca-certificates", "zoneinfo", ...


class Addition(Record):
    """``--add SRC:DEST``: a file or directory of the program's own, copied into the image."""

    source: str  # on this machine
    dest: str  # absolute path in the image, normalised


class ImageOptions(Record):
    """How to write the image; the defaults are what `gostatic image` does unasked."""

    environ: Mapping[str, str]  # for go and skopeo (credentials), and SOURCE_DATE_EPOCH
    user: str = DEFAULT_USER  # "UID:GID" (or "UID"), as the config's User
    entrypoint: str = DEFAULT_ENTRYPOINT  # where the binary goes in the image
    ca_bundle: str | None = None  # a PEM file instead of certifi's Mozilla bundle
    additions: tuple[Addition, ...] = ()


class PlatformImage(Record):
    """What was written for one platform, in the order the binaries were given."""

    platform: str  # "linux/amd64", "linux/arm/v7"
    manifest: str  # "sha256:..." of the platform's image manifest
    needs: tuple[str, ...]
    files: tuple[str, ...]  # the image's paths, sorted; a directory ends with "/"


class ImageResult(Record):
    output: str  # the destination as given
    digest: str  # the manifest's digest (one platform) or the image index's (several)
    platforms: tuple[PlatformImage, ...]
