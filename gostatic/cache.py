"""The strategy cache: which strategy gave a static binary, per package and toolchain.

One TOML file, ``strategies.toml``, beside the stage directory. Reads take no lock:
every write replaces the whole file atomically, so a reader sees an old file or a new
one, never a part. A write locks, re-reads, merges its own changes in and replaces the
file, so concurrent builds (``make -j``) each keep what the others recorded.

The file is untrusted: a strategy is only ever looked up by name, and an entry that is
not exactly of the expected shape is ignored with a warning. A file that is not TOML at
all is set aside (renamed, not deleted) so the next build starts afresh.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterable, Mapping
from pathlib import Path

from gostatic.atomic import write_atomic
from gostatic.go.env import GoEnv
from gostatic.go.flags import GoBuildArgs, user_ldflags, user_tags, user_value
from gostatic.go.packages import COMMAND_LINE_ARGUMENTS, ListedPackage
from gostatic.locks import holding
from gostatic.paths import CACHE_FILE
from gostatic.records import Record
from gostatic.strategies import is_strategy_name

FORMAT_VERSION = 2
# Version 1 keys did not hold the user's -ldflags, so an entry found for a build with
# -linkmode=external also steered plain builds: its entries are dropped, not trusted.
_OLD_VERSIONS = frozenset({1})
# About 19,000 entries, far more than builds record in practice. Past it the file is set
# aside like a corrupt one: tomllib needs about 0.2-0.8 s and 9 MB of memory per MiB, and
# a file of hundreds of MB would stall (or kill) every build.
MAX_CACHE_BYTES = 4 << 20
_MAX_ENTRY_WARNINGS = 3

_HEADER = (
    "# gostatic's strategy cache: the strategy that gave a static binary, for each package\n"
    "# and toolchain. Written by gostatic build; safe to delete (`gostatic cache clear`).\n\n"
)


class CacheKey(Record):
    """Everything that decides which strategy gives a static binary (ordered as a tuple)."""

    package: str
    module: str
    goos: str
    goarch: str
    go: str
    cc: str
    cgo: bool
    tags: tuple[str, ...]
    buildmode: str
    # The user's -ldflags values, GOFLAGS' first, in order: -linkmode or -extldflags decide
    # which strategies can link.
    ldflags: tuple[str, ...]


class CacheEntry(Record):
    key: CacheKey
    strategy: str
    found: str  # when, in UTC, ISO 8601


class CorruptCache(Exception):
    """The file is not a strategy cache at all (not UTF-8, not TOML, not our format)."""


def cache_key(pkg: ListedPackage, goenv: GoEnv, args: GoBuildArgs) -> CacheKey | None:
    """The key of a package's entry; None for packages named by files (no stable name)."""
    if pkg.import_path == COMMAND_LINE_ARGUMENTS or not pkg.import_path:
        return None
    return CacheKey(
        package=pkg.import_path,
        module=pkg.module or "",
        goos=goenv.goos,
        goarch=goenv.goarch,
        go=goenv.version,
        cc=goenv.cc,
        cgo=goenv.cgo_enabled,
        tags=tuple(sorted(set(user_tags(args, goenv.goflags)))),  # go reads tags as a set
        buildmode=user_value(args, goenv.goflags, "buildmode") or "default",
        ldflags=user_ldflags(args, goenv.goflags),
    )


def utc_now() -> str:
    # time is built in; datetime (~1 ms) is left to tomli-w, which only a write imports.
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


# --- the file format ------------------------------------------------------------------------

_STR_FIELDS = ("package", "module", "goos", "goarch", "go", "cc", "buildmode")


def _entry_from_toml(raw: object) -> CacheEntry | str:
    """An entry, or why it is malformed."""
    if not isinstance(raw, dict):
        return "not a table"
    for name in (*_STR_FIELDS, "strategy", "found"):
        if not isinstance(raw.get(name), str):
            return f"{name} is missing or not a string"
    if not isinstance(raw.get("cgo"), bool):
        return "cgo is missing or not true/false"
    tags = raw.get("tags")
    if not isinstance(tags, list) or not all(isinstance(t, str) for t in tags):
        return "tags is missing or not a list of strings"
    ldflags = raw.get("ldflags")
    if not isinstance(ldflags, list) or not all(isinstance(v, str) for v in ldflags):
        return "ldflags is missing or not a list of strings"
    strategy = raw["strategy"]
    if not is_strategy_name(strategy):
        return f"unknown strategy {_short(strategy)}"
    key = CacheKey(
        package=raw["package"],
        module=raw["module"],
        goos=raw["goos"],
        goarch=raw["goarch"],
        go=raw["go"],
        cc=raw["cc"],
        cgo=raw["cgo"],
        tags=tuple(sorted(set(tags))),
        buildmode=raw["buildmode"],
        ldflags=tuple(ldflags),
    )
    return CacheEntry(key, strategy, raw["found"])


