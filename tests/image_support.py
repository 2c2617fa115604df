"""Support for the image tests: the probe program, and oracles that owe nothing to
gostatic: skopeo, umoci, podman, Debian's docker-registry, GNU tar, and a run in a chroot
as the image's user."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.support import GO, QEMU_AARCH64

# Each check prints "ok NAME" or "FAIL NAME: why"; the exit status is 1 if any failed.
# NAME is the run-time need the check depends on.
PROBE = """package main

import (
	"crypto/x509"
	"fmt"
	"net"
	"os"
	"os/user"
	"time"
)

func check(name string, err error) bool {
	if err != nil {
		fmt.Printf("FAIL %s: %v\\n", name, err)
		return false
	}
	fmt.Printf("ok %s\\n", name)
	return true
}

func lookupHosts() error {
	addrs, err := net.LookupHost("localhost")
	if err == nil && len(addrs) == 0 {
		err = fmt.Errorf("no addresses")
	}
	return err
}

func lookupUsers() error {
	u, err := user.Current()
	if err != nil {
		return err
	}
	if u.Uid != "65532" || u.Username != "nonroot" {
		return fmt.Errorf("current user is %s (%q)", u.Uid, u.Username)
	}
	_, err = user.LookupGroupId("65532")
	return err
}

func loadZone() error {
	_, err := time.LoadLocation("Europe/Berlin")
	return err
}

func createTemp() error {
	f, err := os.CreateTemp("", "probe")
	if err != nil {
		return err
	}
	f.Close()
	return os.Remove(f.Name())
}

func systemRoots() error {
	pool, err := x509.SystemCertPool()
	if err == nil && len(pool.Subjects()) == 0 {
		err = fmt.Errorf("no system roots")
	}
	return err
}

func main() {
	ok := check("hosts", lookupHosts())
	ok = check("users", lookupUsers()) && ok
	ok = check("zoneinfo", loadZone()) && ok
	ok = check("tmp", createTemp()) && ok
	ok = check("ca-certificates", systemRoots()) && ok
	if !ok {
		os.Exit(1)
	}
}
"""
ALL_NEEDS = ("ca-certificates", "hosts", "tmp", "users", "zoneinfo")
NONROOT = "65532:65532"

SKOPEO = shutil.which("skopeo")
UMOCI = shutil.which("umoci")
PODMAN = shutil.which("podman")
RUNC = shutil.which("runc")
REGISTRY = shutil.which("docker-registry")
CHROOT = shutil.which("chroot") or "/usr/sbin/chroot"
UNSHARE = shutil.which("unshare") or "/usr/bin/unshare"


def _tool(present: bool, package: str) -> list[pytest.MarkDecorator]:
    return [
        pytest.mark.image,
        pytest.mark.skipif(not present, reason=f"{package} missing: apt-get install {package}"),
    ]


requires_skopeo = _tool(SKOPEO is not None, "skopeo")
requires_umoci = _tool(UMOCI is not None, "umoci")
requires_podman = _tool(PODMAN is not None and RUNC is not None, "podman runc")
requires_registry = _tool(REGISTRY is not None, "docker-registry")
requires_root = pytest.mark.skipif(
    os.geteuid() != 0, reason="runs the probe as user 65532 through chroot, which needs root"
)


def build_probe(directory: Path, goarch: str = "amd64") -> Path:
    """The probe as a static binary (CGO_ENABLED=0: pure Go resolver and user lookup)."""
    assert GO is not None
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "go.mod").write_text("module example.com/probe\n\ngo 1.21\n")
    (directory / "main.go").write_text(PROBE)
    out = directory / f"probe-{goarch}"
    env = {**os.environ, "CGO_ENABLED": "0", "GOOS": "linux", "GOARCH": goarch}
    subprocess.run([GO, "build", "-o", str(out), "."], cwd=directory, env=env, check=True)
    return out


def run_as_nonroot(root: Path, *, qemu: bool = False) -> subprocess.CompletedProcess[str]:
    """/app of the tree ``root``, run in a chroot as 65532:65532 with an empty environment
    and a network namespace of its own (no DNS server can answer for /etc/hosts)."""
    command = ["/app"]
    if qemu:
        assert QEMU_AARCH64 is not None
        shutil.copy2(QEMU_AARCH64, root / "qemu-aarch64-static")
        command = ["/qemu-aarch64-static", "/app"]
    return subprocess.run(
        [UNSHARE, "--net", CHROOT, f"--userspec={NONROOT}", str(root), *command],
        env={},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def probe_verdicts(run: subprocess.CompletedProcess[str]) -> dict[str, bool]:
    """{need: passed} from the probe's lines."""
    verdicts = {}
    for line in run.stdout.splitlines():
        word, _, rest = line.partition(" ")
        verdicts[rest.split(":", 1)[0]] = word == "ok"
    return verdicts


