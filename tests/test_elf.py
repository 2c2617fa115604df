"""gostatic.elf.facts on real binaries built here by go and gcc, with readelf and `go version -m`
as oracles that owe nothing to gostatic."""

from __future__ import annotations

import errno
import json
import os
import shutil
import stat
import struct
import subprocess
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest

from gostatic.elf.buildinfo import GoBuildInfo, parse_build_line
from gostatic.elf.facts import ElfFacts, inspect_elf
from gostatic.elf.hazard import Hazard
from gostatic.errors import ElfError
from gostatic.incremental.recheck import still_static
from gostatic.report.verify import error_to_json, facts_to_json
from tests.support import GO, SEED_CGO, readelf_facts, requires_go, write_module

MODULE = "example.com/elftest"
EXTERNAL_STATIC = "-linkmode=external -extldflags=-static"

HELLO = """package main

import "fmt"

var version = "dev"

func main() { fmt.Println("hello", version) }
"""

NET_USER = """package main

import (
	"fmt"
	"net"
	"os/user"
)

func main() {
	addrs, err := net.LookupHost("localhost")
	fmt.Println(addrs, err)
	u, err := user.Lookup("nosuchuser")
	fmt.Println(u, err)
}
"""

C_NSS = """package main

/*
#include <netdb.h>
#include <pwd.h>
#include <stddef.h>

static int lookups(void) {
	struct passwd *pw = getpwnam("root");
	struct addrinfo *res = NULL;
	int rc = getaddrinfo("localhost", NULL, NULL, &res);
	if (res != NULL) freeaddrinfo(res);
	return (pw != NULL) + rc;
}
*/
import "C"
import "fmt"

func main() { fmt.Println(C.lookups()) }
"""

GO_DLOPEN = """package main

/*
#cgo LDFLAGS: -ldl
#include <dlfcn.h>
#include <stdlib.h>
*/
import "C"
import (
	"fmt"
	"unsafe"
)

func main() {
	name := C.CString("libm.so.6")
	defer C.free(unsafe.Pointer(name))
	fmt.Println(C.dlopen(name, C.RTLD_NOW) != nil)
}
"""

PLUGIN = """package main

import (
	"fmt"
	"os"
	"plugin"
)

func main() {
	p, err := plugin.Open(os.Args[0] + ".so")
	fmt.Println(p, err)
}
"""

SOURCES = {
    "cmd/hello/main.go": HELLO,
    "cmd/netuser/main.go": NET_USER,
    "cmd/cgo/main.go": SEED_CGO,
    "cmd/nss/main.go": C_NSS,
    "cmd/godl/main.go": GO_DLOPEN,
    "cmd/plug/main.go": PLUGIN,
}

NETGO = ["-tags", "netgo,osusergo"]


@dataclass(frozen=True)
class Build:
    package: str
    env: Mapping[str, str]
    flags: tuple[str, ...] = ()


