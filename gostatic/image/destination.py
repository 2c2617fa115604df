"""`--output DEST` in skopeo's transport syntax, parsed strictly before anything is built.

As skopeo does, a path ends at the first colon after the transport: ``oci:DIR:TAG``,
``docker-archive:FILE:NAME:TAG``. A registry is named explicitly (``docker://REGISTRY/
NAME:TAG``): skopeo would read ``docker://team/app:1`` as Docker Hub's, and a push that
lands on another registry than meant is worse than an error.
"""

from __future__ import annotations

import ipaddress
import re

from gostatic.errors import UsageError
from gostatic.records import TYPE_CHECKING, Record

if TYPE_CHECKING:
    from typing import Literal, TypeAlias

    Transport: TypeAlias = Literal["oci", "oci-archive", "docker-archive", "docker", "rootfs"]

FORMS = (
    "oci:DIR[:TAG]",
    "oci-archive:FILE[:TAG]",
    "docker-archive:FILE[:NAME:TAG]",
    "docker://REGISTRY/NAME:TAG",
    "rootfs:DIR",
)

# The grammar of distribution's reference package (what docker, podman and skopeo accept).
_PATH_COMPONENT = r"[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*"
_DOMAIN_COMPONENT = r"(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])"
_DOMAIN = rf"(?:{_DOMAIN_COMPONENT}(?:\.{_DOMAIN_COMPONENT})*|\[[0-9A-Fa-f:.]+\])(?::[0-9]+)?"
_TAG = re.compile(r"[\w][\w.-]{0,127}")
_NAME = re.compile(rf"(?:{_DOMAIN}/)?{_PATH_COMPONENT}(?:/{_PATH_COMPONENT})*")
_REGISTRY = re.compile(_DOMAIN)
# The names an OCI layout may give an image (containers/image's rule for oci: references).
_LAYOUT_TAG = re.compile(r"[A-Za-z0-9._-]+(?:[:/][A-Za-z0-9._-]+)*")
_NAME_MAX = 255
_TRANSPORTS: dict[str, Transport] = {
    "oci": "oci",
    "oci-archive": "oci-archive",
    "docker-archive": "docker-archive",
    "docker": "docker",
    "rootfs": "rootfs",
}


class Destination(Record):
    text: str  # as given
    transport: Transport
    path: str  # DIR or FILE; for docker, REGISTRY/NAME:TAG
    reference: str | None  # TAG (oci, oci-archive), NAME:TAG (docker-archive); else None

    @property
    def archive(self) -> bool:
        return self.transport in ("oci-archive", "docker-archive")

    @property
    def registry(self) -> str:
        """The registry host (and port) of a docker:// destination."""
        return self.path.split("/", 1)[0]

    @property
    def on_loopback(self) -> bool:
        """A registry on this machine's loopback, which is reached over plain HTTP."""
        return self.transport == "docker" and _is_loopback(self.registry)


def parse_destination(text: str) -> Destination:
    """``text`` as a :class:`Destination`; a :class:`UsageError` (exit 2) when it is not one
    of :data:`FORMS`."""
    name, colon, rest = text.partition(":")
    transport = _TRANSPORTS.get(name) if colon else None
    if transport is None:
        raise _bad(text, f"unknown transport {name!r}" if colon else "no transport")
    if transport == "docker":
        return _registry_destination(text, rest)
    if transport == "rootfs":
        if not rest:
            raise _bad(text, "no directory")
        return Destination(text, "rootfs", rest, None)
    path, has_reference, reference = rest.partition(":")
    if not path:
        raise _bad(text, "no directory" if transport == "oci" else "no file")
    if not has_reference:
        return Destination(text, transport, path, None)
    if transport == "docker-archive":
        _check_named_tagged(text, reference)
    elif not _LAYOUT_TAG.fullmatch(reference):
        raise _bad(text, f"{reference!r} is not a valid tag")
    return Destination(text, transport, path, reference)


def _registry_destination(text: str, rest: str) -> Destination:
    if not rest.startswith("//"):
        raise _bad(text, "a registry destination starts with docker://")
    reference = rest[2:]
    registry, slash, _ = reference.partition("/")
    if not slash or not _looks_like_registry(registry):
        raise _bad(text, "name the registry, as in docker://docker.io/team/app:1.0")
    if "@" in reference:
        raise _bad(text, "push to a tag, not to a digest")
    _check_named_tagged(text, reference)
    return Destination(text, "docker", reference, None)


def _looks_like_registry(component: str) -> bool:
    # distribution's own rule for telling a registry from a first path component.
    if not _REGISTRY.fullmatch(component):
        return False
    return "." in component or ":" in component or component.startswith(("localhost", "["))


def _check_named_tagged(text: str, reference: str) -> None:
    name, colon, tag = reference.rpartition(":")
    if not colon or "/" in tag:
        raise _bad(text, f"{reference!r} has no tag (NAME:TAG)")
    if not _NAME.fullmatch(name) or len(name) > _NAME_MAX:
        raise _bad(text, f"{name!r} is not a valid image name (lower case, digits, . _ - /)")
    if not _TAG.fullmatch(tag):
        raise _bad(text, f"{tag!r} is not a valid tag")


def _is_loopback(registry: str) -> bool:
    host = registry
    if host.startswith("["):
        host = host[1 : host.find("]")] if "]" in host else host
    else:
        host = host.partition(":")[0]
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _bad(text: str, reason: str) -> UsageError:
    return UsageError(f"--output {text}: {reason}; use one of {', '.join(FORMS)}")
