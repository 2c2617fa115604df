"""gostatic.cgo.linkerlog, gostatic.cgo.linkreason and gostatic.cgo.linkhazards: what the C
compiler and linker said, read from go build's stderr.

The captured strings are real output of go 1.26 with Debian 12's gcc 12, binutils 2.40
and lld 14 (trimmed of go's long gcc command line where it does not matter); the slow
tests build real cgo programs that fail (or warn) the same way, so the parser is held to
what the linker of the machine running the tests says.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from gostatic.cgo.linkerlog import MAX_LINES, StaticWarning, Undefined, object_name, read_linker_log
from gostatic.cgo.linkhazards import kind_of, linker_hazards, package_of
from gostatic.cgo.linkreason import (
    Owner,
    OwnerLookup,
    dpkg_owners,
    link_failure_reason,
    no_owners,
    parse_dpkg_search,
    summarize,
)
from tests.support import (
    assert_static_by_readelf,
    imports_of,
    marked,
    requires_go,
    requires_musl,
    run_in_empty_root,
    write_module,
)

GCC_LINE = "/usr/bin/gcc -m64 -o $WORK/b001/exe/a.out /tmp/go-link-1/go.o -O2 -g -lpcap -no-pie"

PCAP_STATIC = f"""# example.com/pcap
/usr/local/go/pkg/tool/linux_amd64/link: running gcc failed: exit status 1
{GCC_LINE} -static
/usr/bin/ld: /usr/lib/gcc/x86_64-linux-gnu/12/../../../x86_64-linux-gnu/libpcap.a(nametoaddr.o): in function `pcap_nametoaddrinfo':
(.text+0x80): warning: Using 'getaddrinfo' in statically linked applications requires at runtime the shared libraries from the glibc version used for linking
/usr/bin/ld: /usr/lib/gcc/x86_64-linux-gnu/12/../../../x86_64-linux-gnu/libpcap.a(nametoaddr.o): in function `pcap_nametoaddr':
(.text+0x5): warning: Using 'gethostbyname' in statically linked applications requires at runtime the shared libraries from the glibc version used for linking
/usr/bin/ld: /usr/lib/gcc/x86_64-linux-gnu/12/../../../x86_64-linux-gnu/libpcap.a(pcap-dbus.o): in function `dbus_write':
(.text+0xff): undefined reference to `dbus_message_demarshal'
/usr/bin/ld: (.text+0x115): undefined reference to `dbus_connection_send'
/usr/bin/ld: /usr/lib/gcc/x86_64-linux-gnu/12/../../../x86_64-linux-gnu/libpcap.a(pcap-dbus.o): in function `dbus_read':
(.text+0x1c0): undefined reference to `dbus_connection_pop_message'
/usr/bin/ld: (.text+0x1e2): undefined reference to `dbus_connection_pop_message'
collect2: error: ld returned 1 exit status
"""  # noqa: E501

NO_SYSTEMD = f"""# example.com/pcappc
/usr/local/go/pkg/tool/linux_amd64/link: running gcc failed: exit status 1
{GCC_LINE} -static
/usr/bin/ld: cannot find -lsystemd: No such file or directory
collect2: error: ld returned 1 exit status
"""

NO_HEADER = """# example.com/nohdr
./main.go:4:10: fatal error: nosuch/header.h: No such file or directory
    4 | #include <nosuch/header.h>
      |          ^~~~~~~~~~~~~~~~~
