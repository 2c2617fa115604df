"""Under --json every run prints one JSON document on stdout, a failed one included: the
keys of the command's contract, what was known, and an "error" with the message and the
exit status (docs/json.md). Each command with --json, real processes; the full-disk case
is in tests/test_faults.py."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from pathlib import Path

import pytest

from gostatic.report import JSON_COMMANDS, empty_document
from tests.support import (
    GO,
    SEED_FMT,
    gostatic_command,
    requires_go,
    run_gostatic,
    write_module,
)

pytestmark = [pytest.mark.slow, requires_go]

BROKEN = "package main\n\nfunc main() { undefined() }\n"


@pytest.fixture
def module(tmp_path: Path) -> Path:
    return write_module(tmp_path / "m", {"hello/main.go": SEED_FMT, "broken/main.go": BROKEN})


def _one_document(stdout: str) -> dict[str, object]:
    """stdout as exactly one JSON object (json.loads refuses anything after it)."""
    document = json.loads(stdout)
    assert isinstance(document, dict)
    return document


def _failure(stdout: str, command: str, status: int) -> str:
    """The document of a failed run: the contract's keys and an error; its message."""
    document = _one_document(stdout)
    assert set(document) == {*empty_document(command), "error"}, document
    assert document["version"] == 1
    error = document["error"]
    assert isinstance(error, dict) and set(error) == {"message", "exit_status"}
    assert error["exit_status"] == status
    assert isinstance(error["message"], str) and error["message"]
    return error["message"]


# Each command with --json, given a usage error of its own parser or of typer's.
USAGE_ERRORS = {
    "build": ["build", "--json", "-frobnicate", "./hello"],
    "build, option after the packages": ["build", "-o", "x", "./hello", "--json"],
    "verify": ["verify", "--json"],
    "explain": ["explain", "--json", "-frobnicate", "./hello"],
    "matrix": ["matrix", "--json", "--modes", "nonsense", "./hello"],
    "matrix, missing value": ["matrix", "./hello", "--json", "--modes"],
    "cache show": ["cache", "show", "--json", "--no-such-option"],
    "image": ["image", "--json", "--output", "tar:nowhere", "./hello"],
}


@pytest.mark.parametrize("argv", USAGE_ERRORS.values(), ids=USAGE_ERRORS.keys())
def test_a_usage_error_prints_the_commands_document_with_the_error(
    module: Path, gostatic_env: dict[str, str], argv: list[str]
) -> None:
    run = run_gostatic(argv, module, gostatic_env)
    assert run.returncode == 2, run.stderr
    command = "cache show" if argv[0] == "cache" else argv[0]
    message = _failure(run.stdout, command, 2)
    assert run.stderr == f"gostatic: {message}\n"


@pytest.mark.parametrize(
    "argv",
    [
        ["build", "--json", "-o", "x", "./hello"],
        ["explain", "--json", "./hello"],
        ["matrix", "--json", "--modes", "auto", "./hello"],
    ],
    ids=["build", "explain", "matrix"],
)
def test_go_missing_prints_the_document_with_the_error(
    module: Path, gostatic_env: dict[str, str], argv: list[str]
) -> None:
    env = {k: v for k, v in gostatic_env.items() if k != "GOSTATIC_GO"}
    env["PATH"] = str(module)  # nothing there is called go
    run = run_gostatic(argv, module, env)
    assert run.returncode == 1, run.stderr
    assert "go: command not found" in _failure(run.stdout, argv[0], 1)


def test_a_compile_error_prints_the_results_and_the_error(
    module: Path, gostatic_env: dict[str, str]
) -> None:
    run = run_gostatic(["build", "--json", "-o", "x", "./broken"], module, gostatic_env)
    assert run.returncode == 1
    message = _failure(run.stdout, "build", 1)
    assert "undefined: undefined" in message
    [result] = _one_document(run.stdout)["results"]  # type: ignore[misc]
    assert result["package"] == "example.com/m/broken" and result["static"] is False


def test_a_package_go_cannot_find_prints_gos_message_as_the_error(
    module: Path, gostatic_env: dict[str, str]
) -> None:
    run = run_gostatic(["build", "--json", "./no-such-dir"], module, gostatic_env)
    assert run.returncode == 1
    assert "no-such-dir" in _failure(run.stdout, "build", 1)


def _slow_go(directory: Path) -> tuple[Path, Path]:
    """A go whose builds hang (until stopped) once they have said so in a marker file."""
    assert GO is not None
    marker = directory / "building"
    wrapper = directory / "slow-go"
    wrapper.write_text(
        "#!/bin/sh\n"
        f'if [ "$1" = build ]; then echo started > "{marker}"; exec sleep 600; fi\n'
        f'exec "{GO}" "$@"\n'
    )
    wrapper.chmod(0o755)
    return wrapper, marker


def test_ctrl_c_prints_the_document_with_the_error(
    module: Path, tmp_path: Path, gostatic_env: dict[str, str]
) -> None:
    wrapper, marker = _slow_go(tmp_path)
    command, env = gostatic_command({**gostatic_env, "GOSTATIC_GO": str(wrapper)})
    proc = subprocess.Popen(
        [*command, "build", "--json", "-o", "x", "./hello"],
        cwd=module,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 120
        while not marker.exists() and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)
        assert marker.exists(), "go build never started"
        proc.send_signal(signal.SIGINT)  # as Ctrl-C does, to gostatic
        out, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == 130, err
    assert _failure(out, "build", 130) == "interrupted"
    assert "Traceback" not in err
    assert not (module / "x").exists()


def _success_documents(module: Path, env: dict[str, str]) -> dict[str, dict[str, object]]:
    build = run_gostatic(["build", "--json", "-o", "x", "./hello"], module, env)
    assert build.returncode == 0, build.stderr
    runs = {
        "build": build,
        "verify": run_gostatic(["verify", "--json", "x"], module, env),
        "explain": run_gostatic(["explain", "--json", "./hello"], module, env),
        "matrix": run_gostatic(["matrix", "--json", "--modes", "auto", "./hello"], module, env),
        "cache show": run_gostatic(["cache", "show", "--json"], module, env),
        "image": run_gostatic(
            ["image", "--json", "--output", f"oci:{module / 'layout'}", "./hello"], module, env
        ),
    }
    for name, run in runs.items():
        assert run.returncode == 0, (name, run.stderr)
    return {name: _one_document(run.stdout) for name, run in runs.items()}


def test_a_failure_document_has_the_keys_of_the_commands_contract(
    module: Path, gostatic_env: dict[str, str]
) -> None:
    documents = _success_documents(module, gostatic_env)
    assert set(documents) == set(JSON_COMMANDS)
    for name, document in documents.items():
        assert set(document) == set(empty_document(name)), name  # no "error" on success


def test_a_full_stdout_is_not_a_traceback(module: Path, gostatic_env: dict[str, str]) -> None:
    """stdout on /dev/full: the document cannot be written; the error still can."""
    command, env = gostatic_command(gostatic_env)
    if not os.path.exists("/dev/full"):
        pytest.skip("no /dev/full here")
    with open("/dev/full", "w") as full:
        proc = subprocess.run(
            [*command, "build", "--json", "-frobnicate", "./hello"],
            cwd=module,
            env=env,
            stdout=full,
            stderr=subprocess.PIPE,
            text=True,
            check=False,
        )
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stderr
    assert "unknown flag -frobnicate" in proc.stderr
