"""What `go env` says about the toolchain: the facts that decide a build, asked once per run."""

from __future__ import annotations

from gostatic.errors import GoCommandError
from gostatic.go.cmd import run_go
from gostatic.records import TYPE_CHECKING, Record

if TYPE_CHECKING:
    from collections.abc import Mapping

    from gostatic.go.cmd import Directory
    from gostatic.go.session import GoSession


class GoEnv(Record):
    """The facts about the toolchain that decide a build."""

    goos: str
    goarch: str
    version: str
    cc: str
    cgo_enabled: bool
    goexe: str
    goflags: str
    # What a static rung's pkg-config wrapper starts from (gostatic.cgo.pkgconfig).
    pkg_config: str = "pkg-config"
    cgo_cppflags: str = ""
    goroot: str = ""  # where the standard library's sources are (gostatic.builder.guessproof)


_ENV_KEYS = (
    "GOOS", "GOARCH", "GOVERSION", "CC", "CGO_ENABLED", "GOEXE", "GOFLAGS", "PKG_CONFIG",
    "CGO_CPPFLAGS", "GOROOT",
)  # fmt: skip
ENV_ARGS = ("env", "-json", *_ENV_KEYS)


def go_env(
    env: Mapping[str, str], cwd: Directory | None = None, session: GoSession | None = None
) -> GoEnv:
    """One `go env -json`: the ``session``'s when given (the fast path may have started it)."""
    import json  # only here: the fast path of an up-to-date build never asks go env

    runner = session.run if session is not None else run_go
    result = runner(ENV_ARGS, env=env, cwd=cwd)
    try:
        values = json.loads(result.stdout)
    except json.JSONDecodeError:
        raise GoCommandError("go env printed something that is not JSON") from None

    def get(key: str) -> str:
        return str(values.get(key, "")) if isinstance(values, dict) else ""

    return GoEnv(
        goos=get("GOOS"),
        goarch=get("GOARCH"),
        version=get("GOVERSION"),
        cc=get("CC"),
        cgo_enabled=get("CGO_ENABLED") == "1",
        goexe=get("GOEXE"),
        goflags=get("GOFLAGS"),
        pkg_config=get("PKG_CONFIG"),
        cgo_cppflags=get("CGO_CPPFLAGS"),
        goroot=get("GOROOT"),
    )
