"""`gostatic image`: build one main package exactly as `gostatic build` does, once per
platform, then write the scratch image of what was built (gostatic.image).

Nothing is written at the destination unless every build gave a static binary and, with
--smoke, every binary ran in its image's root. Each build goes into a file of the image
command's own under the cache's stage directory, named after the command line and the
platform, so that the next identical command finds go's up-to-date binary and the fast
path (`gostatic cache clear` removes these files with the stages).
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

from gostatic.builder.pipeline import BuildObserver, run_build
from gostatic.errors import EXIT_FAILED, EXIT_OK, GostaticError, UsageError
from gostatic.go.flags import GoFlag
from gostatic.incremental import codec
from gostatic.paths import STAGE_DIR, build_cache_dir
from gostatic.records import TYPE_CHECKING, Record

if TYPE_CHECKING:
    from collections.abc import Callable

    from gostatic.builder.results import BuildReport, BuildRequest, PackageResult
    from gostatic.image import ImageResult, PlatformBinary
    from gostatic.image.request import ImageRequest, TargetPlatform
    from gostatic.smoke import SmokeResult

_IMAGE_BUILDS = "images"  # under the stage directory: no stage has that name
_BINARY = "app"


def _no_step(what: str) -> None:
    pass


def _no_smoke(platform: TargetPlatform, result: PackageResult, run: SmokeResult) -> None:
    pass


def _plain_build(platform: TargetPlatform) -> BuildObserver:
    return BuildObserver()


class ImageObserver(Record):
    """Who hears of an image command as it goes; each callback does nothing unless given."""

    step: Callable[[str], None] = _no_step  # what is being done now, in a few words
    building: Callable[[TargetPlatform], BuildObserver] = _plain_build  # one per platform
    smoked: Callable[[TargetPlatform, PackageResult, SmokeResult], None] = _no_smoke


class PlatformBuild(Record):
    platform: TargetPlatform
    report: BuildReport
    binary: str  # where the build put it

    @property
    def result(self) -> PackageResult:
        return self.report.results[0]


class ImageOutcome(Record):
    builds: tuple[PlatformBuild, ...]  # as far as they went: a failed one is the last
    exit_status: int
    image: ImageResult | None = None  # None: nothing was written
    smoke: tuple[SmokeResult, ...] | None = None  # with --smoke, one per build


def run_image(request: ImageRequest, observer: ImageObserver | None = None) -> ImageOutcome:
    """Build for each platform, smoke-test if asked, write the image. Raises for errors
    that stop the command (usage, go missing, a destination that cannot be written)."""
    from gostatic.image import check_destination

    observer = observer if observer is not None else ImageObserver()
    check_destination(request.destination, len(request.platforms), request.image.environ)
    observer.step("listing the package")
    _check_one_main_package(request)
    scratch: list[str] = []  # build directories made outside an unwritable cache
    try:
        return _build_and_write(request, observer, scratch)
    finally:
        for directory in scratch:
            shutil.rmtree(directory, ignore_errors=True)


def _build_and_write(
    request: ImageRequest, observer: ImageObserver, scratch: list[str]
) -> ImageOutcome:
    builds: list[PlatformBuild] = []
    for platform in request.platforms:
        observer.step(_doing("building", platform))
        built = _build(request, platform, observer.building(platform), scratch)
        builds.append(built)
        if built.report.exit_status != EXIT_OK:
            return ImageOutcome(tuple(builds), built.report.exit_status)
    binaries = [_platform_binary(b) for b in builds]
    runs = _smoke(request, builds, binaries, observer) if request.smoke else None
    if runs is not None and any(run.failed for run in runs):
        return ImageOutcome(tuple(builds), EXIT_FAILED, None, runs)
    from gostatic.image import write_image

    observer.step(f"writing {request.destination.text}")
    image = write_image(binaries, request.destination, request.image)
    return ImageOutcome(tuple(builds), EXIT_OK, image, runs)


def _check_one_main_package(request: ImageRequest) -> None:
    """The command line names exactly one main package (go list, as the build will see it)."""
    from gostatic.go.packages import load_packages

    build = request.build
    env = {**build.env, **dict(request.platforms[0].env)}
    graph = load_packages(build.go_args, env, Path(build.cwd), deps=False)
    if len(graph.named) != 1:
        paths = [p.import_path for p in graph.named]
        more = f" and {len(paths) - 3} more" if len(paths) > 3 else ""
        named = ", ".join(paths[:3]) + more if paths else "no package"
        raise UsageError(f"an image runs one program; the arguments name {named}")
    [package] = graph.named
    if package.error is None and package.name != "main":
        raise UsageError(f"{package.import_path} is not a main package (package {package.name})")


def _build(
    request: ImageRequest, platform: TargetPlatform, observer: BuildObserver, scratch: list[str]
) -> PlatformBuild:
    """One platform's `gostatic build`, into the image command's own output file (or, when
    the cache cannot be written, into a temporary one, added to ``scratch``)."""
    build = request.build
    output = _output_path(build, platform)
    try:
        os.makedirs(os.path.dirname(output), exist_ok=True)
    except OSError:
        scratch.append(tempfile.mkdtemp(prefix="gostatic-image-build-"))
        output = os.path.join(scratch[-1], _BINARY)
    args = build.go_args
    platform_request = build._replace(
        go_args=args._replace(flags=(*args.flags, GoFlag("o", output))),
        env={**build.env, **dict(platform.env)},
    )
    report = run_build(platform_request, observer).report
    if report.exit_status == EXIT_OK and len(report.results) != 1:
        count = len(report.results)
        raise GostaticError(f"the build gave {count} programs; an image runs one")
    return PlatformBuild(platform, report, output)


def _output_path(build: BuildRequest, platform: TargetPlatform) -> str:
    """A stable file per command line, directory and platform (see the module's doc)."""
    options = build.options
    root = build_cache_dir(build.env, build.cwd, options.cache_dir)
    env = {**build.env, **dict(platform.env)}
    target = sorted((k, v) for k, v in env.items() if k.startswith(("GO", "CGO_")))
    key = "\n".join(
        [
            os.path.realpath(build.cwd),
            *(f"{k}={v}" for k, v in target),
            *(f.render() for f in build.go_args.flags),
            "--",
            *build.go_args.packages,
        ]
    )
    return os.path.join(root, STAGE_DIR, _IMAGE_BUILDS, codec.digest(key), _BINARY)


def _doing(what: str, platform: TargetPlatform) -> str:
    return what if platform.name is None else f"{what} {platform.name}"


def _platform_binary(built: PlatformBuild) -> PlatformBinary:
    from gostatic.image import PlatformBinary

    return PlatformBinary(built.binary, built.result.needs)


def _smoke(
    request: ImageRequest,
    builds: list[PlatformBuild],
    binaries: list[PlatformBinary],
    observer: ImageObserver,
) -> tuple[SmokeResult, ...]:
    """Run each binary in its own image's root filesystem, as the image's user."""
    from gostatic.image import write_image
    from gostatic.smoke import run_in_root

    runs = []
    for built, binary in zip(builds, binaries, strict=True):
        observer.step(_doing("smoke test", built.platform))
        scratch = tempfile.mkdtemp(prefix="gostatic-image-root-")
        try:
            root = os.path.join(scratch, "root")
            write_image([binary], f"rootfs:{root}", request.image)
            image = request.image
            run = run_in_root(
                Path(root), image.entrypoint, image.user, request.program_args, image.environ
            )
        finally:
            shutil.rmtree(scratch, ignore_errors=True)
        observer.smoked(built.platform, built.result, run)
        runs.append(run)
    return tuple(runs)
