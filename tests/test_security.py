"""What docs/security.md claims about the source: subprocesses get argument lists, never a
shell; and every test the page cites exists."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from tests.support import REPO_ROOT

PACKAGE = REPO_ROOT / "gostatic"
PAGE = REPO_ROOT / "docs" / "security.md"

# Calls that hand a command line to a shell.
_SHELL_CALLS = {
    ("os", "system"),
    ("os", "popen"),
    ("subprocess", "getoutput"),
    ("subprocess", "getstatusoutput"),
}


def _shell_uses(source: str) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.Call):
            continue
        for keyword in node.keywords:
            shell = keyword.arg == "shell"
            if shell and not (isinstance(keyword.value, ast.Constant) and not keyword.value.value):
                found.append(f"line {node.lineno}: shell={ast.unparse(keyword.value)}")
        func = node.func
        called = (
            (func.value.id, func.attr)
            if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name)
            else None
        )
        if called in _SHELL_CALLS:
            found.append(f"line {node.lineno}: {'.'.join(called or ())}")
    return found


def test_the_shell_check_finds_each_way_to_a_shell() -> None:
    source = (
        "import os, subprocess\n"
        "subprocess.run('ls', shell=True)\n"
        "subprocess.run(['ls'], shell=False)\n"
        "os.system('ls')\nos.popen('ls')\nsubprocess.getoutput('ls')\n"
    )
    assert [f.split(":")[1].strip() for f in _shell_uses(source)] == [
        "shell=True",
        "os.system",
        "os.popen",
        "subprocess.getoutput",
    ]


def test_no_module_starts_a_shell() -> None:
    found = {
        str(path.relative_to(REPO_ROOT)): uses
        for path in sorted(PACKAGE.rglob("*.py"))
        if (uses := _shell_uses(path.read_text(encoding="utf-8")))
    }
    assert found == {}


def test_every_test_the_security_page_cites_exists() -> None:
    cited = re.findall(r"(tests/test_\w+\.py)::(test_\w+)", PAGE.read_text(encoding="utf-8"))
    assert len(cited) > 10, cited
    for path, name in cited:
        source = (REPO_ROOT / path).read_text(encoding="utf-8")
        assert re.search(rf"^def {name}\(", source, re.MULTILINE), f"{path}::{name}"
    mentioned = set(re.findall(r"`(tests/test_\w+\.py)`", PAGE.read_text(encoding="utf-8")))
    for path in mentioned:
        assert Path(REPO_ROOT / path).exists(), path
