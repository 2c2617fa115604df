"""What a Go binary will look for outside itself at run time, read from the functions linked
into it (gostatic.elf.gofuncs): the files a scratch image must carry for it.

Each need is decided by the functions that do the looking, chosen by reading which Go 1.26
links for programs that do and do not use each facility (probes built with and without
cgo, stripped and not): a function that is linked can be called, and one that is not
linked cannot, since the linker drops unreachable code. An "unless" function is linked
when the program embeds what it would otherwise look for.
"""

from __future__ import annotations

import os

from gostatic.errors import ElfError
from gostatic.records import TYPE_CHECKING, Record

if TYPE_CHECKING:
    from gostatic.elf.layout import Data, ElfLayout


class Need(Record):
    name: str
    functions: tuple[str, ...]  # any of them linked: the binary looks
    unless: tuple[str, ...]  # any of them linked: it has what it would look for
    remedy: str


NEEDS: tuple[Need, ...] = (
    Need(
        "ca-certificates",
        # Certificate.Verify without Roots and SystemCertPool both load through it.
        ("crypto/x509.systemRootsPool",),
        # Linked only when a package hands crypto/x509 roots of its own, as
        # golang.org/x/crypto/x509roots/fallback does; they are used where the system has none.
        ("crypto/x509.SetFallbackRoots",),
        "verifies TLS certificates against the system's roots: put a CA bundle at"
        " /etc/ssl/certs/ca-certificates.crt (or name one in SSL_CERT_FILE), or embed roots"
        ' with import _ "golang.org/x/crypto/x509roots/fallback"',
    ),
    Need(
        "hosts",
        # Every name lookup, Dial and Listen of a host name included, asks these which of
        # /etc/hosts and DNS to try (they read /etc/nsswitch.conf).
        ("net.(*conf).hostLookupOrder", "net.(*conf).addrLookupOrder"),
        (),
        "resolves host names: add /etc/hosts and /etc/nsswitch.conf, and /etc/resolv.conf"
        " for DNS (container runtimes usually mount /etc/hosts and /etc/resolv.conf)",
    ),
    Need(
        "tmp",
        ("os.CreateTemp", "os.MkdirTemp", "os.TempDir"),
        (),
        "creates temporary files or directories: add /tmp (mode 1777), or set TMPDIR",
    ),
    Need(
        "users",
        # The same names in the cgo and the pure-Go (osusergo) implementations of os/user.
        (
            "os/user.current",
            "os/user.lookupUser",
            "os/user.lookupUserId",
            "os/user.lookupGroup",
            "os/user.lookupGroupId",
            "os/user.listGroups",
        ),
        (),
        "looks up users or groups: add /etc/passwd and /etc/group",
    ),
    Need(
        "zoneinfo",
        ("time.LoadLocation",),
        # time/tzdata registers its embedded zones with package time (-tags timetzdata too).
        ("time/tzdata.loadFromEmbeddedTZData",),
        "loads time zones by name: add /usr/share/zoneinfo, or embed the zone data with"
        ' import _ "time/tzdata" or -tags timetzdata',
    ),
)
_REMEDIES = {need.name: need.remedy for need in NEEDS}
NAMES = frozenset(_REMEDIES)


def needs_in(data: Data, layout: ElfLayout) -> tuple[str, ...]:
    """The sorted names of the needs of the Go binary in ``data``; () for other files."""
    # Here, not at the top: an up-to-date build reads its needs from the stage's stamp and
    # only names their remedies, without struct (tests/test_fastpath.py).
    from gostatic.elf.gofuncs import func_names

    names = func_names(data, layout)
    if names is None:
        return ()
    return tuple(
        need.name
        for need in NEEDS
        if any(names.links(data, f) for f in need.functions)
        and not any(names.links(data, f) for f in need.unless)
    )


def remedy(name: str) -> str:
    """What the need called ``name`` means, and what provides it in a scratch image."""
    return _REMEDIES[name]


def binary_needs(path: str) -> tuple[str, ...]:
    """The needs of the binary at ``path`` (sorted names), without pyelftools: for the build
    path, on a binary it has already proved static. () for a file that is not a Go binary."""
    import mmap

    try:
        with open(path, "rb") as f:
            if os.fstat(f.fileno()).st_size == 0:
                return ()
            with mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as mm:
                return needs_of(mm, path)
    except OSError as exc:
        raise ElfError(f"{path}: cannot read the binary's needs ({exc})") from None


def needs_of(data: Data, shown: str) -> tuple[str, ...]:
    """:func:`binary_needs` of a whole file already mapped (or read), ``shown`` naming it in
    the error: the install reads the needs from the bytes it checks and installs."""
    from gostatic.elf.layout import read_layout

    try:
        layout = read_layout(data)
        return needs_in(data, layout) if layout is not None else ()
    except ValueError as exc:
        raise ElfError(f"{shown}: cannot read the binary's needs ({exc})") from None
