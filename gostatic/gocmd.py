"""The one place that runs `go`.

Every call gets an explicit environment (never ``os.environ`` mutated), an argument
list (never a shell), and turns "go is missing" into a domain error.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from gostatic.errors import GoCommandError, GoNotFoundError


@dataclass(frozen=True)
class GoResult:
    args: tuple[str, ...]
    returncode: int
    stdout: str
    stderr: str

    @property
    def ok(self) -> bool:
        return self.returncode == 0

    @property
    def first_error_line(self) -> str:
        """go's first message line, without the ``# package`` headers it prints above it."""
        for line in self.stderr.splitlines():
            if line.strip() and not line.startswith("#"):
                return line.strip()
        return f"go {self.args[0]} failed" if self.args else "go failed"


def find_go(env: Mapping[str, str]) -> str:
    """The `go` executable: ``GOSTATIC_GO`` if set, else `go` on the given PATH."""
    explicit = env.get("GOSTATIC_GO")
    if explicit:
        return explicit
    found = shutil.which("go", path=env.get("PATH"))
    if found is None:
        raise GoNotFoundError("go: command not found on PATH (install Go, or set GOSTATIC_GO)")
    return found


def run_go(
    args: Sequence[str],
    *,
    env: Mapping[str, str],
    cwd: Path | None = None,
    check: bool = True,
) -> GoResult:
    """Run ``go ARGS`` and capture its output.

    With ``check``, a non-zero exit becomes :class:`GoCommandError` carrying go's
    first error line; without it the caller reads ``returncode`` and ``stderr``.
    """
    exe = find_go(env)
    try:
        proc = subprocess.run(
            [exe, *args],
            env=dict(env),
            cwd=cwd,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            errors="replace",
            check=False,
        )
    except OSError as exc:
        raise GoNotFoundError(f"cannot run {exe}: {exc.strerror or exc}") from None
    result = GoResult(tuple(args), proc.returncode, proc.stdout, proc.stderr)
    if check and not result.ok:
        first = next((ln for ln in result.stderr.splitlines() if ln.strip()), "no message")
        raise GoCommandError(f"go {args[0]} failed: {first}")
    return result


@dataclass(frozen=True)
class GoEnv:
    """The facts about the toolchain that decide a build, asked once per run."""

    goos: str
    goarch: str
    version: str
    cc: str
    cgo_enabled: bool
    goexe: str
    goflags: str


_ENV_KEYS = ("GOOS", "GOARCH", "GOVERSION", "CC", "CGO_ENABLED", "GOEXE", "GOFLAGS")


def go_env(env: Mapping[str, str], cwd: Path | None = None) -> GoEnv:
    result = run_go(["env", "-json", *_ENV_KEYS], env=env, cwd=cwd)
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
    )
