"""The JSON documents of an OCI image: config, manifest, image index.

Each is written in one canonical byte form (gostatic.image.blobs.canonical_json), so
the same inputs give the same digests.
"""

from __future__ import annotations

from gostatic.image.blobs import INDEX, MANIFEST, canonical_json
from gostatic.image.epoch import rfc3339
from gostatic.records import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    from gostatic.image.blobs import Descriptor
    from gostatic.image.layer import Layer
    from gostatic.image.platform import Platform

REF_NAME = "org.opencontainers.image.ref.name"


def config_document(
    platform: Platform,
    layer: Layer,
    *,
    user: str,
    entrypoint: str,
    labels: Mapping[str, str],
    epoch: int,
) -> bytes:
    """The image config: how a runtime starts the container, and the layer's diff_id."""
    created = rfc3339(epoch)
    run: dict[str, object] = {"User": user, "Entrypoint": [entrypoint], "WorkingDir": "/"}
    if labels:
        run["Labels"] = dict(labels)
    return canonical_json(
        {
            **platform.as_json(),
            "created": created,
            "config": run,
            "rootfs": {"type": "layers", "diff_ids": [layer.diff_id]},
            "history": [{"created": created, "created_by": "gostatic image"}],
        }
    )


def manifest_document(config: Descriptor, layer: Layer) -> bytes:
    return canonical_json(
        {
            "schemaVersion": 2,
            "mediaType": MANIFEST,
            "config": config.as_json(),
            "layers": [layer.descriptor.as_json()],
        }
    )


def index_document(manifests: Sequence[tuple[Descriptor, Platform]]) -> bytes:
    """An image index with one manifest per platform, in the order given."""
    return canonical_json(
        {
            "schemaVersion": 2,
            "mediaType": INDEX,
            "manifests": [
                {**manifest.as_json(), "platform": platform.as_json()}
                for manifest, platform in manifests
            ],
        }
    )
