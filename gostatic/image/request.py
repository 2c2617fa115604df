"""`gostatic image`'s command line: build's option table and go's flags, plus the image's
own options, parsed into one request before anything is built.

Every error found here is a usage error (exit 2): no option a build would reject, no
``-o`` (the image command builds into a file of its own), a destination in skopeo's
transport syntax, Linux platforms only, a user in numbers, files that exist.
"""

from __future__ import annotations

import os

from gostatic.builder.options import BUILD_OPTIONS, OwnOption, parse_command
from gostatic.errors import UsageError
from gostatic.records import TYPE_CHECKING, Record

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    from gostatic.builder.results import BuildRequest
    from gostatic.image import Destination, ImageOptions

_SMOKE_HELP = (
    "Run the binary inside the image's root filesystem as the image's user before writing"
    " the image; arguments after -- go to it."
)
IMAGE_OWN_OPTIONS: tuple[OwnOption, ...] = (
    OwnOption(
        "--output",
        "output",
        "Where the image goes (required): oci:DIR[:TAG], oci-archive:FILE[:TAG],"
        " docker-archive:FILE[:NAME:TAG], docker://REGISTRY/NAME:TAG or rootfs:DIR.",
        takes_value=True,
        metavar="DEST",
    ),
    OwnOption(
        "--platform",
        "platform",
        "Build for these platforms, one image index (default: the build's GOARCH).",
        takes_value=True,
        metavar="linux/ARCH[,linux/ARCH...]",
    ),
    OwnOption(
        "--ca-bundle",
        "ca_bundle",
        "A PEM file to use as the image's CA bundle instead of certifi's.",
        takes_value=True,
        metavar="FILE",
    ),
    OwnOption(
        "--add",
        "add",
        "Copy a file or directory of the program's own into the image (repeatable).",
        takes_value=True,
        metavar="SRC:DEST",
        repeated=True,
    ),
    OwnOption(
        "--user",
        "user",
        "The user the image runs as: UID[:GID], root or nonroot (default 65532:65532).",
        takes_value=True,
        metavar="UID[:GID]",
    ),
)
# build's options, with --smoke saying where an image's binary runs.
IMAGE_OPTIONS: tuple[OwnOption, ...] = (
    *(o._replace(help=_SMOKE_HELP) if o.field == "smoke" else o for o in BUILD_OPTIONS),
    *IMAGE_OWN_OPTIONS,
)

# GOARCH values a Linux image may name (OCI's architecture names are GOARCH's).
_ARCHITECTURES = frozenset(
    {
        "386", "amd64", "arm", "arm64", "loong64", "mips", "mips64", "mips64le", "mipsle",
        "ppc64", "ppc64le", "riscv64", "s390x",
    }
)  # fmt: skip
_ARM_VARIANTS = {"v5": "5", "v6": "6", "v7": "7"}  # OCI's variant -> GOARM


class TargetPlatform(Record):
    """One platform to build for: as named on the command line (None: the build's own
    GOARCH), and the environment a build for it runs with."""

    name: str | None
    env: tuple[tuple[str, str], ...]

    def label(self, package: str) -> str:
        return package if self.name is None else f"{package} ({self.name})"


class ImageRequest(Record):
    build: BuildRequest  # without --smoke: the image's smoke run is not build's
    destination: Destination
    platforms: tuple[TargetPlatform, ...]
    image: ImageOptions
    smoke: bool = False
    program_args: tuple[str, ...] = ()  # with smoke: the arguments the run gets


def parse_image_command(
    argv: Sequence[str],
    env: Mapping[str, str],
    cwd: str,
    given: Mapping[str, object] | None = None,
) -> ImageRequest:
    """A `gostatic image` command line (after "image") as a request; ``given``: the
    options typer parsed already (see gostatic.builder.options.parse_command)."""
    from gostatic.image import (
        DEFAULT_USER,
        FORMS,
        ImageOptions,
        config_user,
        parse_addition,
        parse_destination,
    )

    request, own = parse_command(argv, env, cwd, IMAGE_OPTIONS, given)
    if request.go_args.output is not None:
        raise UsageError(
            "-o: gostatic image builds into a file of its own; name the image with --output"
        )
    output = own.get("output")
    if not isinstance(output, str) or not output:
        raise UsageError(f"--output DEST is required; DEST is one of {', '.join(FORMS)}")
    destination = parse_destination(output)
    platforms = parse_platforms(own.get("platform"), env)
    added = own.get("add")
    image = ImageOptions(
        environ=env,
        user=config_user(str(own.get("user", DEFAULT_USER))),
        ca_bundle=_readable(own.get("ca_bundle"), cwd),
        additions=tuple(parse_addition(str(a)) for a in _texts(added)),
    )
    options = request.options
    build = request._replace(options=options._replace(smoke=False, program_args=()))
    return ImageRequest(
        build, destination, platforms, image, options.smoke, tuple(options.program_args)
    )


def parse_platforms(given: object, env: Mapping[str, str]) -> tuple[TargetPlatform, ...]:
    """``--platform linux/ARCH[/VARIANT],...``; without it, one platform: the build's own
    GOARCH, for Linux (a GOOS set to anything else is a usage error)."""
    if given is None:
        goos = env.get("GOOS") or "linux"
        if goos != "linux":
            raise UsageError(f"GOOS={goos}: an OCI scratch image runs Linux programs")
        return (TargetPlatform(None, (("GOOS", "linux"),)),)
    names = [name.strip() for name in str(given).split(",")]
    platforms = tuple(_platform(name) for name in names)
    if len(set(names)) != len(names):
        raise UsageError(f"--platform {given}: a platform is named twice")
    return platforms


def _platform(name: str) -> TargetPlatform:
    goos, _, rest = name.partition("/")
    arch, _, variant = rest.partition("/")
    if goos != "linux":
        raise UsageError(
            f"--platform {name}: an OCI scratch image runs Linux programs (linux/ARCH)"
        )
    if arch not in _ARCHITECTURES:
        known = ", ".join(sorted(_ARCHITECTURES))
        raise UsageError(f"--platform {name}: unknown architecture {arch!r} (one of {known})")
    env = [("GOOS", "linux"), ("GOARCH", arch)]
    if variant:
        if arch != "arm" or variant not in _ARM_VARIANTS:
            raise UsageError(f"--platform {name}: a variant is one of linux/arm/v5, v6 or v7")
        env.append(("GOARM", _ARM_VARIANTS[variant]))
    return TargetPlatform(name, tuple(env))


def _texts(given: object) -> tuple[object, ...]:
    """A repeated option's values (a tuple from either parser), none when not given."""
    return given if isinstance(given, tuple) else ()


def _readable(path: object, cwd: str) -> str | None:
    """``--ca-bundle FILE``, checked before anything is built."""
    if path is None:
        return None
    full = os.path.join(cwd, str(path))
    if not os.path.isfile(full) or not os.access(full, os.R_OK):
        raise UsageError(f"--ca-bundle {path}: not a readable file")
    return full