def skopeo(*args: str) -> str:
    assert SKOPEO is not None
    done = subprocess.run([SKOPEO, *args], capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stderr
    return done.stdout


def skopeo_json(*args: str) -> dict[str, object]:
    document = json.loads(skopeo(*args))
    assert isinstance(document, dict)
    return document


def umoci_unpack(layout: Path, tag: str, bundle: Path) -> Path:
    """The image's root filesystem as umoci unpacks it (a runtime bundle's rootfs)."""
    assert UMOCI is not None
    subprocess.run(
        [UMOCI, "unpack", "--image", f"{layout}:{tag}", str(bundle)],
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    return bundle / "rootfs"


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@contextmanager
def registry_on_loopback(directory: Path) -> Iterator[str]:
    """Debian's docker-registry serving on 127.0.0.1 from ``directory``: yields HOST:PORT."""
    assert REGISTRY is not None
    address = f"127.0.0.1:{_free_port()}"
    config = directory / "registry.yml"
    config.write_text(
        "version: 0.1\nlog:\n  level: error\nstorage:\n  filesystem:\n"
        f"    rootdirectory: {directory / 'data'}\nhttp:\n  addr: {address}\n"
    )
    log = (directory / "registry.log").open("w")
    server = subprocess.Popen([REGISTRY, "serve", str(config)], stdout=log, stderr=log)
    try:
        _wait_for(f"http://{address}/v2/", server)
        yield address
    finally:
        server.terminate()
        server.wait(timeout=30)
        log.close()


def _wait_for(url: str, server: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if server.poll() is not None:
            pytest.fail(f"docker-registry exited with status {server.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except (urllib.error.URLError, OSError):
            time.sleep(0.2)
    pytest.fail(f"docker-registry did not answer on {url}")


def registry_digest(address: str, name: str, tag: str, media_type: str) -> str:
    """The digest the registry itself reports for NAME:TAG (Docker-Content-Digest)."""
    request = urllib.request.Request(
        f"http://{address}/v2/{name}/manifests/{tag}", method="HEAD", headers={"Accept": media_type}
    )
    with urllib.request.urlopen(request, timeout=30) as answer:
        return str(answer.headers["Docker-Content-Digest"])


@contextmanager
def podman_store(tmp: Path) -> Iterator[Callable[..., subprocess.CompletedProcess[str]]]:
    """podman with a store private to the test: yields a function that runs
    ``podman ARGS``. As root here podman needs no default ulimits, cgroupfs, and runc (crun
    fails on cgroups in these machines); its run root must be a short path (50 characters
    at most), so it lives in /tmp and is removed afterwards."""
    assert PODMAN is not None
    conf = tmp / "containers.conf"
    conf.write_text('[containers]\ndefault_ulimits = []\n\n[engine]\ncgroup_manager = "cgroupfs"\n')
    run_root = tempfile.mkdtemp(prefix="podman-", dir="/tmp")
    store = ["--root", str(tmp / "store"), "--runroot", run_root, "--storage-driver", "vfs"]

    def podman(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [PODMAN, *store, *args],
            env={**os.environ, "CONTAINERS_CONF": str(conf)},
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )

    try:
        yield podman
    finally:
        shutil.rmtree(run_root, ignore_errors=True)
