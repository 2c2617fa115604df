"""Scratch images: the file tree a static Go binary needs at run time, written as an OCI
image (or index), an archive, a push, or a plain directory, the same bytes every time.

`write_image` is the one entry point; `parse_destination` and `parse_addition` read the
command line's ``--output`` and ``--add`` before anything is built, and
`check_destination` what can be checked about the output then.
"""

from __future__ import annotations

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