BUILDS: dict[str, Build] = {
    "pure": Build("./cmd/hello", {"CGO_ENABLED": "0"}),
    "arm64": Build("./cmd/hello", {"CGO_ENABLED": "0", "GOARCH": "arm64"}),
    "386": Build("./cmd/hello", {"CGO_ENABLED": "0", "GOARCH": "386"}),
    "quoted": Build(
        "./cmd/hello",
        {"CGO_ENABLED": "0"},
        ("-tags", "netgo", "-ldflags", "-X 'main.version=1.2 beta' -s"),
    ),
    "net-pure": Build("./cmd/netuser", {"CGO_ENABLED": "0"}),
    "net-pure-stripped": Build("./cmd/netuser", {"CGO_ENABLED": "0"}, ("-ldflags=-s -w",)),
    "net-external-netgo": Build(
        "./cmd/netuser", {"CGO_ENABLED": "1"}, (*NETGO, "-ldflags", EXTERNAL_STATIC)
    ),
    "net-external": Build("./cmd/netuser", {"CGO_ENABLED": "1"}, ("-ldflags", EXTERNAL_STATIC)),
    "cgo-dynamic": Build("./cmd/cgo", {"CGO_ENABLED": "1"}),
    "cgo-external-netgo": Build(
        "./cmd/cgo", {"CGO_ENABLED": "1"}, (*NETGO, "-ldflags", EXTERNAL_STATIC)
    ),
    "cgo-static-pie": Build(
        "./cmd/cgo",
        {"CGO_ENABLED": "1"},
        ("-buildmode=pie", "-ldflags", "-linkmode=external -extldflags=-static-pie"),
    ),
    "pie-internal": Build("./cmd/hello", {"CGO_ENABLED": "0"}, ("-buildmode=pie",)),
    "nss": Build("./cmd/nss", {"CGO_ENABLED": "1"}, ("-ldflags", EXTERNAL_STATIC)),
    "nss-stripped": Build(
        "./cmd/nss", {"CGO_ENABLED": "1"}, ("-ldflags", "-s -w " + EXTERNAL_STATIC)
    ),
    "godl": Build("./cmd/godl", {"CGO_ENABLED": "1"}, (*NETGO, "-ldflags", EXTERNAL_STATIC)),
    "godl-stripped": Build(
        "./cmd/godl", {"CGO_ENABLED": "1"}, (*NETGO, "-ldflags", "-s -w " + EXTERNAL_STATIC)
    ),
    "plugin-cgo0": Build("./cmd/plug", {"CGO_ENABLED": "0"}, ("-ldflags=-s -w",)),
    "plugin-external": Build(
        "./cmd/plug", {"CGO_ENABLED": "1"}, (*NETGO, "-ldflags", EXTERNAL_STATIC)
    ),
}


def go_env() -> dict[str, str]:
    env = dict(os.environ)
    # Never fetch a toolchain or honour a workspace or flags from the developer's setup.
    env.update(GOTOOLCHAIN="local", GOWORK="off", GOFLAGS="-buildvcs=false")
    return env