compilation terminated.
"""

UNDEFINED_IN_CGO = f"""# example.com/undef
/usr/local/go/pkg/tool/linux_amd64/link: running gcc failed: exit status 1
{GCC_LINE}
/usr/bin/ld: /tmp/go-link-2511347561/000001.o: in function `_cgo_616dc29dc072_Cfunc_nowhere_defined':
/tmp/go-build/main.cgo2.c:54: undefined reference to `nowhere_defined'
collect2: error: ld returned 1 exit status
"""  # noqa: E501

LLD_ARCHIVE = f"""# example.com/ar
/usr/local/go/pkg/tool/linux_amd64/link: running gcc failed: exit status 1
{GCC_LINE} -fuse-ld=lld -static
ld.lld: error: undefined symbol: second_value
>>> referenced by first.c
>>>               first.o:(first_value) in archive /tmp/cgoexp/ar/lib/libfirst.a
collect2: error: ld returned 1 exit status
"""

LLD_NO_LIBRARY = """ld.lld: error: unable to find library -lnosuchlib
collect2: error: ld returned 1 exit status
"""

SQLITE_WARNING = """# example.com/sq
/usr/bin/ld: /tmp/go-link-1843309362/000011.o: in function `unixDlOpen':
/root/go/pkg/mod/github.com/mattn/go-sqlite3@v1.14.53/sqlite3-binding.c:47701: warning: Using 'dlopen' in statically linked applications requires at runtime the shared libraries from the glibc version used for linking
"""  # noqa: E501
SQLITE_DIR = "/root/go/pkg/mod/github.com/mattn/go-sqlite3@v1.14.53"

KAFKA_DIR = "/root/go/pkg/mod/github.com/confluentinc/confluent-kafka-go/v2@v2.11.1/kafka"
KAFKA_WARNINGS = f"""# example.com/kafka
/usr/bin/ld: {KAFKA_DIR}/librdkafka_vendor/librdkafka_glibc_linux_amd64.a(libcrypto-lib-dso_dlfcn.o): in function `dlfcn_globallookup':
(.text+0x11): warning: Using 'dlopen' in statically linked applications requires at runtime the shared libraries from the glibc version used for linking
/usr/bin/ld: {KAFKA_DIR}/librdkafka_vendor/librdkafka_glibc_linux_amd64.a(rdaddr.o): in function `rd_getaddrinfo':
(.text+0x7b4): warning: Using 'getaddrinfo' in statically linked applications requires at runtime the shared libraries from the glibc version used for linking
"""  # noqa: E501
DUCKDB_DIR = "/root/go/pkg/mod/github.com/duckdb/duckdb-go-bindings/lib/linux-amd64@v0.10506.0"
DUCKDB_WARNING = f"""/usr/bin/ld: {DUCKDB_DIR}/libduckdb_static.a(ub_duckdb_common.cpp.o): in function `duckdb::LocalFileSystem::OpenFile(std::__cxx11::basic_string<char> const&)':
ub_duckdb_common.cpp:(.text+0x56005): warning: Using 'getpwuid' in statically linked applications requires at runtime the shared libraries from the glibc version used for linking
"""  # noqa: E501


def _owners(table: dict[str, tuple[Owner, ...]]) -> OwnerLookup:
    def lookup(pattern: str) -> tuple[Owner, ...] | None:
        return table.get(pattern, ())

    return lookup


# --- the parser, on captured output -------------------------------------------------------


def test_an_archive_that_needs_symbols_names_itself_and_them() -> None:
    log = read_linker_log(PCAP_STATIC)
    wanted = "/usr/lib/x86_64-linux-gnu/libpcap.a(pcap-dbus.o)"
    assert log.undefined == (
        Undefined("dbus_message_demarshal", wanted),
        Undefined("dbus_connection_send", wanted),
        Undefined("dbus_connection_pop_message", wanted),
    )
    assert (log.linker, log.static) == ("gcc", True)
    assert log.lines[0] == f"{wanted}: undefined reference to 'dbus_message_demarshal'"
    assert log.failed_for_a_reason
    summary = summarize(log)
    assert summary is not None
    assert summary.startswith("libpcap.a needs 3 symbols that no library in the link defines")
    assert "dbus_message_demarshal" in summary


def test_warnings_in_a_failed_link_are_read_but_are_not_the_reason() -> None:
    log = read_linker_log(PCAP_STATIC)
    caller = "/usr/lib/x86_64-linux-gnu/libpcap.a(nametoaddr.o)"
    assert log.warnings == (
        StaticWarning("getaddrinfo", caller, ""),
        StaticWarning("gethostbyname", caller, ""),
    )
    assert not any("warning" in line for line in log.lines)


def test_a_library_with_only_its_shared_object_installed() -> None:
    owners = _owners(
        {"*/libsystemd.so*": (Owner("libsystemd0", "/usr/lib/x86_64-linux-gnu/libsystemd.so.0"),)}
    )
    reason = link_failure_reason(NO_SYSTEMD, owners)
    assert reason is not None
    assert reason.log.missing_libraries == ("systemd",)
    assert reason.summary == (
        "no static archive libsystemd.a for -lsystemd: only the shared library is installed "
        "(libsystemd.so.0, package libsystemd0)"
    )
    assert reason.lines == ("/usr/bin/ld: cannot find -lsystemd: No such file or directory",)
    assert reason.detail.splitlines() == [reason.summary, *reason.lines]


def test_a_missing_library_without_a_package_manager_says_only_what_the_linker_said() -> None:
    reason = link_failure_reason(NO_SYSTEMD, no_owners)
    assert reason is not None
    assert reason.summary == "no static archive libsystemd.a for -lsystemd"


def test_an_archive_installed_outside_the_search_path_is_named() -> None:
    owners = _owners({"*/libsystemd.a": (Owner("libsystemd-dev", "/opt/sd/lib/libsystemd.a"),)})
    summary = summarize(read_linker_log(NO_SYSTEMD), owners)
    assert summary is not None and "/opt/sd/lib/libsystemd.a is installed" in summary


def test_a_dynamic_link_asks_for_either_form() -> None:
    log = read_linker_log(NO_SYSTEMD.replace(" -static\n", "\n"))
    assert not log.static
    assert summarize(log) == "no library libsystemd.so or libsystemd.a for -lsystemd"


def test_a_missing_header_and_the_package_that_has_it() -> None:
    owners = _owners(
        {"*/nosuch/header.h": (Owner("libnosuch-dev", "/usr/include/nosuch/header.h"),)}
    )
    reason = link_failure_reason(NO_HEADER, owners, compiler="musl-gcc")
    assert reason is not None
    assert reason.log.missing_headers == ("nosuch/header.h",)
    assert reason.summary == (
        "the C compiler (musl-gcc) found no header nosuch/header.h; /usr/include/nosuch/header.h"
        " is installed (package libnosuch-dev), but not where this compiler looks"
    )
    assert reason.lines == (
        "./main.go:4:10: fatal error: nosuch/header.h: No such file or directory",
    )


def test_clangs_form_of_a_missing_header() -> None:
    text = "./main.go:4:10: fatal error: 'nosuch/header.h' file not found\n"
    assert read_linker_log(text).missing_headers == ("nosuch/header.h",)


def test_a_symbol_the_programs_own_cgo_code_calls() -> None:
    log = read_linker_log(UNDEFINED_IN_CGO)
    assert log.undefined == (Undefined("nowhere_defined", "cgo:000001.o"),)
    assert summarize(log) == (
        "the program's cgo code needs a symbol that no library in the link defines "
        "(nowhere_defined)"
    )


def test_lld_forms() -> None:
    log = read_linker_log(LLD_ARCHIVE)
    assert log.undefined == (Undefined("second_value", "/tmp/cgoexp/ar/lib/libfirst.a(first.o)"),)
    assert log.static
    assert read_linker_log(LLD_NO_LIBRARY).missing_libraries == ("nosuchlib",)


@pytest.mark.parametrize(
    ("line", "symbol"),
    [
        ("/usr/bin/ld: (.text+0x5): undefined reference to 'sd_listen_fds'", "sd_listen_fds"),
        (
            "/usr/bin/ld: (.text+0x5): undefined reference to \u2018sd_listen_fds\u2019",
            "sd_listen_fds",
        ),
        ("ld: x.o: undefined reference to symbol 'dlsym@@GLIBC_2.34'", "dlsym"),
    ],
)
def test_quoting_styles(line: str, symbol: str) -> None:
    [undefined] = read_linker_log(line).undefined
    assert undefined.symbol == symbol


def test_an_object_named_on_the_reference_line_itself() -> None:
    text = "/usr/bin/ld: /usr/lib/libq.a(q.o):(.data.rel+0x8): undefined reference to `qq'\n"
    assert read_linker_log(text).undefined == (Undefined("qq", "/usr/lib/libq.a(q.o)"),)


def test_hundreds_of_references_keep_a_few_lines() -> None:
    text = "/usr/bin/ld: /l/libz.a(a.o): in function `f':\n" + "".join(
        f"(.text+0x{i:x}): undefined reference to `sym{i}'\n" for i in range(300)
    )
    log = read_linker_log(text)
    assert len(log.undefined) == 300
    assert len(log.lines) == MAX_LINES
    summary = summarize(log)
    assert summary is not None and summary.startswith("libz.a needs 300 symbols")


def test_nothing_decisive_in_a_go_compile_error() -> None:
    text = "# example.com/m\n./main.go:3:2: undefined: fmt.Printn\n"
    assert link_failure_reason(text) is None
    assert read_linker_log("").lines == ()


def test_importing_the_readers_compiles_no_pattern() -> None:
    """Every full build imports them (gostatic.builder.climb); few have a linker's words to
    read, and compiling the patterns took ~2 ms."""
    said, _ = imports_of(
        "import re\ncompiled = []\nre.compile = lambda *args, **kwargs: compiled.append(args)\n"
        "import gostatic.cgo.linkhazards, gostatic.cgo.linkreason\nprint(compiled)"
    )
    assert said == ["[]"]


def test_object_names() -> None:
    assert object_name("/a/b/../c/libx.a(y.o)") == "/a/c/libx.a(y.o)"
    assert object_name("/tmp/go-link-123/000004.o") == "cgo:000004.o"


def test_parse_dpkg_search() -> None:
    text = (
        "libsystemd0:amd64: /usr/lib/x86_64-linux-gnu/libsystemd.so.0\n"
        "diversion by foo from: /usr/lib/x\n"
        "libc6-dev:amd64, libc6-dev-i386: /usr/include/x.h\n"
    )
    assert parse_dpkg_search(text) == (
        Owner("libsystemd0", "/usr/lib/x86_64-linux-gnu/libsystemd.so.0"),
        Owner("libc6-dev", "/usr/include/x.h"),
        Owner("libc6-dev-i386", "/usr/include/x.h"),
    )


def test_no_dpkg_no_answer(tmp_path: Path) -> None:
    lookup = dpkg_owners({"PATH": str(tmp_path)})
    assert lookup("*/libc.a") is None


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("dpkg-query") is None, reason="not a Debian system (dpkg-query)")
def test_dpkg_names_the_package_of_an_installed_file() -> None:
    lookup = dpkg_owners(dict(os.environ))
    owners = lookup("*/libc.a")
    assert owners and any(o.package == "libc6-dev" for o in owners)
    assert lookup("*/libgostatic-no-such-library.a") == ()


# --- hazards from the warnings of a link that succeeded -----------------------------------


def test_sqlite_dlopen_is_named_by_package_with_its_remedy() -> None:
    [(kind, detail)] = linker_hazards(SQLITE_WARNING, {SQLITE_DIR: "github.com/mattn/go-sqlite3"})
    assert kind == "dlopen"
    assert detail.startswith("github.com/mattn/go-sqlite3 (sqlite3-binding.c) calls dlopen")
    assert "-tags sqlite_omit_load_extension" in detail


def test_nss_functions_of_one_caller_make_one_hazard() -> None:
    [(kind, detail)] = linker_hazards(PCAP_STATIC)
    assert kind == "nss"
    assert detail.startswith("libpcap.a(nametoaddr.o) calls getaddrinfo, gethostbyname:")
    assert "musl" in detail


def test_an_unknown_caller_gets_no_invented_remedy() -> None:
    [(kind, detail)] = linker_hazards(SQLITE_WARNING)
    assert kind == "dlopen"
    assert detail.startswith("the program's cgo code calls dlopen")
    assert "sqlite_omit_load_extension" not in detail


def test_an_archive_is_named_by_the_package_whose_directory_holds_it() -> None:
    dirs = {
        KAFKA_DIR: "github.com/confluentinc/confluent-kafka-go/v2/kafka",
        DUCKDB_DIR: "github.com/duckdb/duckdb-go-bindings/lib/linux-amd64",
    }
    (dlopen, dl_detail), (nss, nss_detail) = linker_hazards(KAFKA_WARNINGS, dirs)
    assert (dlopen, nss) == ("dlopen", "nss")
    kafka = "github.com/confluentinc/confluent-kafka-go/v2/kafka (librdkafka_glibc_linux_amd64.a("
    assert dl_detail.startswith(kafka + "libcrypto-lib-dso_dlfcn.o)) calls dlopen")
    assert nss_detail.startswith(kafka + "rdaddr.o)) calls getaddrinfo")
    assert all("-tags musl" in d for d in (dl_detail, nss_detail))
    [(kind, detail)] = linker_hazards(DUCKDB_WARNING, dirs)
    assert kind == "nss"
    assert detail.startswith(
        "github.com/duckdb/duckdb-go-bindings/lib/linux-amd64 "
        "(libduckdb_static.a(ub_duckdb_common.cpp.o)) calls getpwuid"
    )
    assert "musl toolchain" in detail  # no remedy of its own: the general one


def test_kinds() -> None:
    assert [kind_of(f) for f in ("dlopen", "dlmopen", "getpwnam", "getaddrinfo")] == [
        "dlopen",
        "dlopen",
        "nss",
        "nss",
    ]


def test_package_of_trimmed_and_plain_paths() -> None:
    dirs = {"/src/m": "example.com/m", SQLITE_DIR: "github.com/mattn/go-sqlite3"}
    assert package_of("/src/m/main.go:8", dirs) == "example.com/m"
    assert package_of("/_/example.com/m/main.go:8", dirs) == "example.com/m"
    trimmed = "/_/github.com/mattn/go-sqlite3@v1.14.53/sqlite3-binding.c:47701"
    assert package_of(trimmed, dirs) == "github.com/mattn/go-sqlite3"
    assert package_of("/elsewhere/x.c:1", dirs) is None


# --- real builds ----------------------------------------------------------------------------

STATIC_LINK = ("-ldflags=-linkmode=external -extldflags=-static",)

CALLS_FIRST = """package main

