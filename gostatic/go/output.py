"""Where go build writes: the command line's ``-o``, else the ``-o`` in GOFLAGS, which go
honours as if it stood on the command line (the environment's GOFLAGS, else the one
`go env -w` wrote to go's env file).

gostatic always passes go an ``-o`` of its own (the stage), which overrides GOFLAGS':
so the output go would have written is made part of the request's own flags, once, before
either path looks at it.
"""

from __future__ import annotations

import os

from gostatic.go.flags import GoFlag, user_value
from gostatic.records import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Mapping

    from gostatic.builder.results import BuildRequest


def go_env_file(env: Mapping[str, str]) -> str:
    """Where `go env -w` writes (GOFLAGS there changes the build without touching env)."""
    explicit = env.get("GOENV")
    if explicit:
        return explicit
    config = env.get("XDG_CONFIG_HOME") or os.path.join(env.get("HOME", "~"), ".config")
    return os.path.join(config, "go", "env")


def goflags_in_effect(env: Mapping[str, str]) -> str | None:
    """GOFLAGS as go sees it (see :func:`go_setting_in_effect`)."""
    return go_setting_in_effect(env, "GOFLAGS")


def go_setting_in_effect(env: Mapping[str, str], name: str) -> str | None:
    """A go setting as go sees it: the environment's, else the `go env -w` file's, else
    ""; None when the file cannot be read (then nothing that depends on it can be
    checked)."""
    if env.get(name):
        return env[name]
    try:
        with open(go_env_file(env), encoding="utf-8") as f:
            lines = f.read().splitlines()
    except FileNotFoundError:
        return ""
    except (OSError, UnicodeDecodeError):
        return None
    prefix = f"{name}="
    values = [line[len(prefix) :] for line in lines if line.startswith(prefix)]
    return values[-1] if values else ""


def with_goflags_output(request: BuildRequest) -> BuildRequest:
    """``request`` with the ``-o`` of GOFLAGS among its flags when the command line has
    none, as go build reads it; else ``request`` as it is."""
    args = request.go_args
    if args.output is not None:
        return request
    output = user_value(args, goflags_in_effect(request.env) or "", "o")
    if not output:  # none, or empty, which go takes as none
        return request
    return request._replace(go_args=args._replace(flags=(*args.flags, GoFlag("o", output))))
