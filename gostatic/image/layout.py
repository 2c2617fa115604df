"""An OCI image layout directory (``oci:DIR[:TAG]``): ``oci-layout``, ``index.json`` and
``blobs/``.

A layout may hold several images, each named by its tag, as skopeo keeps it: writing one
adds its blobs (content-addressed, so shared ones are kept) and then replaces index.json
in one step, dropping only the entry that had the same tag. A reader sees the old index
or the new one, never a layout naming a blob that is not there yet.
"""

from __future__ import annotations

import json
import os

from gostatic.atomic import write_atomic
from gostatic.errors import GostaticError, UsageError
from gostatic.image.blobs import INDEX, canonical_json
from gostatic.image.documents import REF_NAME
from gostatic.records import TYPE_CHECKING

if TYPE_CHECKING:
    from gostatic.image.blobs import Descriptor

LAYOUT_FILE = "oci-layout"
INDEX_FILE = "index.json"
_LAYOUT = canonical_json({"imageLayoutVersion": "1.0.0"})
_FILE_MODE = 0o644


def check_layout_target(directory: str) -> None:
    """``directory`` may receive an image: missing, empty, or already an OCI layout."""
    if not os.path.lexists(directory):
        return
    if not os.path.isdir(directory):
        raise UsageError(f"oci:{directory}: exists and is not a directory")
    if os.listdir(directory) and not os.path.isfile(os.path.join(directory, LAYOUT_FILE)):
        raise UsageError(f"oci:{directory}: not empty and not an OCI image layout")


def name_image(directory: str, image: Descriptor, tag: str | None) -> None:
    """Make ``image`` (its blobs already in ``directory``) the one named ``tag``."""
    layout_file = os.path.join(directory, LAYOUT_FILE)
    if not os.path.isfile(layout_file):
        write_atomic(layout_file, _LAYOUT, _FILE_MODE)
    index_file = os.path.join(directory, INDEX_FILE)
    kept = [entry for entry in _existing_entries(index_file) if _tag_of(entry) != tag]
    shown: dict[str, object] = image.as_json()
    if tag is not None:
        shown["annotations"] = {REF_NAME: tag}
    index = {
        "schemaVersion": 2,
        "mediaType": INDEX,
        "manifests": [*kept, shown],
    }
    write_atomic(index_file, canonical_json(index), _FILE_MODE)


def _existing_entries(index_file: str) -> list[dict[str, object]]:
    try:
        with open(index_file, "rb") as existing:
            document = json.load(existing)
    except FileNotFoundError:
        return []
    except (OSError, ValueError) as exc:
        raise GostaticError(f"{index_file}: cannot be read as an OCI index ({exc})") from None
    manifests = document.get("manifests") if isinstance(document, dict) else None
    if not isinstance(manifests, list) or not all(isinstance(m, dict) for m in manifests):
        raise GostaticError(f"{index_file}: not an OCI index (no list of manifests)")
    return manifests


def _tag_of(entry: dict[str, object]) -> str | None:
    annotations = entry.get("annotations")
    if not isinstance(annotations, dict):
        return None
    tag = annotations.get(REF_NAME)
    return tag if isinstance(tag, str) else None