/*
#cgo LDFLAGS: -L${SRCDIR}/lib -lfirst
int first_value(void);
*/
import "C"
import "fmt"

func main() { fmt.Println(C.first_value()) }
"""


def _go_build(mod: Path, *flags: str, env: dict[str, str] | None = None) -> tuple[int, str]:
    proc = subprocess.run(
        ["go", "build", *flags, "-o", "app", "."],
        cwd=mod,
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    return proc.returncode, proc.stderr


def _archives(lib: Path, sources: dict[str, str], compiler: str = "gcc") -> None:
    """One static archive libNAME.a per C source, made with the C compiler and ar."""
    lib.mkdir(parents=True, exist_ok=True)
    for name, source in sources.items():
        (lib / f"{name}.c").write_text(source)
        obj = lib / f"{name}.o"
        subprocess.run([compiler, "-c", "-o", str(obj), str(lib / f"{name}.c")], check=True)
        subprocess.run(["ar", "rcs", str(lib / f"lib{name}.a"), str(obj)], check=True)


@pytest.fixture
def two_archives(tmp_path: Path) -> Path:
    mod = write_module(tmp_path / "m", {"main.go": CALLS_FIRST})
    _archives(
        mod / "lib",
        {
            "first": "int second_value(void);\n"
            "int first_value(void) { return second_value() + 1; }\n",
            "second": "int second_value(void) { return 41; }\n",
        },
    )
    return mod


@pytest.mark.slow
@requires_go
def test_real_archive_needing_another_archive(two_archives: Path) -> None:
    status, stderr = _go_build(two_archives, *STATIC_LINK)
    assert status != 0
    reason = link_failure_reason(stderr)
    assert reason is not None, stderr
    archive = os.path.normpath(two_archives / "lib" / "libfirst.a")
    assert reason.log.undefined == (Undefined("second_value", f"{archive}(first.o)"),)
    assert reason.log.static
    assert reason.summary.startswith("libfirst.a needs a symbol that no library in the link")
    # The oracle can fail: with the second archive linked, the same program builds.
    linked = {"CGO_LDFLAGS": "-lsecond"}
    assert _go_build(two_archives, *STATIC_LINK, env=linked)[0] == 0


@pytest.mark.slow
@requires_go
@pytest.mark.skipif(shutil.which("ld.lld") is None, reason="ld.lld missing: apt-get install lld")
def test_real_archive_needing_another_archive_with_lld(two_archives: Path) -> None:
    status, stderr = _go_build(two_archives, *STATIC_LINK, env={"CGO_LDFLAGS": "-fuse-ld=lld"})
    assert status != 0
    archive = os.path.normpath(two_archives / "lib" / "libfirst.a")
    assert read_linker_log(stderr).undefined == (Undefined("second_value", f"{archive}(first.o)"),)


@pytest.mark.slow
@requires_go
def test_real_library_that_does_not_exist(tmp_path: Path) -> None:
    main = CALLS_FIRST.replace("-L${SRCDIR}/lib -lfirst", "-lgostaticnosuchlib")
    mod = write_module(tmp_path / "m", {"main.go": main})
    status, stderr = _go_build(mod, *STATIC_LINK)
    assert status != 0
    reason = link_failure_reason(stderr, dpkg_owners(dict(os.environ)))
    assert reason is not None, stderr
    assert reason.log.missing_libraries == ("gostaticnosuchlib",)
    assert reason.summary.startswith(
        "no static archive libgostaticnosuchlib.a for -lgostaticnosuchlib"
    )


@pytest.mark.slow
@requires_go
def test_real_missing_header(tmp_path: Path) -> None:
    main = 'package main\n\n// #include <gostatic/no-such-header.h>\nimport "C"\n\nfunc main() {}\n'
    mod = write_module(tmp_path / "m", {"main.go": main})
    status, stderr = _go_build(mod)
    assert status != 0
    reason = link_failure_reason(stderr, compiler="gcc")
    assert reason is not None, stderr
    assert reason.log.missing_headers == ("gostatic/no-such-header.h",)
    assert reason.summary.startswith(
        "the C compiler (gcc) found no header gostatic/no-such-header.h"
    )


def _libsystemd_without_archive() -> bool:
    lookup = dpkg_owners(dict(os.environ))
    return bool(lookup("*/libsystemd.so.0")) and lookup("*/libsystemd.a") == ()


@pytest.mark.slow
@requires_go
def test_real_library_with_only_a_shared_object(tmp_path: Path) -> None:
    if shutil.which("dpkg-query") is None or not _libsystemd_without_archive():
        pytest.skip("needs Debian with libsystemd0 installed and no libsystemd.a")
    main = CALLS_FIRST.replace("-L${SRCDIR}/lib -lfirst", "-lsystemd")
    mod = write_module(tmp_path / "m", {"main.go": main})
    status, stderr = _go_build(mod, *STATIC_LINK)
    assert status != 0
    reason = link_failure_reason(stderr, dpkg_owners(dict(os.environ)))
    assert reason is not None, stderr
    assert reason.summary.startswith(
        "no static archive libsystemd.a for -lsystemd: only the shared library is installed"
    )
    assert "package libsystemd0" in reason.summary


@pytest.mark.slow
@requires_go
@marked(requires_musl)
def test_real_glibc_archive_linked_against_musl(tmp_path: Path) -> None:
    """As librdkafka's glibc archive under musl-gcc: getcontext is glibc's, not musl's."""
    main = CALLS_FIRST.replace("-lfirst", "-lctx")
    mod = write_module(tmp_path / "m", {"main.go": main})
    source = (
        "#include <ucontext.h>\n"
        "int first_value(void) { ucontext_t c; return getcontext(&c) == 0 ? 42 : 1; }\n"
    )
    _archives(mod / "lib", {"ctx": source})
    assert _go_build(mod, *STATIC_LINK)[0] == 0, "the oracle: glibc links it"
    status, stderr = _go_build(mod, *STATIC_LINK, env={"CC": "musl-gcc"})
    assert status != 0
    log = read_linker_log(stderr)
    archive = os.path.normpath(mod / "lib" / "libctx.a")
    assert Undefined("getcontext", f"{archive}(ctx.o)") in log.undefined
    assert log.linker == "musl-gcc"