class Binaries:
    """Every binary of BUILDS, built once per session, in parallel."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.paths: dict[str, Path] = {}
        self.failures: dict[str, str] = {}

    def build_all(self) -> None:
        write_module(self.root / "src", SOURCES, module=MODULE)
        with ThreadPoolExecutor(max_workers=max(2, os.cpu_count() or 2)) as pool:
            futures = {name: pool.submit(self._build, name) for name in BUILDS}
            for name, future in futures.items():
                result = future.result()
                if isinstance(result, Path):
                    self.paths[name] = result
                else:
                    self.failures[name] = result

    def _build(self, name: str) -> Path | str:
        spec = BUILDS[name]
        out = self.root / "bin" / name
        env = go_env()
        env.update(spec.env)
        assert GO is not None
        proc = subprocess.run(
            [GO, "build", "-o", str(out), *spec.flags, spec.package],
            cwd=self.root / "src",
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        if proc.returncode != 0:
            return proc.stderr.strip() or f"go build exited {proc.returncode}"
        return out

    def __getitem__(self, name: str) -> Path:
        if name in self.failures:
            pytest.fail(f"building {name!r} failed:\n{self.failures[name]}")
        return self.paths[name]


@pytest.fixture(scope="session")
def bins(tmp_path_factory: pytest.TempPathFactory) -> Binaries:
    if GO is None:
        pytest.skip("go is not on PATH")
    built = Binaries(tmp_path_factory.mktemp("elf-bins"))
    built.build_all()
    return built


@pytest.fixture(scope="session")
def go_version() -> str:
    assert GO is not None
    return subprocess.run(
        [GO, "env", "GOVERSION"], env=go_env(), capture_output=True, text=True, check=True
    ).stdout.strip()


def go_version_m(binary: Path) -> tuple[str, str, list[tuple[str, str]]]:
    """(version, main package path, build settings) according to `go version -m`."""
    assert GO is not None
    out = subprocess.run(
        [GO, "version", "-m", str(binary)],
        env=go_env(),
        capture_output=True,
        text=True,
        check=True,
    ).stdout.splitlines()
    version = out[0].split(": ", 1)[1]
    path = ""
    settings = []
    for line in out[1:]:
        fields = line.split("\t")
        if fields[1] == "path":
            path = fields[2]
        elif fields[1] == "build":
            key, value = fields[2].split("=", 1)
            # strconv.Quote of ASCII text is a valid JSON string: an independent unquoter.
            settings.append((key, json.loads(value) if value.startswith('"') else value))
    return version, path, settings


def assert_matches_readelf(facts: ElfFacts, binary: Path) -> None:
    has_interp, needed = readelf_facts(binary)
    assert (facts.interpreter is not None) == has_interp
    assert list(facts.needed) == needed


requires_gcc = pytest.mark.skipif(shutil.which("gcc") is None, reason="gcc is not on PATH")
requires_readelf = pytest.mark.skipif(shutil.which("readelf") is None, reason="no readelf")


# --- classification ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "kind", "elf_type"),
    [
        ("pure", "static", "EXEC"),
        ("net-pure", "static", "EXEC"),
        ("net-external-netgo", "static", "EXEC"),
        ("cgo-external-netgo", "static", "EXEC"),
        ("cgo-dynamic", "dynamic", "EXEC"),
        ("cgo-static-pie", "static-pie", "DYN"),
        ("pie-internal", "dynamic", "DYN"),
        ("nss", "static", "EXEC"),
    ],
)
@pytest.mark.slow
@requires_go
@requires_readelf
def test_kind_agrees_with_readelf(bins: Binaries, name: str, kind: str, elf_type: str) -> None:
    binary = bins[name]
    facts = inspect_elf(binary)
    assert facts.kind == kind
    assert facts.elf_type == elf_type
    assert facts.is_static == (kind != "dynamic")
    if os.uname().machine == "x86_64":
        assert facts.machine == "x86-64"
    assert facts.elf_class == 64
    assert facts.path == str(binary)
    assert_matches_readelf(facts, binary)


@pytest.mark.slow
@requires_go
@requires_readelf
def test_dynamic_cgo_names_loader_and_libc(bins: Binaries) -> None:
    facts = inspect_elf(bins["cgo-dynamic"])
    assert facts.kind == "dynamic"
    assert facts.interpreter is not None
    assert facts.interpreter.startswith("/")
    assert any(lib.startswith("libc.so") for lib in facts.needed)
    assert facts.hazards == ()  # a dynamic binary's problem is already "dynamic"


@pytest.mark.slow
@requires_go
def test_internal_pie_has_interpreter_but_no_needed(bins: Binaries) -> None:
    # The design's trap: -buildmode=pie alone is dynamic even with cgo off.
    facts = inspect_elf(bins["pie-internal"])
    assert facts.interpreter is not None
    assert facts.needed == ()
    assert facts.kind == "dynamic"


@pytest.mark.slow
@requires_go
@pytest.mark.parametrize(
    ("name", "machine", "elf_class"), [("arm64", "aarch64", 64), ("386", "i386", 32)]
)
def test_cross_compiled_machine_and_class(
    bins: Binaries, name: str, machine: str, elf_class: int
) -> None:
    facts = inspect_elf(bins[name])
    assert (facts.machine, facts.elf_class, facts.kind) == (machine, elf_class, "static")
    assert facts.go is not None
    assert facts.go.setting("GOARCH") == name


@requires_readelf
def test_system_binary_is_dynamic() -> None:
    ls = Path(shutil.which("ls") or "/bin/ls").resolve()
    facts = inspect_elf(ls)
    assert facts.kind == "dynamic"
    assert facts.go is None
    assert facts.hazards == ()
    assert_matches_readelf(facts, ls)


def strip_section_headers(src: Path, dst: Path) -> None:
    """Copy src with e_shoff/e_shnum/e_shstrndx zeroed, as sstrip-like tools leave a binary."""
    data = bytearray(src.read_bytes())
    assert data[4] == 2 and data[5] == 1, "test assumes a little-endian 64-bit ELF"
    struct.pack_into("<Q", data, 0x28, 0)
    struct.pack_into("<HHH", data, 0x3A, 0, 0, 0)
    dst.write_bytes(bytes(data))


@pytest.mark.slow
@requires_go
@pytest.mark.parametrize("name", ["pure", "cgo-dynamic", "cgo-static-pie", "nss-stripped"])
def test_without_section_headers_facts_come_from_segments(
    bins: Binaries, tmp_path: Path, name: str
) -> None:
    whole = inspect_elf(bins[name])
    bare_path = tmp_path / name
    strip_section_headers(bins[name], bare_path)
    bare = inspect_elf(bare_path)
    assert (bare.kind, bare.interpreter, bare.needed, bare.hazards, bare.go) == (
        whole.kind,
        whole.interpreter,
        whole.needed,
        whole.hazards,
        whole.go,
    )
    assert bare.go is not None
    assert still_static(str(bare_path)) == still_static(str(bins[name]))


# --- the fast path's re-check (gostatic.incremental.recheck) -------------------------------


@pytest.mark.slow
@requires_go
@pytest.mark.parametrize("name", list(BUILDS))
def test_recheck_says_what_the_full_reading_says(bins: Binaries, name: str) -> None:
    facts = inspect_elf(bins[name])
    assert still_static(str(bins[name])) == (facts.is_static and not facts.hazards)


@pytest.mark.slow
@requires_go
def test_recheck_reads_each_cut_of_a_static_binary_as_not_static(
    bins: Binaries, tmp_path: Path
) -> None:
    data = bins["pure"].read_bytes()
    cut = tmp_path / "cut"
    for size in (0, 16, 63, 64, 200, len(data) // 2, len(data) - 1):
        cut.write_bytes(data[:size])
        assert not still_static(str(cut)), size


def test_recheck_of_what_is_not_a_file() -> None:
    assert not still_static("/nonexistent/binary")
    assert not still_static("/")
    assert not still_static(os.devnull)


# --- Go build info -----------------------------------------------------------------------


@pytest.mark.slow
@requires_go
@pytest.mark.parametrize(
    "name", ["pure", "quoted", "net-external", "cgo-dynamic", "cgo-static-pie", "nss-stripped"]
)
def test_build_info_agrees_with_go_version_m(bins: Binaries, go_version: str, name: str) -> None:
    facts = inspect_elf(bins[name])
    assert facts.go is not None
    version, path, settings = go_version_m(bins[name])
    assert facts.go.version == version == go_version
    assert facts.go.path == path
    assert list(facts.go.settings) == settings


@pytest.mark.slow
@requires_go
def test_build_info_settings(bins: Binaries) -> None:
    pure = inspect_elf(bins["pure"]).go
    assert pure is not None
    assert pure.path == f"{MODULE}/cmd/hello"
    assert pure.setting("CGO_ENABLED") == "0"
    assert pure.setting("-tags") is None

    netgo = inspect_elf(bins["net-external-netgo"]).go
    assert netgo is not None
    assert netgo.setting("CGO_ENABLED") == "1"
    assert netgo.setting("-tags") == "netgo,osusergo"
    assert netgo.setting("-ldflags") == EXTERNAL_STATIC

    quoted = inspect_elf(bins["quoted"]).go
    assert quoted is not None
    assert quoted.setting("-ldflags") == "-X 'main.version=1.2 beta' -s"
    assert quoted.setting("-tags") == "netgo"


@requires_gcc
def test_c_program_has_no_build_info(tmp_path: Path) -> None:
    src = tmp_path / "hello.c"
    src.write_text('#include <stdio.h>\nint main(void) { puts("hi"); return 0; }\n')
    out = tmp_path / "hello"
    subprocess.run(["gcc", "-static", "-o", str(out), str(src)], check=True, capture_output=True)
    facts = inspect_elf(out)
    assert facts.kind == "static"
    assert facts.go is None
    assert facts.hazards == ()  # static glibc alone is not a hazard


def test_setting_returns_last_value() -> None:
    info = GoBuildInfo("go1.26.0", "x", (("-tags", "a"), ("GOOS", "linux"), ("-tags", "b")))
    assert info.setting("-tags") == "b"
    assert info.setting("GOOS") == "linux"
    assert info.setting("missing") is None


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("CGO_ENABLED=1", ("CGO_ENABLED", "1")),
        ("CGO_CFLAGS=", ("CGO_CFLAGS", "")),
        ("-ldflags=\"-X 'main.v=1 2' -s\"", ("-ldflags", "-X 'main.v=1 2' -s")),
        (r'-ldflags="-X main.q=\"x\\y\""', ("-ldflags", r'-X main.q="x\y"')),
        (r'k="tab\there\x41\u00e9\101"', ("k", "tab\thereA\u00e9A")),
        ('"odd=key"=v', ("odd=key", "v")),
        ("k=`raw \\n`", ("k", "raw \\n")),
        ('k="unterminated', ("k", '"unterminated')),
        ("=novalue", None),
        ("nokey", None),
        ("", None),
    ],
)
def test_build_line_parsing(line: str, expected: tuple[str, str] | None) -> None:
    assert parse_build_line(line) == expected


# --- hazards -----------------------------------------------------------------------------


def hazard_kinds(facts: ElfFacts) -> list[str]:
    return [h.kind for h in facts.hazards]


@pytest.mark.slow
@requires_go
@pytest.mark.parametrize(
    ("name", "kinds"),
    [
        ("nss", ["nss"]),
        ("nss-stripped", ["nss"]),
        # Go's own cgo resolver and os/user pull in NSS unless netgo,osusergo are given.
        ("net-external", ["nss"]),
        ("net-external-netgo", []),
        ("net-pure", []),
        ("net-pure-stripped", []),
        ("pure", []),
        ("cgo-external-netgo", []),
        ("cgo-static-pie", []),
        ("godl", ["dlopen"]),
        ("godl-stripped", ["dlopen"]),
        ("plugin-cgo0", ["plugin"]),
        ("plugin-external", ["plugin"]),
    ],
)
def test_hazards(bins: Binaries, name: str, kinds: list[str]) -> None:
    facts = inspect_elf(bins[name])
    assert facts.is_static
    assert hazard_kinds(facts) == kinds
    for hazard in facts.hazards:
        assert hazard.detail and "\n" not in hazard.detail


@pytest.mark.slow
@requires_go
def test_plugin_details_differ_by_cgo(bins: Binaries) -> None:
    (stub,) = inspect_elf(bins["plugin-cgo0"]).hazards
    (real,) = inspect_elf(bins["plugin-external"]).hazards
    assert "always fails" in stub.detail
    assert "no plugin module data" in real.detail


@requires_gcc
def test_c_static_getpwnam_has_nss_hazard(tmp_path: Path) -> None:
    src = tmp_path / "pw.c"
    src.write_text(
        "#include <pwd.h>\n#include <stdio.h>\n"
        'int main(void) { printf("%p\\n", (void *)getpwnam("root")); return 0; }\n'
    )
    for strip in ([], ["-s"]):
        out = tmp_path / f"pw{len(strip)}"
        subprocess.run(
            ["gcc", "-static", *strip, "-o", str(out), str(src)], check=True, capture_output=True
        )
        assert hazard_kinds(inspect_elf(out)) == ["nss"]


# --- bad inputs --------------------------------------------------------------------------


def assert_elf_error(path: Path | str, *fragments: str) -> str:
    with pytest.raises(ElfError) as info:
        inspect_elf(path)
    message = info.value.message
    assert message == str(info.value)
    assert "\n" not in message
    assert message.startswith(f"{path}: ")
    for fragment in fragments:
        assert fragment in message
    assert info.value.exit_status == 2
    return message


def test_missing_file(tmp_path: Path) -> None:
    assert_elf_error(tmp_path / "nope", "no such file")


def test_missing_parent_is_a_file(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("x")
    assert_elf_error(tmp_path / "file" / "child", "no such file")


def test_directory(tmp_path: Path) -> None:
    assert_elf_error(tmp_path, "is a directory")


def test_empty_file(tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.touch()
    assert_elf_error(empty, "empty")


def test_text_file(tmp_path: Path) -> None:
    text = tmp_path / "script.sh"
    text.write_text("#!/bin/sh\necho hello\n" * 10)
    assert_elf_error(text, "not an ELF file")


def test_fifo_is_not_waited_on(tmp_path: Path) -> None:
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    assert_elf_error(fifo, "not a regular file")


def test_unreadable_file(tmp_path: Path) -> None:
    if os.geteuid() == 0:
        pytest.skip("root reads mode-000 files, so permission denied cannot happen")
    secret = tmp_path / "secret"
    shutil.copy(Path(shutil.which("ls") or "/bin/ls"), secret)
    secret.chmod(0)
    try:
        assert_elf_error(secret, "permission denied")
    finally:
        secret.chmod(stat.S_IRUSR | stat.S_IWUSR)


def test_permission_denied_mapping(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Root can read mode-000 files, so the real test above skips there; this one checks the
    # message by making open() fail the way it does for an ordinary user.
    target = tmp_path / "secret"
    target.write_bytes(b"\x7fELF")
    real_open = os.open

    def deny(path: str, flags: int, *args: int) -> int:
        if os.fspath(path) == str(target):
            raise PermissionError(errno.EACCES, "Permission denied", path)
        return real_open(path, flags, *args)

    monkeypatch.setattr(os, "open", deny)
    assert_elf_error(target, "permission denied")


def test_newline_in_name_keeps_one_line(tmp_path: Path) -> None:
    odd = tmp_path / "a\nb"
    with pytest.raises(ElfError) as info:
        inspect_elf(odd)
    assert "\n" not in info.value.message
    assert "no such file" in info.value.message


def test_undecodable_name_gives_a_printable_message(tmp_path: Path) -> None:
    odd = os.fsdecode(os.fsencode(str(tmp_path)) + b"/bad\xff")
    with pytest.raises(ElfError) as info:
        inspect_elf(odd)
    info.value.message.encode("utf-8")  # a lone surrogate would make this raise
    assert "no such file" in info.value.message


def test_object_file_is_not_an_executable(tmp_path: Path) -> None:
    if shutil.which("gcc") is None:
        pytest.skip("gcc is not on PATH")
    src = tmp_path / "f.c"
    src.write_text("int f(void) { return 1; }\n")
    obj = tmp_path / "f.o"
    subprocess.run(["gcc", "-c", "-o", str(obj), str(src)], check=True, capture_output=True)
    assert_elf_error(obj, "not an executable", "relocatable")


@pytest.fixture(scope="module")
def real_elf() -> bytes:
    ls = Path(shutil.which("ls") or "/bin/ls").resolve()
    return ls.read_bytes()


@pytest.mark.parametrize("cut", [1, 4, 10, 20, 64, 100, 1000, "half", "minus1"])
def test_truncated_copies(tmp_path: Path, real_elf: bytes, cut: int | str) -> None:
    n = {"half": len(real_elf) // 2, "minus1": len(real_elf) - 1}.get(str(cut), cut)
    assert isinstance(n, int)
    part = tmp_path / f"cut{n}"
    part.write_bytes(real_elf[:n])
    assert_elf_error(part, "truncated")


@pytest.mark.slow
@requires_go
@pytest.mark.parametrize("cut", [10, 64, 100, 1000, 5000, "half", "minus1"])
def test_truncated_go_binaries(bins: Binaries, tmp_path: Path, cut: int | str) -> None:
    for name in ("pure", "cgo-static-pie"):
        data = bins[name].read_bytes()
        n = {"half": len(data) // 2, "minus1": len(data) - 1}.get(str(cut), cut)
        assert isinstance(n, int)
        part = tmp_path / f"{name}-{n}"
        part.write_bytes(data[:n])
        assert_elf_error(part, "truncated")


@pytest.mark.parametrize(
    ("offset", "value", "fragment"),
    [
        (4, 3, "unknown class"),
        (5, 0, "unknown byte order"),
        (0x36, 7, "program header size"),  # e_phentsize
        (0x20, 0xF0, "truncated"),  # e_phoff far past the end
    ],
)
def test_corrupt_headers(
    tmp_path: Path, real_elf: bytes, offset: int, value: int, fragment: str
) -> None:
    data = bytearray(real_elf)
    assert data[4] == 2, "test assumes a 64-bit host binary"
    data[offset] = value
    if offset == 0x20:
        data[offset + 3] = 0x7F
    bad = tmp_path / "bad"
    bad.write_bytes(bytes(data))
    assert_elf_error(bad, fragment)


def test_unknown_elf_type_is_not_an_executable(tmp_path: Path, real_elf: bytes) -> None:
    data = bytearray(real_elf)
    data[0x10] = 0xEE  # e_type: no such type, pyelftools passes it through as a number
    bad = tmp_path / "bad"
    bad.write_bytes(bytes(data))
    assert_elf_error(bad, "not an executable")


def test_pyelftools_failure_becomes_elf_error(tmp_path: Path, real_elf: bytes) -> None:
    data = bytearray(real_elf)
    struct.pack_into("<H", data, 0x3E, 0xFFF0)  # e_shstrndx: a section that does not exist
    bad = tmp_path / "bad"
    bad.write_bytes(bytes(data))
    assert_elf_error(bad, "corrupt ELF file", "String Table")


def test_negative_seek_becomes_elf_error(tmp_path: Path, real_elf: bytes) -> None:
    # A section name offset that makes pyelftools seek before the start of the file.
    data = bytearray(real_elf)
    shoff = struct.unpack_from("<Q", data, 0x28)[0]
    shstrndx = struct.unpack_from("<H", data, 0x3E)[0]
    struct.pack_into("<Q", data, shoff + shstrndx * 64 + 0x18, 2**63 - 16)  # its sh_offset
    bad = tmp_path / "bad"
    bad.write_bytes(bytes(data))
    assert_elf_error(bad)


# --- JSON shapes -------------------------------------------------------------------------


def test_facts_to_json_shape() -> None:
    facts = ElfFacts(
        path="bin/x",
        kind="static",
        interpreter=None,
        needed=(),
        machine="x86-64",
        elf_class=64,
        elf_type="EXEC",
        hazards=(Hazard("nss", "detail"),),
        go=GoBuildInfo("go1.26.0", "example.com/x", (("CGO_ENABLED", "1"), ("-tags", "netgo"))),
        needs=("hosts", "tmp"),
    )
    doc = facts_to_json(facts)
    assert doc == {
        "path": "bin/x",
        "kind": "static",
        "interpreter": None,
        "needed": [],
        "machine": "x86-64",
        "class": 64,
        "hazards": [{"kind": "nss", "detail": "detail"}],
        "needs": ["hosts", "tmp"],
        "go": {
            "version": "go1.26.0",
            "path": "example.com/x",
            "settings": {"CGO_ENABLED": "1", "-tags": "netgo"},
        },
        "error": None,
    }
    json.dumps(doc)


def test_error_to_json_shape() -> None:
    doc = error_to_json("bin/x", "bin/x: not an ELF file")
    assert doc["kind"] == "error"
    assert doc["error"] == "bin/x: not an ELF file"
    assert set(doc) == {
        "path",
        "kind",
        "interpreter",
        "needed",
        "machine",
        "class",
        "hazards",
        "needs",
        "go",
        "error",
    }
    assert (doc["interpreter"], doc["needed"], doc["hazards"], doc["go"]) == (None, [], [], None)
    assert doc["needs"] == []
    json.dumps(doc)


@requires_readelf
def test_real_facts_round_trip_through_json() -> None:
    facts = inspect_elf(Path(shutil.which("ls") or "/bin/ls").resolve())
    doc = json.loads(json.dumps(facts_to_json(facts)))
    assert doc["kind"] == "dynamic"
    assert doc["needed"] == list(facts.needed)
    assert doc["class"] == facts.elf_class


SQLITE = """package main

import (
	"database/sql"
	"fmt"

	_ "github.com/mattn/go-sqlite3"
)

func main() {
	db, err := sql.Open("sqlite3", ":memory:")
	if err == nil {
		err = db.Ping()
	}
	fmt.Println(err)
}
"""


@pytest.mark.slow
@requires_go
def test_go_sqlite3_stub_is_a_hazard(tmp_path: Path) -> None:
    src = write_module(tmp_path / "src", {"main.go": SQLITE}, module="example.com/sq")
    env = go_env()
    env["CGO_ENABLED"] = "0"
    assert GO is not None
    tidy = subprocess.run(
        [GO, "mod", "tidy"], cwd=src, env=env, capture_output=True, text=True, check=False
    )
    if tidy.returncode != 0:
        pytest.skip(f"github.com/mattn/go-sqlite3 is not available: {tidy.stderr.strip()}")
    out = tmp_path / "sq"
    subprocess.run(
        [GO, "build", "-ldflags=-s -w", "-o", str(out), "."], cwd=src, env=env, check=True
    )
    facts = inspect_elf(out)
    assert facts.kind == "static"
    assert [h.kind for h in facts.hazards] == ["cgo-stub"]
