"""Run-time needs read from real Go binaries (gostatic.elf.needs), held to an oracle that owes
nothing to gostatic: each probe program runs in an empty root, where it fails, and again
with the one file or directory its need names, where it succeeds. An embedded variant
(time/tzdata, -tags timetzdata, x509roots/fallback) succeeds without the file and has no
such need."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from gostatic.elf.facts import inspect_elf
from gostatic.elf.needs import NEEDS, binary_needs, remedy
from tests.support import GO, requires_go, run_gostatic, run_in_empty_root, write_module

pytestmark = [pytest.mark.slow, requires_go]


def probe(imports: str, body: str) -> str:
    return f"package main\n\nimport (\n{imports}\n)\n\nfunc main() {{\n{body}\n}}\n"


FAIL = 'if err != nil {\n\t\tfmt.Println(err)\n\t\tos.Exit(1)\n\t}\n\tfmt.Println("ok")'

PROBES = {
    "fmtonly": 'package main\n\nimport "fmt"\n\nfunc main() { fmt.Println("ok") }\n',
    "certs": probe(
        '\t"crypto/x509"\n\t"fmt"\n\t"os"',
        "\tpool, err := x509.SystemCertPool()\n"
        '\tif err == nil && pool.Equal(x509.NewCertPool()) {\n\t\terr = fmt.Errorf("no roots")\n'
        "\t}\n\t" + FAIL,
    ),
    "zone": probe(
        '\t"fmt"\n\t"os"\n\t"time"', '\t_, err := time.LoadLocation("Europe/Berlin")\n\t' + FAIL
    ),
    "zone-embedded": probe(
        '\t"fmt"\n\t"os"\n\t"time"\n\t_ "time/tzdata"',
        '\t_, err := time.LoadLocation("Europe/Berlin")\n\t' + FAIL,
    ),
    "users": probe('\t"fmt"\n\t"os"\n\t"os/user"', '\t_, err := user.LookupId("0")\n\t' + FAIL),
    "hosts": probe(
        '\t"fmt"\n\t"net"\n\t"os"', '\t_, err := net.LookupHost("localhost")\n\t' + FAIL
    ),
    "tmp": probe('\t"fmt"\n\t"os"', '\t_, err := os.CreateTemp("", "probe")\n\t' + FAIL),
}
# name -> (probe, extra go build flags)
BUILDS: dict[str, tuple[str, tuple[str, ...]]] = {name: (name, ()) for name in PROBES}
BUILDS["zone-tag"] = ("zone", ("-tags", "timetzdata"))
BUILDS.update(
    {f"{name}-stripped": (p, (*flags, "-ldflags=-s -w")) for name, (p, flags) in BUILDS.items()}
)
BUILDS["users-cgo"] = ("users", ("-cgo",))  # "-cgo": built with CGO_ENABLED=1

EXPECTED = {
    "fmtonly": (),
    "certs": ("ca-certificates",),
    "zone": ("zoneinfo",),
    "zone-embedded": (),
    "zone-tag": (),
    "users": ("users",),
    "users-cgo": ("users",),
    "hosts": ("hosts",),
    "tmp": ("tmp",),
}


def _copy_file(src: str, root: Path) -> None:
    dest = root / src.lstrip("/")
    dest.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy(src, dest)


def _write(rel: str, text: str) -> Callable[[Path], None]:
    def lay(root: Path) -> None:
        dest = root / rel
        dest.parent.mkdir(parents=True, exist_ok=True)
        dest.write_text(text)

    return lay


# need -> what makes it met in an empty root (the scratch image's file for it).
PROVIDE: dict[str, Callable[[Path], None]] = {
    "ca-certificates": lambda root: _copy_file("/etc/ssl/certs/ca-certificates.crt", root),
    "zoneinfo": lambda root: _copy_file("/usr/share/zoneinfo/Europe/Berlin", root),
    "users": _write("etc/passwd", "root:x:0:0:root:/root:/sbin/nologin\n"),
    "hosts": _write("etc/hosts", "127.0.0.1 localhost\n::1 localhost\n"),
    "tmp": lambda root: (root / "tmp").mkdir(mode=0o1777),
}


class Probes:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.src = write_module(root / "src", {f"{n}/main.go": t for n, t in PROBES.items()})
        self.paths: dict[str, Path] = {}
        with ThreadPoolExecutor(max_workers=2) as pool:
            for name, path in zip(BUILDS, pool.map(self._build, BUILDS), strict=True):
                self.paths[name] = path

    def _build(self, name: str) -> Path:
        program, flags = BUILDS[name]
        env = dict(os.environ, GOTOOLCHAIN="local", GOWORK="off", GOFLAGS="-buildvcs=false")
        env["CGO_ENABLED"] = "1" if "-cgo" in flags else "0"
        out = self.root / "bin" / name
        assert GO is not None
        go_flags = [f for f in flags if f != "-cgo"]
        subprocess.run(
            [GO, "build", "-o", str(out), *go_flags, f"./{program}"],
            cwd=self.src, env=env, check=True, capture_output=True,
        )  # fmt: skip
        return out


@pytest.fixture(scope="module")
def probes(tmp_path_factory: pytest.TempPathFactory) -> Probes:
    return Probes(tmp_path_factory.mktemp("needs"))


def _runs(binary: Path, root: Path, provide: list[str]) -> bool:
    root.mkdir()
    for need in provide:
        PROVIDE[need](root)
    return run_in_empty_root(binary, root).returncode == 0


@pytest.mark.parametrize("name", list(BUILDS))
def test_needs_of_each_probe(probes: Probes, name: str) -> None:
    expected = EXPECTED[name.removesuffix("-stripped")]
    assert inspect_elf(probes.paths[name]).needs == expected
    assert binary_needs(str(probes.paths[name])) == expected


@pytest.mark.parametrize("name", ["fmtonly", "certs", "zone", "zone-embedded", "zone-tag"])
@pytest.mark.parametrize("stripped", ["", "-stripped"])
def test_oracle_embedded_or_met_needs_run_in_an_empty_root(
    probes: Probes, tmp_path: Path, name: str, stripped: str
) -> None:
    binary = probes.paths[name + stripped]
    needs = list(inspect_elf(binary).needs)
    if needs:
        assert not _runs(binary, tmp_path / "bare", []), f"{name} ran without {needs}"
    assert _runs(binary, tmp_path / "met", needs), f"{name} failed with {needs} met"


@pytest.mark.parametrize("name", ["users", "hosts", "tmp"])
def test_oracle_each_need_is_what_the_program_fails_without(
    probes: Probes, tmp_path: Path, name: str
) -> None:
    binary = probes.paths[name]
    (need,) = inspect_elf(binary).needs
    assert not _runs(binary, tmp_path / "bare", [])
    assert _runs(binary, tmp_path / "met", [need])


def test_needs_are_sorted_and_each_has_a_remedy() -> None:
    names = [need.name for need in NEEDS]
    assert names == sorted(names)
    assert set(names) == set(PROVIDE)
    for name in names:
        assert remedy(name) and "\n" not in remedy(name)


def test_binary_needs_of_what_is_not_a_go_binary(tmp_path: Path) -> None:
    ls = shutil.which("ls") or "/bin/ls"
    assert binary_needs(ls) == ()
    empty = tmp_path / "empty"
    empty.touch()
    assert binary_needs(str(empty)) == ()
    with pytest.raises(Exception) as info:
        binary_needs(str(tmp_path / "missing"))
    assert getattr(info.value, "exit_status", None) == 2


def test_without_section_headers_needs_come_from_the_pclntab_header(
    probes: Probes, tmp_path: Path
) -> None:
    data = bytearray(probes.paths["hosts-stripped"].read_bytes())
    assert data[4] == 2 and data[5] == 1, "test assumes a little-endian 64-bit ELF"
    data[0x28:0x30] = bytes(8)  # e_shoff
    data[0x3C:0x40] = bytes(4)  # e_shnum, e_shstrndx
    bare = tmp_path / "bare"
    bare.write_bytes(bytes(data))
    assert inspect_elf(bare).needs == ("hosts",)


FALLBACK = probe(
    '\t"crypto/x509"\n\t"fmt"\n\t"os"\n\t_ "golang.org/x/crypto/x509roots/fallback"',
    "\tpool, err := x509.SystemCertPool()\n"
    '\tif err == nil && pool.Equal(x509.NewCertPool()) {\n\t\terr = fmt.Errorf("no roots")\n'
    "\t}\n\t" + FAIL,
)


def test_fallback_roots_need_no_certificates(tmp_path: Path) -> None:
    src = write_module(tmp_path / "src", {"main.go": FALLBACK}, module="example.com/fb")
    env = dict(os.environ, CGO_ENABLED="0", GOTOOLCHAIN="local", GOWORK="off")
    assert GO is not None
    tidy = subprocess.run(
        [GO, "mod", "tidy"], cwd=src, env=env, capture_output=True, text=True, check=False
    )
    if tidy.returncode != 0:
        pytest.skip(f"golang.org/x/crypto/x509roots/fallback is not available: {tidy.stderr}")
    out = tmp_path / "fb"
    subprocess.run([GO, "build", "-o", str(out), "."], cwd=src, env=env, check=True)
    assert inspect_elf(out).needs == ()
    assert _runs(out, tmp_path / "bare", [])


def test_verify_shows_needs_with_their_remedies(probes: Probes, tmp_path: Path) -> None:
    binary = str(probes.paths["hosts-stripped"])
    env = dict(os.environ, GOSTATIC_CACHE_DIR=str(tmp_path / "cache"))
    text = run_gostatic(["verify", binary], tmp_path, env)
    assert text.returncode == 0, text.stderr
    assert "needs: hosts" in text.stdout
    assert f"{binary}: needs hosts: {remedy('hosts')}" in text.stdout
    doc = json.loads(run_gostatic(["verify", "--json", binary], tmp_path, env).stdout)
    assert doc["files"][0]["needs"] == ["hosts"]
