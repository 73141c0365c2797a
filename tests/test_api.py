"""The plugin author's one module, `predreg.api`, and the hook it serves (as httpx holds its exports)."""

from __future__ import annotations

import ast
import importlib.util
import subprocess
import sys
from pathlib import Path

import predreg
from predreg import api

HOOKSPECS = Path(predreg.__file__).parent / "hookspecs.py"


def test_all_is_exactly_the_public_names_the_module_exposes() -> None:
    # predreg is a pytest plugin, so pytest rewrites its modules and adds `@py_builtins`: not a name
    public = {name for name in vars(api) if not name.startswith("_") and name.isidentifier()}
    assert sorted(api.__all__) == sorted(public)
    assert len(api.__all__) == len(set(api.__all__))


def test_every_exported_name_imports_from_predreg_api_in_a_fresh_interpreter() -> None:
    script = (
        "import predreg.api as api\n"
        "for name in api.__all__:\n"
        "    exec(f'from predreg.api import {name}')\n"
        "namespace = {}\n"
        "exec('from predreg.api import *', namespace)\n"
        "assert set(namespace) - {'__builtins__'} == set(api.__all__), namespace.keys()\n"
    )
    ran = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    assert ran.returncode == 0, ran.stderr


def test_api_exports_what_a_plugin_needs() -> None:
    needed = {"hookimpl", "Register", "Question", "Resolver", "Session", "Verdict", "resolved", "pending", "failed"}
    needed |= {"spec", "Text", "Url", "Integer", "by_deadline", "happened", "fetch_json", "timestamp"}
    assert needed <= set(api.__all__)


def test_api_is_a_face_of_imports_and_its_all() -> None:
    tree = ast.parse(Path(api.__file__).read_text())
    body = [node for node in tree.body if not (isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant))]
    assert all(isinstance(node, ast.ImportFrom) for node in body[:-1])
    assert isinstance(body[-1], ast.Assign) and [t.id for t in body[-1].targets] == ["__all__"]  # type: ignore[attr-defined]


def test_hookspecs_loads_alone_importing_nothing_of_predreg() -> None:
    script = (
        "import importlib.util, sys\n"
        f"spec = importlib.util.spec_from_file_location('hookspecs_alone', {str(HOOKSPECS)!r})\n"
        "module = importlib.util.module_from_spec(spec)\n"
        "spec.loader.exec_module(module)\n"
        "assert hasattr(module, 'predreg_register_resolvers')\n"
        "print(sorted(name for name in sys.modules if name.split('.')[0] == 'predreg'))\n"
    )
    ran = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    assert ran.returncode == 0, ran.stderr
    assert ran.stdout.strip() == "[]"


def test_the_one_hook_is_the_only_one() -> None:
    spec = importlib.util.spec_from_file_location("hookspecs_alone", HOOKSPECS)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    hooks = [name for name in vars(module) if name.startswith("predreg_")]
    assert hooks == ["predreg_register_resolvers"]
