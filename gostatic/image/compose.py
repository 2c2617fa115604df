"""Write the blobs of an image (one platform) or of an image index (several) into a
layout's blob store: tree, layer, config and manifest for each binary."""

from __future__ import annotations

from gostatic.errors import UsageError
from gostatic.image.blobs import CONFIG, INDEX, MANIFEST, BlobStore, Descriptor
from gostatic.image.documents import config_document, index_document, manifest_document
from gostatic.image.epoch import image_epoch
from gostatic.image.labels import build_info_labels
from gostatic.image.layer import write_layer
from gostatic.image.model import NONROOT_ID, PlatformImage
from gostatic.image.platform import Platform, binary_platform
from gostatic.image.tree import Tree, image_tree
from gostatic.records import TYPE_CHECKING, Record

if TYPE_CHECKING:
    from collections.abc import Sequence

    from gostatic.image.model import ImageOptions, PlatformBinary

_NAMED_USERS = {"root": "0:0", "nonroot": f"{NONROOT_ID}:{NONROOT_ID}"}
_MAX_ID = 2**32 - 2  # (uid_t)-1 means "no change" to the kernel


class Composed(Record):
    top: Descriptor  # the manifest (one platform) or the image index (several)
    platforms: tuple[PlatformImage, ...]
    trees: tuple[Tree, ...]  # in the same order


class Planned(Record):
    """A binary with its platform and tree, checked; nothing written yet."""

    binary: PlatformBinary
    platform: Platform
    tree: Tree


def config_user(text: str) -> str:
    """``--user``: "UID[:GID]" in numbers, or root / nonroot. Numbers, because the image
    holds /etc/passwd only when the program looks users up, and a runtime resolves a
    name through that file before starting the program."""
    if text in _NAMED_USERS:
        return _NAMED_USERS[text]
    uid, colon, gid = text.partition(":")
    ids = (uid, gid) if colon else (uid,)
    if not all(i.isascii() and i.isdigit() and int(i) <= _MAX_ID for i in ids):
        raise UsageError(f"--user {text}: give UID[:GID] as numbers, or root, or nonroot")
    return ":".join(str(int(i)) for i in ids)


def plan(binaries: Sequence[PlatformBinary], options: ImageOptions) -> tuple[Planned, ...]:
    """Every platform's tree, checked, before any blob is written."""
    if not binaries:
        raise UsageError("an image needs at least one binary")
    planned: list[Planned] = []
    for binary in binaries:
        platform = binary_platform(binary.binary)
        if any(p.platform == platform for p in planned):
            raise UsageError(f"two binaries for {platform}: an image index holds one per platform")
        planned.append(Planned(binary, platform, image_tree(binary, options)))
    return tuple(planned)


def compose(planned: Sequence[Planned], options: ImageOptions, store: BlobStore) -> Composed:
    user = config_user(options.user)
    epoch = image_epoch(options.environ)
    manifests = [(_manifest(item, user, epoch, options, store), item.platform) for item in planned]
    top = manifests[0][0] if len(manifests) == 1 else store.put(index_document(manifests), INDEX)
    images = tuple(
        PlatformImage(str(p.platform), m.digest, tuple(sorted(set(p.binary.needs))), p.tree.listed)
        for p, (m, _) in zip(planned, manifests, strict=True)
    )
    return Composed(top, images, tuple(p.tree for p in planned))


def _manifest(
    item: Planned, user: str, epoch: int, options: ImageOptions, store: BlobStore
) -> Descriptor:
    layer = write_layer(item.tree.entries, epoch, store)
    config = config_document(
        item.platform,
        layer,
        user=user,
        entrypoint=item.tree.entrypoint,
        labels=build_info_labels(item.binary.binary, options.environ),
        epoch=epoch,
    )
    return store.put(manifest_document(store.put(config, CONFIG), layer), MANIFEST)
