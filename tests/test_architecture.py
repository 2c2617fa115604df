"""The package's shape, read from its source with ast: no import cycle between gostatic's
modules, no module over 450 lines or function over 50, and an architecture page that
names only modules that exist."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator, Mapping
from pathlib import Path

import pytest

from tests.support import REPO_ROOT

PACKAGE = REPO_ROOT / "gostatic"
ARCHITECTURE_PAGE = REPO_ROOT / "docs" / "architecture.md"
MAX_MODULE_LINES = 450
MAX_FUNCTION_LINES = 50
# Files gostatic reads and writes whose names look like dotted module names.
FILE_NAMES = frozenset({"gostatic.toml", "gostatic.mk", "gostatic.yml"})


def modules_of(package: Path) -> dict[str, Path]:
    """Every module of ``package`` by dotted name (a package by its own name)."""
    found = {}
    for path in sorted(package.rglob("*.py")):
        parts = path.relative_to(package.parent).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        found[".".join(parts)] = path
    return found


def _imported_names(module: str, path: Path) -> Iterator[str]:
    """Every name an import statement of the module names, wherever the statement is
    (module level, a function, ``if TYPE_CHECKING``); relative imports made absolute.
    ``from X import y`` names both X and X.y, which may be a module."""
    package = module.split(".") if path.name == "__init__.py" else module.split(".")[:-1]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - (node.level - 1)]
                source = ".".join([*base, *([node.module] if node.module else [])])
            else:
                source = node.module or ""
            yield source
            yield from (f"{source}.{alias.name}" for alias in node.names)


def _known_prefix(name: str, modules: Mapping[str, Path]) -> str | None:
    """The longest dotted prefix of ``name`` that is one of ``modules``."""
    parts = name.split(".")
    for end in range(len(parts), 0, -1):
        candidate = ".".join(parts[:end])
        if candidate in modules:
            return candidate
    return None


def import_graph(package: Path) -> dict[str, set[str]]:
    """Module -> the modules of the same package it imports."""
    modules = modules_of(package)
    graph: dict[str, set[str]] = {m: set() for m in modules}
    for module, path in modules.items():
        for name in _imported_names(module, path):
            target = _known_prefix(name, modules)
            if target is not None and target != module:
                graph[module].add(target)
    return graph


def cycles(graph: Mapping[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan's algorithm,
    iterative): each is a set of modules that import each other, directly or not."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    for start in sorted(graph):
        if start in index:
            continue
        work = [(start, iter(sorted(graph[start])))]
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph[child]))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
    return found


def _write_package(root: Path, files: Mapping[str, str], name: str = "pkg") -> Path:
    for relative, text in files.items():
        path = root / name / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root / name


@pytest.mark.parametrize(
    "files",
    [
        {"__init__.py": "", "a.py": "import pkg.b\n", "b.py": "from pkg import a\n"},
        # relative, and inside a function
        {
            "__init__.py": "",
            "a.py": "from . import b\n",
            "b.py": "def f():\n    from .a import x\n",
        },
        # through a subpackage and three modules
        {
            "__init__.py": "",
            "a.py": "from pkg.sub.c import y\n",
            "sub/__init__.py": "",
            "sub/c.py": "from ..b import z\n",
            "b.py": "if False:\n    import pkg.a as a\n",
        },
        # a package importing its module, which imports the package
        {"__init__.py": "from pkg import a\n", "a.py": "from pkg import thing\n"},
    ],
)
def test_the_cycle_check_finds_each_kind_of_import(tmp_path: Path, files: dict[str, str]) -> None:
    assert cycles(import_graph(_write_package(tmp_path, files)))


def test_the_cycle_check_passes_a_one_way_package(tmp_path: Path) -> None:
    package = _write_package(
        tmp_path,
        {"__init__.py": "", "a.py": "from pkg.b import x\nimport os\n", "b.py": "import pkg\n"},
    )
    assert import_graph(package) == {"pkg": set(), "pkg.a": {"pkg.b"}, "pkg.b": {"pkg"}}
    assert cycles(import_graph(package)) == []


def test_no_import_cycle_between_gostatics_modules() -> None:
    found = cycles(import_graph(PACKAGE))
    assert found == [], "modules that import each other: " + "; ".join(map(" <-> ".join, found))


def test_no_module_is_long() -> None:
    long = {
        name: lines
        for name, path in modules_of(PACKAGE).items()
        if (lines := len(path.read_text(encoding="utf-8").splitlines())) > MAX_MODULE_LINES
    }
    assert long == {}, f"modules over {MAX_MODULE_LINES} lines"


def test_no_function_is_long() -> None:
    long = {}
    for name, path in modules_of(PACKAGE).items():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                lines = (node.end_lineno or node.lineno) - node.lineno + 1
                if lines > MAX_FUNCTION_LINES:
                    long[f"{name}.{node.name} (line {node.lineno})"] = lines
    assert long == {}, f"functions over {MAX_FUNCTION_LINES} lines"


def _top_level_names(path: Path) -> set[str]:
    names = set()
    for node in ast.parse(path.read_text(encoding="utf-8")).body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, (ast.Assign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            names.update(t.id for t in targets if isinstance(t, ast.Name))
    return names


def unknown_names(text: str, package: Path) -> list[str]:
    """The ``gostatic.x`` names in ``text`` that are neither a module of ``package`` nor a
    name defined at the top of one (``gostatic.x.Name``)."""
    modules = modules_of(package)
    unknown = []
    for name in sorted(set(re.findall(r"\bgostatic(?:\.[A-Za-z_]\w*)+", text))):
        if name in modules or name in FILE_NAMES:
            continue
        module = _known_prefix(name, modules)
        rest = name[len(module) + 1 :].split(".") if module else []
        if module is None or len(rest) != 1 or rest[0] not in _top_level_names(modules[module]):
            unknown.append(name)
    return unknown


def test_the_name_check_tells_modules_from_what_is_not(tmp_path: Path) -> None:
    package = _write_package(
        tmp_path,
        {"__init__.py": "", "a.py": "LIMIT = 1\n", "sub/__init__.py": "", "sub/b.py": ""},
        name="gostatic",
    )
    text = "`gostatic.a`, gostatic.sub.b, gostatic.a.LIMIT, gostatic.toml; gostatic.c, gostatic.a.x"
    assert unknown_names(text, package) == ["gostatic.a.x", "gostatic.c"]


def test_the_architecture_page_names_only_modules_that_exist() -> None:
    if not ARCHITECTURE_PAGE.exists():
        pytest.skip("docs/architecture.md is not written yet")
    text = ARCHITECTURE_PAGE.read_text(encoding="utf-8")
    assert re.search(r"\bgostatic\.\w", text), "the page names no module"
    assert unknown_names(text, PACKAGE) == []
