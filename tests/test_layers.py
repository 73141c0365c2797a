"""The layers of the package: the model loads no format, and no module imports itself in a circle."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import predreg

PACKAGE = Path(predreg.__file__).parent


def modules_loaded_by(statement: str) -> list[str]:
    """The modules a fresh interpreter holds after running ``statement``."""
    script = f"import sys, json\n{statement}\nprint(json.dumps(sorted(sys.modules)))"
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    return json.loads(result.stdout)


def test_importing_the_model_loads_no_yaml_and_no_other_predreg_module() -> None:
    loaded = modules_loaded_by("import predreg.model")
    assert "yaml" not in loaded
    assert [name for name in loaded if name.startswith("predreg")] == ["predreg", "predreg.fieldtypes", "predreg.model"]


def test_the_field_descriptors_import_only_attrs_and_the_standard_library() -> None:
    tree = ast.parse((PACKAGE / "fieldtypes.py").read_text(encoding="utf-8"))
    imported = {
        alias.name.split(".")[0] for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names
    }
    imported |= {
        node.module.split(".")[0] for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) and node.module
    }
    assert not any(isinstance(node, ast.ImportFrom) and node.level for node in ast.walk(tree))  # nothing of predreg
    assert imported <= {"__future__", "attrs", "typing"}


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _under_type_checking(tree: ast.Module) -> set[ast.AST]:
    """The import statements inside ``if TYPE_CHECKING:``, which never run."""
    hidden: set[ast.AST] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            hidden.update(child for statement in node.body for child in ast.walk(statement))
    return hidden


def _imports(path: Path, modules: set[str]) -> set[str]:
    """The package's modules that ``path`` imports at run time, at any depth (a function's imports too)."""
    name = _module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    tree = ast.parse(path.read_text(encoding="utf-8"))
    hidden = _under_type_checking(tree)
    found: set[str] = set()
    for node in ast.walk(tree):
        if node in hidden:
            continue
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = package.rsplit(".", node.level - 1)[0] if node.level else ""
            module = ".".join(part for part in (base, node.module or "") if part)
            submodules = {f"{module}.{alias.name}" for alias in node.names} & modules  # `from . import plain`
            found.update(submodules)
            if len(submodules) < len(node.names):  # a name the module itself defines (the package face's, say)
                found.add(module)
    return {module for module in found if module in modules and module != name}


def import_graph() -> dict[str, set[str]]:
    """Each module of the package -> the package's modules it imports when it runs."""
    paths = sorted(PACKAGE.rglob("*.py"))
    modules = {_module_name(path) for path in paths}
    return {_module_name(path): _imports(path, modules) for path in paths}


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Every circle of imports, each as the modules around it (depth-first search)."""
    found: list[list[str]] = []
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(module: str) -> None:
        state[module] = 1
        path.append(module)
        for imported in sorted(graph[module]):
            if state.get(imported) == 1:
                found.append([*path[path.index(imported) :], imported])
            elif imported not in state:
                visit(imported)
        path.pop()
        state[module] = 2

    for module in sorted(graph):
        if module not in state:
            visit(module)
    return found


def test_the_cycle_finder_finds_a_circle() -> None:
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c", "a"]]


def test_the_import_graph_sees_a_function_level_import() -> None:
    assert "predreg.authoring_cli" in import_graph()["predreg.cli"]  # imported inside the functions that use it


def test_importing_a_module_from_the_package_is_no_edge_to_the_package_face() -> None:
    graph = import_graph()
    assert "predreg.hookspecs" in graph["predreg.plugins"]  # `from . import hookspecs`
    assert "predreg" not in graph["predreg.plugins"]


def test_no_module_of_the_package_imports_itself_in_a_circle() -> None:
    assert cycles(import_graph()) == []


def test_the_architecture_page_names_every_module_of_the_package() -> None:
    page = (PACKAGE.parent / "docs" / "architecture.md").read_text(encoding="utf-8")
    modules = {path.name for path in PACKAGE.glob("*.py")} - {"__init__.py"}
    modules |= {path.name for path in (PACKAGE / "resolvers").glob("*.py")} - {"__init__.py"}
    assert [name for name in sorted(modules) if f"`{name}`" not in page] == []
