"""What may stand at a build's output: a program gostatic proved static, nothing else.

`go build -o FILE ./lib` writes the Go archive of a package that is not main to FILE (and
`go build -o FILE` of a pattern that matches no program fails in its own way); gostatic
installs only programs it has read, so such a command line is refused before anything is
built, whatever go would do with it.
"""

from __future__ import annotations

import os

from gostatic.errors import UsageError
from gostatic.go.flags import user_value
from gostatic.records import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Sequence

    from gostatic.go.flags import GoBuildArgs
    from gostatic.go.packages import ListedPackage


def check_output_gets_a_program(
    named: Sequence[ListedPackage],
    args: GoBuildArgs,
    goflags: str,
    base: str | os.PathLike[str],
) -> None:
    """Refuse (:class:`UsageError`) an output (-o, from the command line or else GOFLAGS)
    that names a file when none of the ``named`` packages (go list's) is main. A
    directory, or /dev/null (go writes nothing there), takes any packages; a package go
    could not load (no name) is left to go, whose message says why."""
    output = user_value(args, goflags, "o")
    if output is None or output == os.devnull:
        return
    if output.endswith(("/", os.sep)) or os.path.isdir(os.path.join(base, output)):
        return
    if any(p.name == "main" or not p.name for p in named):
        return
    if not named:
        what = "the command line names no package"
    elif len(named) == 1:
        what = f"{named[0].import_path} is not a main package"
    else:
        what = "none of the packages named is main"
    raise UsageError(
        f"-o {output}: {what}; gostatic writes only programs it proved static"
        " there (nothing written)"
    )
