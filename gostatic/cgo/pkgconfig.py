"""pkg-config for a static rung: ``--static``, so that the libraries a library needs
privately (libpng's zlib, its ``Libs.private``) are linked too.

Two things stand in the way, both checked on Go 1.26:

- go runs ``$PKG_CONFIG`` as one program: it splits the value as a command line and keeps
  the first word, so ``PKG_CONFIG="pkg-config --static"`` runs plain ``pkg-config``. The
  rung gets a wrapper program instead, a two-line script that runs the real pkg-config
  with ``--static``, written once into gostatic's cache directory.
- go's build cache does not key a cgo package on pkg-config: the package's action ID holds
  CC, CGO_CPPFLAGS/CFLAGS/LDFLAGS and the #cgo directives, not ``$PKG_CONFIG`` nor what it
  printed (cmd/go/internal/work/exec.go, buildActionID). A static link right after a plain
  build of the same package therefore reuses the plain flags and fails on the private
  libraries' symbols, whatever PKG_CONFIG now says. ``-a`` would rebuild everything (35 s
  instead of 3.7 s for a libpng program here); instead the rung adds a macro to
  CGO_CPPFLAGS, ``-DGOSTATIC_PKG_CONFIG_STATIC=<digest>``, which changes the key of the cgo
  packages alone (and only of builds that use pkg-config at all), so their static flavour
  is compiled once and cached beside the plain one. The digest is of what ``pkg-config
  --static`` prints for the build's packages, so a changed .pc file gives a new key too.
"""

from __future__ import annotations

import hashlib
import os
import shlex
import shutil
import subprocess
from collections.abc import Mapping, Sequence

from gostatic.atomic import write_atomic

MACRO = "GOSTATIC_PKG_CONFIG_STATIC"
TOOLS_DIR = "tools"  # under gostatic's cache directory
WRAPPER_PREFIX = "pkg-config-static-"
# pkg-config reads a few .pc files; this bounds a hung one, not a slow one.
PKG_CONFIG_TIMEOUT = 30.0
_GO_SPACE = " \t\n\r"


def go_split(value: str) -> list[str]:
    """A value such as ``$PKG_CONFIG`` split as go splits it (cmd/internal/quoted.Split):
    fields between spaces, each optionally in '' or "" with nothing escaped inside. An
    unterminated quote gives [] (go refuses the value)."""
    fields: list[str] = []
    rest = value
    while True:
        rest = rest.lstrip(_GO_SPACE)
        if not rest:
            return fields
        if rest[0] in "'\"":
            end = rest.find(rest[0], 1)
            if end < 0:
                return []
            fields.append(rest[1:end])
            rest = rest[end + 1 :]
            continue
        end = next((i for i, c in enumerate(rest) if c in _GO_SPACE), len(rest))
        fields.append(rest[:end])
        rest = rest[end:]


def go_quote(path: str) -> str | None:
    """``path`` as one field of a value go splits with :func:`go_split`, or None if it
    cannot be one (it holds whitespace and both kinds of quote)."""
    if not any(c in _GO_SPACE for c in path) and path[:1] not in ("'", '"'):
        return path
    for quote in ("'", '"'):
        if quote not in path:
            return f"{quote}{path}{quote}"
    return None


def real_pkg_config(go_value: str, env: Mapping[str, str]) -> str | None:
    """The pkg-config program go would run, as an absolute path, or None if it is not
    installed. ``go_value``: go env's PKG_CONFIG (the user's, else go's default)."""
    fields = go_split(go_value or "pkg-config")
    if not fields:
        return None
    return shutil.which(fields[0], path=env.get("PATH", os.defpath))


def wrapper_script(real: str) -> bytes:
    return (
        "#!/bin/sh\n"
        "# Written by gostatic: pkg-config for static links (Libs.private included).\n"
        f'exec {shlex.quote(real)} --static "$@"\n'
    ).encode()


def install_wrapper(cache_dir: str, real: str) -> str:
    """The wrapper's path, writing it first if needed. Its name is its content's digest,
    so concurrent builds write the same bytes to the same name (each atomically), and a
    file there with other bytes (tampered, or cut short) is replaced, not run."""
    script = wrapper_script(real)
    name = WRAPPER_PREFIX + hashlib.sha256(script).hexdigest()[:16]
    path = os.path.join(cache_dir, TOOLS_DIR, name)
    try:
        with open(path, "rb") as existing:
            current = existing.read(len(script) + 1)
        if current == script and os.access(path, os.X_OK):
            return path
    except OSError:
        pass
    write_atomic(path, script, mode=0o755)
    return path


def safe_name(name: str) -> bool:
    """Whether go would pass ``name`` to pkg-config (cmd/go's load.SafeArg: it must not
    start like an option)."""
    first = name[:1]
    return bool(first) and (not first.isascii() or first.isalnum() or first in "._/")


def pkg_config_command(real: str, directive: Sequence[str], what: str) -> list[str] | None:
    """The command go runs for one package's ``#cgo pkg-config:`` arguments, with
    ``--static``: its flags first, then ``--`` and the package names, as go orders them.
    None for a name go would refuse."""
    flags = [a for a in directive if a.startswith("--") and a != "--"]
    names = [a for a in directive if not a.startswith("--")]
    if not all(safe_name(n) for n in names):
        return None
    return [real, "--static", what, *flags, "--", *names]


def static_output_digest(
    real: str, directives: Sequence[Sequence[str]], env: Mapping[str, str]
) -> str | None:
    """A digest of what ``pkg-config --static`` prints for each package's directive, or
    None if it fails for one (go will then report pkg-config's own words)."""
    digest = hashlib.sha256(real.encode())
    for directive in directives:
        for what in ("--cflags", "--libs"):
            command = pkg_config_command(real, directive, what)
            if command is None:
                return None
            try:
                done = subprocess.run(
                    command,
                    capture_output=True,
                    env=dict(env),
                    timeout=PKG_CONFIG_TIMEOUT,
                    stdin=subprocess.DEVNULL,
                    check=False,
                )
            except (OSError, subprocess.SubprocessError):
                return None
            if done.returncode != 0:
                return None
            digest.update(b"\0" + done.stdout)
    return digest.hexdigest()[:16]


def static_pkg_config_env(
    *,
    pkg_config: str,
    cppflags: str,
    directives: Sequence[Sequence[str]],
    cache_dir: str,
    env: Mapping[str, str],
) -> dict[str, str]:
    """The environment changes a static rung needs so that every ``#cgo pkg-config:``
    package links with ``pkg-config --static``: PKG_CONFIG (the wrapper) and CGO_CPPFLAGS
    (go env's value plus the cache-key macro). Empty when no package uses pkg-config, the
    real pkg-config is not installed or fails (go then says why in its own words), or the
    wrapper cannot be written or its path cannot be passed to go.

    ``pkg_config`` and ``cppflags``: go env's PKG_CONFIG and CGO_CPPFLAGS (the effective
    values, `go env -w` included); ``directives``: each cgo package's CgoPkgConfig from
    go list, for the packages the build links.
    """
    used = [d for d in directives if any(not a.startswith("--") for a in d)]
    real = real_pkg_config(pkg_config, env) if used else None
    if real is None:
        return {}
    digest = static_output_digest(real, used, env)
    if digest is None:
        return {}
    try:
        wrapper = go_quote(install_wrapper(cache_dir, real))
    except OSError:  # an unwritable cache: the link then fails and says on what
        return {}
    if wrapper is None:
        return {}
    return {"PKG_CONFIG": wrapper, "CGO_CPPFLAGS": f"{cppflags} -D{MACRO}={digest}".strip()}
