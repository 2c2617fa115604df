"""The project file, ``gostatic.toml``: what a team commits about its packages' strategies.

    ladder = ["netgo", "cgo-off"]          # try only these, in this order
    [pin]
    "example.com/app/cmd/server" = "netgo"   # build this package with this strategy only

It is found by walking up from the build directory to the module root (the directory
holding go.mod), read on every build, and written only by ``gostatic build --pin``.
Strategy names are checked against the ladder's, never turned into flags, and unknown
keys are errors: a misspelt ``ladder`` silently ignored would build the wrong way.
"""

from __future__ import annotations

from collections.abc import Mapping
from contextlib import ExitStack, suppress
from pathlib import Path

from gostatic.atomic import write_atomic
from gostatic.errors import GostaticError, UsageError
from gostatic.locks import holding
from gostatic.records import Record
from gostatic.spelling import did_you_mean
from gostatic.strategies import LADDER, NAMES, Strategy, is_strategy_name, strategy_named

PROJECT_FILE = "gostatic.toml"
_KEYS = ("ladder", "pin")
# A project file is a ladder and a pin per package: a few KiB. Anything past this is not
# one, and reading it whole would cost time and memory in proportion (tomllib).
MAX_PROJECT_BYTES = 1 << 20
_NEW_FILE_MODE = 0o644  # a file meant to be committed, not a private one
_NEW_FILE_COMMENT = "gostatic: `ladder` (strategies to try, in order), `pin` (one per package)"


class Project(Record):
    path: Path  # the file, or where `--pin` would create it
    exists: bool
    ladder: tuple[str, ...] | None = None
    pins: tuple[tuple[str, str], ...] = ()

    def pin_for(self, package: str) -> str | None:
        return dict(self.pins).get(package)

    @property
    def strategies(self) -> tuple[Strategy, ...]:
        """The strategies a build tries, in order: the file's ladder, else the standard one."""
        return tuple(strategy_named(n) for n in self.ladder) if self.ladder else LADDER


def locate_project_file(start: Path) -> tuple[Path, bool]:
    """The nearest gostatic.toml from ``start`` up to the module root, and whether it exists.

    Outside a module only ``start`` is looked at: a stray file higher up is not the
    project's. When there is none, the path is where one belongs (the module root).
    """
    dirs: list[Path] = []
    for directory in (start, *start.parents):
        dirs.append(directory)
        if (directory / "go.mod").is_file():
            break
    else:
        dirs = [start]
    for directory in dirs:
        candidate = directory / PROJECT_FILE
        if candidate.is_file():
            return candidate, True
    return dirs[-1] / PROJECT_FILE, False


def load_project(start: Path) -> Project:
    path, exists = locate_project_file(start)
    if not exists:
        return Project(path, exists=False)
    ladder, pins = parse_project(_read(path), path)
    return Project(path, True, ladder, pins)


def _read(path: Path) -> str:
    from gostatic import tomlcompat

    try:
        data = tomlcompat.read_at_most(path, MAX_PROJECT_BYTES)
    except OSError as exc:
        raise UsageError(f"{path}: cannot read: {exc.strerror or exc}") from None
    oversize = tomlcompat.too_big(data, MAX_PROJECT_BYTES)
    if oversize:
        raise UsageError(f"{path}: {oversize}")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise UsageError(f"{path}: not UTF-8 text") from None


def parse_project(
    text: str, path: Path
) -> tuple[tuple[str, ...] | None, tuple[tuple[str, str], ...]]:
    """(ladder, pins) from the file's text; UsageError with a hint for anything else."""
    from gostatic import tomlcompat  # only when there is a file (cost: gostatic.records)

    try:
        doc = tomlcompat.loads(text)
    except tomlcompat.TomlError as exc:
        raise UsageError(f"{path}: {exc}") from None
    for key in doc:
        if key not in _KEYS:
            raise UsageError(
                f"{path}: unknown key {key!r}{did_you_mean(key, _KEYS)} "
                f"(known keys: {', '.join(_KEYS)})"
            )
    return _ladder(doc.get("ladder"), path), _pins(doc.get("pin", {}), path)


def _strategy(value: object, where: str, path: Path) -> str:
    if not isinstance(value, str):
        raise UsageError(f"{path}: {where} must be a strategy name (a string)")
    if not is_strategy_name(value):
        raise UsageError(
            f"{path}: {where}: unknown strategy {value!r}{did_you_mean(value, NAMES)} "
            f"(strategies: {', '.join(NAMES)})"
        )
    return value


def _ladder(value: object, path: Path) -> tuple[str, ...] | None:
    if value is None:
        return None
    if not isinstance(value, list) or not value:
        raise UsageError(f"{path}: ladder must be a non-empty list of strategy names")
    names = tuple(_strategy(v, "ladder", path) for v in value)
    if len(set(names)) != len(names):
        raise UsageError(f"{path}: ladder names a strategy twice")
    return names


def _pins(value: object, path: Path) -> tuple[tuple[str, str], ...]:
    if not isinstance(value, dict):
        raise UsageError(f"{path}: pin must be a table of package = strategy")
    return tuple(
        (package, _strategy(name, f"pin {package!r}", path)) for package, name in value.items()
    )


def write_pins(project: Project, pins: Mapping[str, str], lock_path: Path | None) -> bool:
    """Pin each package to its strategy in the project file; False if it said so already.

    tomlkit edits the document in place, so the user's comments, order and other
    settings survive (tomli-w would drop every comment). ``lock_path`` (in the cache
    directory, to keep lock files out of the repository) serialises concurrent
    ``--pin`` builds; without a usable one the file is still replaced atomically.
    """
    with ExitStack() as held:
        if lock_path is not None:
            with suppress(OSError):  # no lock to be had: the file is still replaced atomically
                held.enter_context(holding(lock_path))
        return _write_pins(project.path, pins)


def _write_pins(path: Path, pins: Mapping[str, str]) -> bool:
    import tomlkit
    from tomlkit.exceptions import TOMLKitError

    text = _read(path) if path.is_file() else ""
    try:
        doc = tomlkit.parse(text)
    except TOMLKitError as exc:
        raise UsageError(f"{path}: not valid TOML: {exc}") from None
    if not text:
        doc.add(tomlkit.comment(_NEW_FILE_COMMENT))
    table = doc.get("pin")
    if table is None:
        table = tomlkit.table()
        doc.add("pin", table)
    elif not isinstance(table, dict):
        raise UsageError(f"{path}: pin must be a table of package = strategy")
    changed = False
    for package, strategy in sorted(pins.items()):
        if table.get(package) != strategy:
            table[package] = strategy
            changed = True
    if not changed:
        return False
    new_text = tomlkit.dumps(doc)
    parse_project(new_text, path)  # never write a file the next build would reject
    mode = path.stat().st_mode & 0o7777 if path.is_file() else _NEW_FILE_MODE
    try:
        write_atomic(path, new_text.encode("utf-8"), mode=mode)
    except OSError as exc:
        raise GostaticError(f"{path}: cannot write: {exc.strerror or exc}") from None
    return True
