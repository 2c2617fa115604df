"""Archives and pushes through skopeo, the well-kept client that reads an OCI layout and
writes every transport registries and engines use, with their credentials
(containers-auth.json, ``REGISTRY_AUTH_FILE``) and their registries.conf.
"""

from __future__ import annotations

import os
import shutil
import subprocess

from gostatic.errors import GostaticError
from gostatic.records import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

INSTALL = "apt-get install skopeo"
_TIMEOUT = 1800.0  # a push of a large image over a slow link; never a hang forever


class SkopeoMissingError(GostaticError):
    """skopeo is needed for this output and is not installed."""


def find_skopeo(environ: Mapping[str, str], output: str) -> str:
    found = shutil.which("skopeo", path=environ.get("PATH", os.defpath))
    if found is None:
        raise SkopeoMissingError(
            f"--output {output}: needs skopeo, which is not on PATH ({INSTALL}); "
            "oci:DIR and rootfs:DIR need nothing else"
        )
    return found


def skopeo_copy(
    skopeo: str, options: Sequence[str], source: str, dest: str, environ: Mapping[str, str]
) -> None:
    """``skopeo copy OPTIONS SOURCE DEST``; a failure is one line: skopeo's last."""
    command = [skopeo, "copy", "--quiet", *options, source, dest]
    try:
        done = subprocess.run(
            command,
            env=dict(environ),
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            errors="replace",
            timeout=_TIMEOUT,
            check=False,
        )
    except OSError as exc:
        raise GostaticError(f"cannot run {skopeo}: {exc.strerror or exc}") from None
    except subprocess.TimeoutExpired:
        raise GostaticError(f"skopeo copy to {dest} took over {_TIMEOUT:.0f} s; stopped") from None
    if done.returncode != 0:
        lines = [ln.strip() for ln in done.stderr.splitlines() if ln.strip()]
        reason = lines[-1] if lines else f"exit status {done.returncode}"
        raise GostaticError(f"skopeo copy to {dest} failed: {reason}")
