"""`gostatic image` for people (lines on stderr, a spinner on a terminal) and scripts (JSON).

Each platform's build is told by build's own text reporter, its lines named after the
package (and the platform, when there are several); the file the build went into is the
image command's own, so it is not shown.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TextIO

from gostatic.builder.pipeline import BuildObserver
from gostatic.builder.results import Attempt, BuildReport, PackageResult
from gostatic.image.build import ImageObserver, ImageOutcome
from gostatic.image.request import TargetPlatform
from gostatic.report import JSON_VERSION
from gostatic.report.build import BuildTextReporter
from gostatic.report.smoke import smoke_to_json, write_smoke_text
from gostatic.smoke import SmokeResult


def image_to_json(outcome: ImageOutcome) -> dict[str, object]:
    """The design's document, for an image that was written; with --smoke each platform
    also has its run."""
    image = outcome.image
    if image is None:
        raise ValueError("no image was written")
    platforms: list[dict[str, object]] = []
    for i, (built, written) in enumerate(zip(outcome.builds, image.platforms, strict=True)):
        entry: dict[str, object] = {
            "platform": written.platform,
            "strategy": built.result.strategy,
            "manifest": written.manifest,
            "needs": list(written.needs),
            "files": list(written.files),
        }
        if outcome.smoke is not None:
            entry["smoke"] = smoke_to_json(outcome.smoke[i])
        platforms.append(entry)
    return {
        "version": JSON_VERSION,
        "output": image.output,
        "digest": image.digest,
        "platforms": platforms,
    }


class ImageTextReporter:
    """Each platform's build as `gostatic build` tells it, each smoke run, and the image."""

    def __init__(self, err: TextIO, quiet: bool, echo_go: bool, several: bool) -> None:
        self.err = err
        self.quiet = quiet
        self.echo_go = echo_go  # -v or -x: go's own chatter is wanted
        self.several = several  # name the platform in each line

    def observer(self, step: ImageObserver) -> ImageObserver:
        """``step``'s progress callback, with this reporter's lines."""
        return step._replace(building=self._building, smoked=self._smoked)

    def _name(self, platform: TargetPlatform, package: str) -> str:
        return platform.label(package) if self.several else package

    def _building(self, platform: TargetPlatform) -> BuildObserver:
        text = BuildTextReporter(self.err, quiet=self.quiet, echo_go=self.echo_go)

        def progress(package: str, attempt: Attempt) -> None:
            text.progress(self._name(platform, package), attempt)

        def built(report: BuildReport) -> None:
            results = tuple(self._shown(platform, r) for r in report.results)
            text.summary(report._replace(results=results))

        return BuildObserver(progress, built)

    def _shown(self, platform: TargetPlatform, result: PackageResult) -> PackageResult:
        # The needs are told with the image that meets them (see written), not as remedies.
        package = self._name(platform, result.package)
        return result._replace(package=package, output=None, needs=())

    def _smoked(self, platform: TargetPlatform, result: PackageResult, run: SmokeResult) -> None:
        write_smoke_text(self._name(platform, result.package), run, self.err, self.quiet)

    def written(self, outcome: ImageOutcome) -> None:
        image = outcome.image
        if image is None or self.quiet:
            return
        self.err.write(f"gostatic: wrote {image.output} ({image.digest})\n")
        for written in image.platforms:
            needs = ", ".join(written.needs) or "none"
            self.err.write(f"gostatic:   {written.platform}: needs {needs}\n")
            self.err.write(f"gostatic:   {written.platform}: files {' '.join(written.files)}\n")
        self.err.flush()


def _silent(what: str) -> None:
    pass


@contextmanager
def image_progress(err: TextIO, wanted: bool) -> Iterator[ImageObserver]:
    """A spinner on ``err`` saying what is being done, where someone is watching: only if
    ``wanted`` (not with --json) and ``err`` is a terminal. Lines written to sys.stderr
    meanwhile are printed above it; it is cleared when done."""
    if not (wanted and err.isatty()):
        yield ImageObserver(step=_silent)
        return
    from rich.console import Console
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    console = Console(file=err)
    if console.is_dumb_terminal:  # TERM=dumb: no cursor movement to redraw with
        yield ImageObserver(step=_silent)
        return
    columns = (SpinnerColumn(), TextColumn("image: {task.description}"), TimeElapsedColumn())
    with Progress(*columns, console=console, transient=True) as spinner:
        task = spinner.add_task("starting", total=None)

        def step(what: str) -> None:
            # Drawn now, not at the next tick: a quick step is still seen (and a loaded
            # machine's timer thread may tick late).
            spinner.update(task, description=what, refresh=True)

        yield ImageObserver(step=step)
