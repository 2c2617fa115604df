"""Scratch images: the file tree a static Go binary needs at run time, written as an OCI
image (or index), an archive, a push, or a plain directory, the same bytes every time.

`write_image` is the one entry point; `parse_destination` and `parse_addition` read the
command line's ``--output`` and ``--add`` before anything is built, `config_user` its
``--user``, and `check_destination` what can be known about the output then.

Each name is imported from its module on first use: the writer loads gzip, tarfile and
pyelftools, which a command that only parses its options should not pay for.
"""

from __future__ import annotations

import importlib

from gostatic.records import TYPE_CHECKING

if TYPE_CHECKING:
    from gostatic.image.compose import config_user
    from gostatic.image.destination import FORMS, Destination, parse_destination
    from gostatic.image.model import (
        DEFAULT_ENTRYPOINT,
        DEFAULT_USER,
        Addition,
        ImageOptions,
        ImageResult,
        PlatformBinary,
        PlatformImage,
    )
    from gostatic.image.tree import parse_addition
    from gostatic.image.write import check_destination, write_image

_MODULES = {
    "config_user": "compose",
    "FORMS": "destination",
    "Destination": "destination",
    "parse_destination": "destination",
    "DEFAULT_ENTRYPOINT": "model",
    "DEFAULT_USER": "model",
    "Addition": "model",
    "ImageOptions": "model",
    "ImageResult": "model",
    "PlatformBinary": "model",
    "PlatformImage": "model",
    "parse_addition": "tree",
    "check_destination": "write",
    "write_image": "write",
}

__all__ = [
    "DEFAULT_ENTRYPOINT",
    "DEFAULT_USER",
    "FORMS",
    "Addition",
    "Destination",
    "ImageOptions",
    "ImageResult",
    "PlatformBinary",
    "PlatformImage",
    "check_destination",
    "config_user",
    "parse_addition",
    "parse_destination",
    "write_image",
]


def __getattr__(name: str) -> object:
    module = _MODULES.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{module}"), name)