def _short(value: str, limit: int = 40) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 4] + "...'"


def parse_cache(data: bytes) -> tuple[dict[CacheKey, CacheEntry], list[str]]:
    """The entries of a cache file and a warning per entry ignored; CorruptCache if the
    file as a whole cannot be read (too big, not UTF-8, not TOML, not our format)."""
    from gostatic import tomlcompat  # only when there is a file (cost: gostatic.records)

    oversize = tomlcompat.too_big(data, MAX_CACHE_BYTES)
    if oversize:
        raise CorruptCache(oversize)
    try:
        doc = tomlcompat.loads(data.decode("utf-8"))
    except UnicodeDecodeError:
        raise CorruptCache("not UTF-8 text") from None
    except tomlcompat.TomlError as exc:
        raise CorruptCache(str(exc)) from None
    if doc.get("version") in _OLD_VERSIONS:
        return {}, []  # rewritten in the current format by the next build that learns
    if doc.get("version") != FORMAT_VERSION:
        raise CorruptCache(f"not a version {FORMAT_VERSION} strategy cache")
    raw_entries = doc.get("entry", [])
    if not isinstance(raw_entries, list):
        raise CorruptCache("'entry' is not an array of tables")
    entries: dict[CacheKey, CacheEntry] = {}
    problems: list[str] = []
    for number, raw in enumerate(raw_entries, 1):
        parsed = _entry_from_toml(raw)
        if isinstance(parsed, CacheEntry):
            entries[parsed.key] = parsed
        else:
            problems.append(f"entry {number}: {parsed}")
    return entries, _summarise(problems)


def _summarise(problems: list[str]) -> list[str]:
    lines = [f"strategy cache {p}; ignored" for p in problems[:_MAX_ENTRY_WARNINGS]]
    if len(problems) > _MAX_ENTRY_WARNINGS:
        lines.append(f"strategy cache: {len(problems) - _MAX_ENTRY_WARNINGS} more entries ignored")
    return lines


def entry_to_toml(entry: CacheEntry) -> dict[str, object]:
    """One entry as a TOML table (and JSON object): what was found first, then for what."""
    k = entry.key
    return {
        "package": k.package,
        "strategy": entry.strategy,
        "module": k.module,
        "goos": k.goos,
        "goarch": k.goarch,
        "go": k.go,
        "cc": k.cc,
        "cgo": k.cgo,
        "tags": list(k.tags),
        "buildmode": k.buildmode,
        "ldflags": list(k.ldflags),
        "found": entry.found,
    }


def render_cache(entries: Iterable[CacheEntry]) -> str:
    import tomli_w  # only a build that learns something new writes

    ordered = sorted(entries, key=lambda e: e.key)
    doc = {"version": FORMAT_VERSION, "entry": [entry_to_toml(e) for e in ordered]}
    return _HEADER + tomli_w.dumps(doc, indent=2)


def merge(
    entries: Mapping[CacheKey, CacheEntry], changes: Mapping[CacheKey, CacheEntry | None]
) -> dict[CacheKey, CacheEntry]:
    """``entries`` with ``changes`` applied: an entry replaces, None removes."""
    merged = dict(entries)
    for key, change in changes.items():
        if change is None:
            merged.pop(key, None)
        else:
            merged[key] = change
    return merged


# --- the file on disk -----------------------------------------------------------------------


