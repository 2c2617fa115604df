"""`write_image`: the one entry point. Everything is checked before the first byte is
written (destination, tools, binaries, trees), then the image is composed and put where
DEST says.

``oci:``, ``oci-archive:`` and ``rootfs:`` are written here directly; a docker archive
and a push go through skopeo from a private staging layout. The staging directory is
removed afterwards whatever happens.
"""

from __future__ import annotations

import os
import shutil
import tempfile

from gostatic.atomic import put_in_place
from gostatic.errors import GostaticError, UsageError
from gostatic.image.archive import write_oci_archive
from gostatic.image.blobs import INDEX, BlobStore
from gostatic.image.compose import Composed, Planned, compose, config_user, plan
from gostatic.image.destination import Destination, parse_destination
from gostatic.image.epoch import image_epoch
from gostatic.image.layout import check_layout_target, name_image
from gostatic.image.model import ImageResult
from gostatic.image.rootfs import check_rootfs_target, write_rootfs
from gostatic.image.skopeo import find_skopeo, skopeo_copy
from gostatic.records import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    from gostatic.image.model import ImageOptions, PlatformBinary

_STAGED_TAG = "gostatic"


def check_destination(destination: Destination, platforms: int, environ: Mapping[str, str]) -> None:
    """What can be known about ``destination`` before anything is built: a target that
    cannot take the image, a form that holds one platform given several, skopeo
    missing. The CLI calls this before building; :func:`write_image` again."""
    if platforms > 1 and destination.transport in ("rootfs", "docker-archive"):
        raise UsageError(
            f"--output {destination.text}: holds one platform; for several use oci:, "
            "oci-archive: or docker://"
        )
    if destination.transport == "oci":
        check_layout_target(destination.path)
    elif destination.transport == "rootfs":
        check_rootfs_target(destination.path)
    elif destination.archive and os.path.isdir(destination.path):
        raise UsageError(f"--output {destination.text}: {destination.path} is a directory")
    if destination.transport in ("docker", "docker-archive"):
        find_skopeo(environ, destination.text)


def write_image(
    platforms: Sequence[PlatformBinary], destination: str | Destination, options: ImageOptions
) -> ImageResult:
    """Write one image (one binary) or an image index (one binary per platform) to
    ``destination``, in skopeo's transport syntax (see gostatic.image.destination)."""
    if isinstance(destination, str):
        destination = parse_destination(destination)
    check_destination(destination, len(platforms), options.environ)
    config_user(options.user)
    image_epoch(options.environ)
    planned = plan(platforms, options)
    try:
        return _write(planned, destination, options)
    except OSError as exc:
        # A full disk, a read-only directory, a file that went away since it was checked.
        where = f" ({exc.filename})" if exc.filename else ""
        raise GostaticError(f"--output {destination.text}: {exc.strerror or exc}{where}") from None


def _write(
    planned: Sequence[Planned], destination: Destination, options: ImageOptions
) -> ImageResult:
    if destination.transport == "oci":
        return _write_layout(planned, destination, options)
    staging = tempfile.mkdtemp(prefix="gostatic-image-")
    try:
        layout = os.path.join(staging, "layout")
        composed = compose(planned, options, BlobStore(layout))
        digest = _deliver(destination, layout, composed, options)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return ImageResult(destination.text, digest, composed.platforms)


def _write_layout(
    planned: Sequence[Planned], destination: Destination, options: ImageOptions
) -> ImageResult:
    """Blobs first, then the index that names them; a layout this call created is
    removed again if the write fails, so a failure leaves no half image behind."""
    created = not os.path.lexists(destination.path)
    try:
        composed = compose(planned, options, BlobStore(destination.path))
        name_image(destination.path, composed.top, destination.reference)
    except BaseException:
        if created:
            shutil.rmtree(destination.path, ignore_errors=True)
        raise
    return ImageResult(destination.text, composed.top.digest, composed.platforms)


def _deliver(
    destination: Destination, layout: str, composed: Composed, options: ImageOptions
) -> str:
    """Put the image staged in ``layout`` where ``destination`` says; return the digest
    it is known by."""
    epoch = image_epoch(options.environ)
    if destination.transport == "rootfs":
        write_rootfs(destination.path, composed.trees[0].entries, epoch)
        return composed.top.digest
    if destination.transport == "oci-archive":
        name_image(layout, composed.top, destination.reference)
        write_oci_archive(layout, destination.path, epoch)
        return composed.top.digest
    name_image(layout, composed.top, _STAGED_TAG)
    skopeo = find_skopeo(options.environ, destination.text)
    source = f"oci:{layout}:{_STAGED_TAG}"
    if destination.transport == "docker":
        flags = ["--multi-arch", "all"] if composed.top.media_type == INDEX else []
        return _push(skopeo, flags, source, destination, options.environ)
    # Docker's archive format: skopeo converts the manifest and config to Docker's own
    # (so the archive's manifest has another digest than the OCI image's).
    _write_docker_archive(skopeo, source, destination, options.environ)
    return composed.top.digest


def _write_docker_archive(
    skopeo: str, source: str, destination: Destination, environ: Mapping[str, str]
) -> None:
    """skopeo writes a new file beside the archive, which then replaces it in one step."""
    target = os.path.abspath(destination.path)
    directory, name = os.path.split(target)
    os.makedirs(directory, exist_ok=True)
    scratch = tempfile.mkdtemp(prefix=f".{name}.", suffix=".gostatic-tmp", dir=directory)
    try:
        written = os.path.join(scratch, name)
        reference = f":{destination.reference}" if destination.reference else ""
        skopeo_copy(skopeo, [], source, f"docker-archive:{written}{reference}", environ)
        put_in_place(written, target)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def _push(
    skopeo: str,
    flags: list[str],
    source: str,
    destination: Destination,
    environ: Mapping[str, str],
) -> str:
    """Push the very blobs written (--preserve-digests: fail rather than convert); the
    digest is the one skopeo read back from the registry's answer."""
    with tempfile.TemporaryDirectory(prefix="gostatic-push-") as scratch:
        digest_file = os.path.join(scratch, "digest")
        options = [*flags, "--preserve-digests", "--digestfile", digest_file]
        if destination.on_loopback:
            options.append("--dest-tls-verify=false")
        skopeo_copy(skopeo, options, source, f"docker://{destination.path}", environ)
        with open(digest_file, encoding="utf-8") as pushed:
            return pushed.read().strip()
