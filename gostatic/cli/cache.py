"""`gostatic cache show | path | clear`: look at, find, or empty the strategy cache."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Annotated

import typer

from gostatic.cli.root import CacheDirOption, JsonOption, app, examples
from gostatic.exits import JsonDocument, guarded
from gostatic.records import Record

cache_app = typer.Typer(
    name="cache",
    help="The strategy cache: which strategy gave a static binary, per package and toolchain.",
    epilog=examples("gostatic cache show", "gostatic cache clear"),
    no_args_is_help=True,
)
app.add_typer(cache_app)


class CacheRequest(Record):
    directory: Path
    package: str | None = None


def _directory(flag: Path | None) -> Path:
    from gostatic.paths import cache_dir

    return Path(cache_dir(os.environ, str(Path.cwd() / flag) if flag else None))


def _warn(warnings: list[str]) -> None:
    for warning in warnings:
        sys.stderr.write(f"gostatic: warning: {warning}\n")


@cache_app.command(
    "show",
    epilog=examples("gostatic cache show", "gostatic cache show --json"),
)
def show(json_out: JsonOption = False, cache_dir: CacheDirOption = None) -> None:
    """List the cached strategies and the cache's size (a table, or JSON with --json).

    Exit 0 listed (a cache file that cannot be read is warned about and shown empty);
    2 usage; 141 the reader of stdout went away.
    """
    json = JsonDocument("cache show") if json_out else None
    request = CacheRequest(_directory(cache_dir))
    raise typer.Exit(guarded(lambda: _show(request, json), json))


def _show(request: CacheRequest, json: JsonDocument | None) -> int:
    from gostatic.cache import StrategyCache
    from gostatic.incremental.stagecap import cache_limit, cache_usage
    from gostatic.paths import STAGE_DIR
    from gostatic.report.cache import CacheSize, cache_to_json, write_cache_table

    cache = StrategyCache(request.directory)
    if json is not None:
        json.known["path"] = str(cache.path)
    cache.load(set_aside=False)  # showing changes nothing
    limit, limit_warning = cache_limit(os.environ)
    _warn([*cache.warnings, *([limit_warning] if limit_warning else [])])
    entries = sorted(cache.entries.values(), key=lambda e: e.key)
    size = CacheSize(cache_usage(str(request.directory), STAGE_DIR), limit)
    if json is not None:
        json.write(cache_to_json(cache.path, entries, size))
    else:
        write_cache_table(cache.path, entries, sys.stdout, size)
    return 0


@cache_app.command(
    "path",
    epilog=examples("gostatic cache path", 'cat "$(gostatic cache path)"'),
)
def path(cache_dir: CacheDirOption = None) -> None:
    """Print the cache file's path (the stage directory is beside it). Exit 0; 2 usage."""
    from gostatic.paths import CACHE_FILE

    typer.echo(str(_directory(cache_dir) / CACHE_FILE))
    raise typer.Exit(0)


@cache_app.command(
    "clear",
    epilog=examples("gostatic cache clear example.com/app/cmd/server", "gostatic cache clear"),
)
def clear(
    package: Annotated[
        str | None,
        typer.Argument(help="Forget only this package (an import path), on every toolchain."),
    ] = None,
    cache_dir: CacheDirOption = None,
) -> None:
    """Empty the cache: every entry, the stage directory and the fast path's plans, or one
    package's entries, plans and stage copies.

    Exit 0 done (an empty cache included); 1 PACKAGE has nothing to clear (with a "did you
    mean" hint) or the cache could not be changed; 2 usage.
    """
    request = CacheRequest(_directory(cache_dir), package=package)
    raise typer.Exit(guarded(lambda: _clear(request)))


def _clear(request: CacheRequest) -> int:
    from gostatic.cache import StrategyCache
    from gostatic.errors import GostaticError
    from gostatic.incremental.forget import forget_everything, forget_plans_of, forget_stage_of
    from gostatic.report.cache import cleared_text, package_cleared_text
    from gostatic.spelling import did_you_mean

    cache = StrategyCache(request.directory)
    try:
        if request.package is None:
            removed = cache.clear() + forget_everything(request.directory)
            typer.echo(cleared_text(request.directory, len(removed)))
            return 0
        cache.load(set_aside=False)
        _warn(cache.warnings)
        known = {k.package for k in cache.entries}
        entries = cache.remove_package(request.package)
        plans = forget_plans_of(request.directory, request.package)
        stages = forget_stage_of(request.directory, request.package)
    except OSError as exc:
        reason = exc.strerror or str(exc)
        raise GostaticError(f"cannot clear the cache in {request.directory}: {reason}") from None
    done = package_cleared_text(request.package, entries, plans, stages)
    if done is None:
        # As rm does for a name that is not there: nothing removed is not success.
        hint = did_you_mean(request.package, known)
        raise GostaticError(f"nothing to clear for {request.package} in {cache.path}{hint}")
    typer.echo(done)
    return 0