WARNS = """package main

/*
#cgo LDFLAGS: -ldl
#include <dlfcn.h>
#include <pwd.h>
#include <stddef.h>
static int load(void) { return dlopen("libm.so.6", RTLD_NOW) != NULL; }
static int who(void) { return getpwnam("root") != NULL; }
*/
import "C"
import "fmt"

func main() { fmt.Println("dlopen", C.load() != 0, "getpwnam", C.who() != 0) }
"""


@pytest.mark.slow
@requires_go
def test_real_static_link_warnings_become_hazards(tmp_path: Path) -> None:
    mod = write_module(tmp_path / "m", {"main.go": WARNS})
    status, stderr = _go_build(mod, "-tags", "netgo,osusergo", *STATIC_LINK)
    assert status == 0, stderr
    listed = subprocess.run(
        ["go", "list", "-json=ImportPath,Dir", "."],
        cwd=mod,
        capture_output=True,
        text=True,
        check=True,
    )
    package = json.loads(listed.stdout)
    hazards = linker_hazards(stderr, {package["Dir"]: package["ImportPath"]})
    assert [kind for kind, _ in hazards] == ["dlopen", "nss"]
    assert all(detail.startswith("example.com/m (main.go) calls") for _, detail in hazards)
    # The oracle: static by readelf, and the calls the warnings name fail in an empty root.
    assert_static_by_readelf(mod / "app")
    ran = run_in_empty_root(mod / "app", tmp_path / "root")
    assert ran.stdout.strip() == "dlopen false getpwnam false", ran.stderr
