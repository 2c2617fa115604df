"""The one time an image carries: in its files, its config and its archives."""

from __future__ import annotations

import datetime

from gostatic.errors import UsageError
from gostatic.records import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Mapping

# Without SOURCE_DATE_EPOCH, the start of Unix time: an image written today and one
# written next year from the same binary are the same image.
DEFAULT_EPOCH = 0
_MAX_EPOCH = 8**11 - 1  # the largest a plain tar header holds


def image_epoch(environ: Mapping[str, str]) -> int:
    """SOURCE_DATE_EPOCH (reproducible-builds.org's convention) when set, else 0."""
    text = environ.get("SOURCE_DATE_EPOCH", "")
    if not text:
        return DEFAULT_EPOCH
    if not (text.isascii() and text.isdigit()) or int(text) > _MAX_EPOCH:
        raise UsageError(f"SOURCE_DATE_EPOCH={text!r}: not a count of seconds since 1970")
    return int(text)


def rfc3339(epoch: int) -> str:
    moment = datetime.datetime.fromtimestamp(epoch, tz=datetime.timezone.utc)
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")
