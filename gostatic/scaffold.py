"""`gostatic init`: copy the shipped templates (Makefile include, Dockerfile, CI workflow)
into a Go module, never replacing a file the user has without being told to.

The templates are package data (gostatic/templates, a symlink to the top-level templates/
in the source tree), read with importlib.resources so that an installed wheel serves them
as well as a checkout does.
"""

from __future__ import annotations

import os
from importlib.resources import files
from pathlib import Path

from gostatic import __version__
from gostatic.atomic import write_atomic
from gostatic.errors import EXIT_FAILED, EXIT_OK, GostaticError, UsageError
from gostatic.records import TYPE_CHECKING, Record

if TYPE_CHECKING:
    from typing import Literal, TypeAlias

    Action: TypeAlias = Literal["wrote", "replaced", "kept", "unchanged", "failed"]


class Template(Record):
    source: str  # file name under gostatic/templates
    dest: str  # where it goes, relative to the module directory
    ci: bool = False  # written only when asked for (--ci): a workflow starts running on push


TEMPLATES: tuple[Template, ...] = (
    Template("gostatic.mk", "gostatic.mk"),
    Template("Dockerfile.scratch", "Dockerfile.scratch"),
    Template("github-actions.yml", ".github/workflows/gostatic.yml", ci=True),
)


class InitRequest(Record):
    cwd: Path
    directory: Path | None = None  # None: the module holding cwd (nearest go.mod upwards)
    force: bool = False
    ci: bool = False


class InitFile(Record):
    path: Path
    action: Action
    error: str | None = None  # why, when action is "failed"


class InitReport(Record):
    directory: Path
    files: tuple[InitFile, ...]

    @property
    def exit_status(self) -> int:
        return EXIT_FAILED if any(f.action == "failed" for f in self.files) else EXIT_OK


# gostatic is not on PyPI: a template that installed "gostatic" by name would install
# whatever someone registers under that name. The templates install the wheel of the
# version that wrote them, which this placeholder names.
VERSION_PLACEHOLDER = b"{{version}}"


def template_bytes(name: str) -> bytes:
    """The shipped template called ``name``, as installed with this gostatic, with the
    placeholder replaced by this gostatic's version."""
    resource = files("gostatic") / "templates" / name
    try:
        return resource.read_bytes().replace(VERSION_PLACEHOLDER, __version__.encode())
    except OSError:
        raise GostaticError(
            f"template {name} is missing from this gostatic installation; reinstall gostatic"
        ) from None


def module_dir(cwd: Path) -> Path:
    """The nearest directory at or above ``cwd`` holding a go.mod."""
    for candidate in (cwd, *cwd.parents):
        if (candidate / "go.mod").is_file():
            return candidate
    raise UsageError(
        f"no go.mod in {cwd} or any parent: run gostatic init inside a Go module, or give --dir"
    )


def place_templates(request: InitRequest) -> InitReport:
    """Place each template; a file that cannot be written is reported, not fatal, so the
    report still tells what happened to the others."""
    if request.directory is None:
        directory = module_dir(request.cwd)
    else:
        directory = request.cwd / request.directory
        if not directory.is_dir():
            raise UsageError(f"--dir {request.directory}: not a directory")
    mode = _new_file_mode()
    placed = []
    for template in TEMPLATES:
        if template.ci and not request.ci:
            continue
        path = directory / template.dest
        data = template_bytes(template.source)
        try:
            placed.append(InitFile(path, _place(path, data, mode, request.force)))
        except _CannotWrite as exc:
            placed.append(InitFile(path, "failed", str(exc)))
    return InitReport(directory, tuple(placed))


class _CannotWrite(Exception):
    pass


def _new_file_mode() -> int:
    """The mode a new file gets from an editor: 0o666 less the umask. (The umask can only
    be read by setting it; gostatic init starts no thread that could create a file meanwhile.)"""
    umask = os.umask(0o022)
    os.umask(umask)
    return 0o666 & ~umask


def _place(path: Path, data: bytes, mode: int, force: bool) -> Action:
    if path.is_dir():
        raise _CannotWrite("a directory is in the way")
    if path.is_symlink() or path.exists():
        if _same_content(path, data):
            return "unchanged"
        if not force:
            return "kept"
        _write(path, data, mode, replace=True)  # a symlink there is replaced, not followed
        return "replaced"
    # A file that appeared while this one was written is still never overwritten.
    return "wrote" if _write(path, data, mode, replace=False) else "kept"


def _same_content(path: Path, data: bytes) -> bool:
    try:
        return path.read_bytes() == data
    except OSError:
        return False  # a dangling symlink or an unreadable file is not the template


def _write(path: Path, data: bytes, mode: int, *, replace: bool) -> bool:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except (FileExistsError, NotADirectoryError):
        raise _CannotWrite(f"a file is in the way of the directory {path.parent}") from None
    except OSError as exc:
        raise _CannotWrite(f"cannot create {path.parent}: {exc.strerror or exc}") from None
    try:
        return write_atomic(path, data, mode, replace=replace)
    except OSError as exc:
        raise _CannotWrite(exc.strerror or str(exc)) from None
