"""`org.opencontainers.image.*` labels from the Go build info stamped in a binary.

Read with `go version -m`, whose text format has held since Go 1.18 and which names the
main module's version (gostatic.elf.facts reads the build settings but not the module lines).
A label is set only where the build info holds its value: a build outside version
control has no revision, and a module built in place reports its version as "(devel)"
unless go found a version control tag for it.
"""

from __future__ import annotations

from gostatic.go.cmd import run_go
from gostatic.records import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Mapping

VERSION = "org.opencontainers.image.version"
REVISION = "org.opencontainers.image.revision"
SOURCE = "org.opencontainers.image.source"


def build_info_labels(binary: str, environ: Mapping[str, str]) -> dict[str, str]:
    """The labels ``binary``'s build info supports; none for a binary without one."""
    result = run_go(["version", "-m", binary], env=environ, check=False)
    if not result.ok:
        return {}
    return labels_from_build_info(result.stdout)


def labels_from_build_info(text: str) -> dict[str, str]:
    """The labels in `go version -m` output."""
    module_path = module_version = revision = ""
    for line in text.splitlines():
        fields = line.strip("\n").split("\t")
        if len(fields) < 3 or fields[0]:
            continue  # the first line names the file; the others are tab-indented
        if fields[1] == "mod":
            module_path = fields[2]
            module_version = fields[3] if len(fields) > 3 else ""
        elif fields[1] == "build" and fields[2].startswith("vcs.revision="):
            revision = fields[2].partition("=")[2]
    labels = {}
    if module_version and module_version != "(devel)":
        labels[VERSION] = module_version
    if revision:
        labels[REVISION] = revision
    source = _source_url(module_path)
    if source:
        labels[SOURCE] = source
    return labels


def _source_url(module_path: str) -> str | None:
    # A module path whose first element is a host name is where `go get` fetches it from;
    # "example/m" or "m" is a local name and says nothing about where the source is.
    host = module_path.split("/", 1)[0]
    if "." not in host:
        return None
    return f"https://{module_path}"