class StrategyCache:
    """The cache file of one cache directory, as one build (or one cache command) sees it."""

    def __init__(self, directory: Path) -> None:
        self.path = directory / CACHE_FILE
        self.lock_path = directory / (CACHE_FILE + ".lock")
        self.entries: dict[CacheKey, CacheEntry] = {}
        self.changes: dict[CacheKey, CacheEntry | None] = {}
        self.warnings: list[str] = []

    # reading

    def load(self, set_aside: bool = True) -> None:
        """Read the file; a corrupt one is set aside (renamed) unless ``set_aside`` is False."""
        data = self._read()
        if data is None:
            return
        try:
            self.entries, problems = parse_cache(data)
        except CorruptCache as exc:
            if not set_aside:
                self.warnings.append(
                    f"strategy cache {self.path} is unreadable ({exc}); "
                    "the next build sets it aside"
                )
                return
            self._recover(exc)
            return
        self.warnings.extend(problems)

    def _read(self) -> bytes | None:
        """The file's bytes, one past the size limit at most (parse_cache refuses more)."""
        if not os.path.lexists(self.path):
            return None  # a first build: no TOML reader to import (tomllib, typing)
        from gostatic.tomlcompat import read_at_most

        try:
            return read_at_most(self.path, MAX_CACHE_BYTES)
        except (FileNotFoundError, NotADirectoryError):
            return None
        except OSError as exc:
            self.warnings.append(f"cannot read the strategy cache {self.path}: {_reason(exc)}")
            return None

    def _recover(self, first: CorruptCache) -> None:
        """Set a corrupt file aside, under the lock: another build may have replaced it
        with a good one since it was read."""
        try:
            with holding(self.lock_path):
                data = self._read()
                if data is None:
                    return
                try:
                    self.entries, problems = parse_cache(data)
                    self.warnings.extend(problems)
                except CorruptCache as exc:
                    self._set_aside_locked(exc)
        except OSError as exc:
            self.warnings.append(
                f"strategy cache {self.path} is unreadable ({first}) and could not be set aside "
                f"({_reason(exc)}); building without it"
            )

    def _set_aside_locked(self, why: CorruptCache) -> None:
        from datetime import datetime, timezone  # only for a corrupt file (see utc_now)

        stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S.%fZ")
        target = self.path.with_name(f"{CACHE_FILE}.corrupt-{stamp}")
        os.replace(self.path, target)
        self.warnings.append(
            f"strategy cache {self.path} is unreadable ({why}); set aside as {target.name}"
        )

    def lookup(self, key: CacheKey) -> str | None:
        entry = self.entries.get(key)
        return entry.strategy if entry is not None else None

    # changing

    def record(self, key: CacheKey, strategy: str) -> None:
        """Remember ``strategy`` for ``key``; nothing to write when the entry says so already."""
        current = self.entries.get(key)
        if current is not None and current.strategy == strategy:
            return
        entry = CacheEntry(key, strategy, utc_now())
        self.entries[key] = entry
        self.changes[key] = entry

    def forget(self, key: CacheKey) -> None:
        if self.entries.pop(key, None) is not None:
            self.changes[key] = None

    @staticmethod
    def load_writer() -> None:
        """Import what :meth:`save` needs to write, ahead of need (while go builds)."""
        import tomli_w  # noqa: F401

    def save(self) -> None:
        """Write the changes, merged into what is on disk now; a failure is a warning."""
        if not self.changes:
            return
        try:
            with holding(self.lock_path):
                self._write_locked(merge(self._entries_locked(), self.changes))
        except OSError as exc:
            self.warnings.append(
                f"cannot write the strategy cache {self.path}: {_reason(exc)}; "
                "the next build climbs the ladder again"
            )
            return
        self.changes.clear()

    def remove_package(self, package: str) -> int:
        """Remove every entry of ``package``; the number removed. OSError propagates."""
        if not self.path.is_file():
            return 0
        with holding(self.lock_path):
            entries = self._entries_locked()
            kept = {k: e for k, e in entries.items() if k.package != package}
            removed = len(entries) - len(kept)
            if removed:
                self._write_locked(kept)
        self.entries = kept
        return removed

    def clear(self) -> list[Path]:
        """Remove the file and the files set aside; what was removed (the stage and the
        plans are gostatic.incremental.forget's).

        The lock file stays: removing it while another process waits on it would let
        two writers in at once.
        """
        directory = self.path.parent
        if not directory.is_dir():
            return []
        removed: list[Path] = []
        with holding(self.lock_path):
            for path in sorted(directory.glob(f"{CACHE_FILE}*")):
                if path != self.lock_path and path.is_file():
                    path.unlink()
                    removed.append(path)
        self.entries = {}
        return removed

    def _entries_locked(self) -> dict[CacheKey, CacheEntry]:
        """The entries on disk, read again now that the lock is held."""
        data = self._read()
        if data is None:
            return {}
        try:
            entries, _ = parse_cache(data)  # the problems were told when it was loaded
        except CorruptCache as exc:
            self._set_aside_locked(exc)
            return {}
        return entries

    def _write_locked(self, entries: Mapping[CacheKey, CacheEntry]) -> None:
        write_atomic(self.path, render_cache(entries.values()).encode("utf-8"))


def _reason(exc: OSError) -> str:
    return exc.strerror or str(exc) or type(exc).__name__
