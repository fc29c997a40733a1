"""Dependencies run one way: every module imports its own layer or lower ones, and says so at its top.

Layers, lowest first: the export contract and reference data ← expectations ← etl ← etl.simulate ← warehouse
← the command-line entry points ← dashboard ← pages and app.py. Parsed with ast, nothing is imported.
"""
from __future__ import annotations

import ast
import subprocess
import sys
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import pytest

from tests.conftest import ROOT

PACKAGES = ("etl", "expectations", "warehouse", "dashboard", "pages")

# (layer, module prefixes), lowest first. A module belongs to the layer of its longest matching prefix.
LAYERS = [
    ("contract", ("etl.contract", "etl.reference")),     # the export contract and the bundled reference data
    ("expectations", ("expectations",)),                  # GX suites built from the contract; marts' key columns
    ("etl", ("etl",)),                                    # read, normalise, validate, land into an open warehouse
    ("simulate", ("etl.simulate",)),                      # demo exports: a tool on top of the ETL's reader and places
    ("warehouse", ("warehouse",)),                        # models, publish, scoring
    ("commands", ()),                                     # python -m etl / etl.simulate / warehouse: composition roots
    ("dashboard", ("dashboard",)),                        # queries, charts and the Streamlit frame
    ("pages", ("pages", "app")),                          # the Streamlit pages and the router app.py
]
RANK = {name: i for i, (name, _) in enumerate(LAYERS)}
ENTRY_POINTS = {"etl.__main__": "commands", "etl.simulate.__main__": "commands", "warehouse.__main__": "commands",
                "app": "pages"}

# Project imports made inside a function (or through importlib) hide a dependency from the top of the module;
# each one here says why it has to be so. module → {imported: reason}; "<dynamic>" is a name only known at run time.
# Great Expectations needs no entry: its ~3 s import is deferred inside etl/validate.py and the expectations
# package's builders, and it is not a project import (test_the_publish_step_does_not_import_great_expectations).
HIDDEN_IMPORTS_ALLOWED = {
    "expectations": {
        "expectations": "importlib.import_module(f'expectations.{key}'): the dataset's own module in this package, "
                        "named by the dataset key (its MART and any extra expectations)",
    },
    "dashboard.frame": {
        "<dynamic>": "_cached re-imports by name the module of a query function the caller already holds (the "
                     "cache key must be hashable, a function is not): it adds no dependency",
    },
}


@dataclass(frozen=True)
class Import:
    module: str       # the importing module
    target: str       # the project module imported ("<dynamic>" when only known at run time)
    line: int
    hidden: bool      # inside a function, or through importlib / __import__


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def project_modules() -> dict[str, Path]:
    files = [p for pkg in PACKAGES for p in sorted((ROOT / pkg).rglob("*.py"))] + [ROOT / "app.py"]
    return {module_name(p): p for p in files}


def is_project(name: str) -> bool:
    return name.split(".")[0] in (*PACKAGES, "app")


def imports_of(module: str, path: Path, known: set[str]) -> list[Import]:
    is_package = path.name == "__init__.py"
    found: list[Import] = []

    def resolve_from(node: ast.ImportFrom) -> list[str]:
        base = node.module or ""
        if node.level:
            package = module.split(".") if is_package else module.split(".")[:-1]
            package = package[:len(package) - (node.level - 1)]
            base = ".".join([*package, *([base] if base else [])])
        return [f"{base}.{a.name}" if f"{base}.{a.name}" in known else base for a in node.names]

    def dynamic_target(call: ast.Call) -> str | None:
        func = call.func
        name = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else None
        if name not in ("import_module", "__import__") or not call.args:
            return None
        arg = call.args[0]
        if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
            return arg.value
        if isinstance(arg, ast.JoinedStr) and arg.values and isinstance(arg.values[0], ast.Constant):
            prefix = str(arg.values[0].value)
            return prefix.rsplit(".", 1)[0] if "." in prefix else "<dynamic>"
        return "<dynamic>"

    def visit(node: ast.AST, in_function: bool) -> None:
        for child in ast.iter_child_nodes(node):
            inside = in_function or isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda))
            if isinstance(child, ast.Import):
                targets = [a.name for a in child.names]
            elif isinstance(child, ast.ImportFrom):
                targets = resolve_from(child)
            elif isinstance(child, ast.Call) and (target := dynamic_target(child)) is not None:
                if target == "<dynamic>" or is_project(target):
                    found.append(Import(module, target, child.lineno, True))
                targets = []
            else:
                targets = []
            found.extend(Import(module, t, child.lineno, inside) for t in targets if is_project(t))
            visit(child, inside)

    visit(ast.parse(path.read_text(encoding="utf-8"), str(path)), False)
    return found


def layer_of(module: str) -> str:
    if module in ENTRY_POINTS:
        return ENTRY_POINTS[module]
    best = max(((len(prefix), name) for name, prefixes in LAYERS for prefix in prefixes
                if module == prefix or module.startswith(prefix + ".")), default=None)
    if best is None:
        raise AssertionError(f"{module} belongs to no layer: add it to LAYERS in tests/test_layers.py")
    return best[1]


@cache
def _tree_imports() -> tuple[Import, ...]:
    modules = project_modules()
    return tuple(i for module, path in modules.items() for i in imports_of(module, path, set(modules)))


def all_imports(extra: dict[str, Path] | None = None) -> list[Import]:
    """Every project import of every module; `extra` adds modules (name → file) as if they were in the tree."""
    known = set(project_modules()) | set(extra or {})
    return [*_tree_imports(), *(i for module, path in (extra or {}).items() for i in imports_of(module, path, known))]


def upward(imports: list[Import]) -> list[str]:
    problems = []
    for i in imports:
        if i.target == "<dynamic>":
            continue
        if i.target in ENTRY_POINTS or i.target.endswith(".__main__"):
            problems.append(f"{i.module}:{i.line} imports the entry point {i.target}")
        elif RANK[layer_of(i.target)] > RANK[layer_of(i.module)]:
            problems.append(f"{i.module}:{i.line} ({layer_of(i.module)}) imports {i.target} "
                            f"({layer_of(i.target)}, a higher layer)")
    return problems


def hidden(imports: list[Import]) -> list[str]:
    return [f"{i.module}:{i.line} imports {i.target} inside a function or through importlib"
            for i in imports if i.hidden and i.target not in HIDDEN_IMPORTS_ALLOWED.get(i.module, {})]


def test_every_module_is_found_and_placed_in_a_layer():
    modules = project_modules()
    assert {"etl.contract", "etl.load", "expectations", "warehouse.publish", "dashboard.frame", "pages.overview",
            "app", "etl.__main__"} <= set(modules)
    for module in modules:
        layer_of(module)


def test_no_module_imports_a_higher_layer():
    assert upward(all_imports()) == []


def test_no_project_import_is_hidden_inside_a_function():
    assert hidden(all_imports()) == []


def test_every_allowed_hidden_import_is_still_there():
    """The allow-list shrinks with the code: an exception nobody needs any more goes."""
    used = {(i.module, i.target) for i in all_imports() if i.hidden}
    allowed = {(m, t) for m, targets in HIDDEN_IMPORTS_ALLOWED.items() for t in targets}
    assert allowed - used == set()


def test_the_etl_does_not_import_the_warehouse_and_the_layers_are_where_the_brief_says():
    imports = all_imports()
    etl = [i for i in imports if layer_of(i.module) in ("contract", "etl", "simulate")]
    assert [i for i in etl if i.target.split(".")[0] in ("warehouse", "dashboard", "pages")] == []
    assert "warehouse.publish" in {i.target for i in imports if i.module == "etl.__main__"}  # a composition root
    assert layer_of("etl.contract") == layer_of("etl.reference") == "contract"
    assert RANK["etl"] < RANK["simulate"] < RANK["warehouse"] < RANK["dashboard"]


@pytest.mark.parametrize("source,problem", [
    ("from warehouse.build import build_models\n", "a higher layer"),                       # etl → warehouse
    ("from dashboard import db\n", "a higher layer"),                                       # etl → dashboard
    ("import etl.__main__\n", "imports the entry point"),                                   # a composition root
    ("def f():\n    from etl.read import read_file\n", "inside a function"),              # a hidden import
    ("import importlib\nX = importlib.import_module('warehouse.build')\n", "a higher layer"),  # via importlib
    ("import importlib\n\ndef f(name):\n    return importlib.import_module(name)\n", "inside a function"),
])
def test_a_planted_violation_is_caught(tmp_path, source, problem):
    """A module of etl written with the violation (in a temporary file, the tree is not touched) is reported."""
    planted = tmp_path / "planted.py"
    planted.write_text(source, encoding="utf-8")
    imports = all_imports({"etl._planted": planted})
    problems = [p for p in upward(imports) + hidden(imports) if p.startswith("etl._planted:")]
    assert any(problem in p for p in problems), problems
    assert upward(all_imports()) + hidden(all_imports()) == []  # and only the planted module was at fault


def test_the_publish_step_does_not_import_great_expectations():
    """GX takes ~3 s to import: the publish step and the marts' key check run without it."""
    code = ("import sys, expectations, warehouse.publish, etl.load, etl.validate\n"
            "from etl.contract import DATASETS\n"
            "assert all(expectations.mart_of(k) for k in DATASETS)\n"
            "print('great_expectations' in sys.modules)")
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "False"


def test_every_test_file_with_a_module_fixture_runs_on_one_worker():
    """A module-scoped fixture spread over xdist workers is built once per worker: such a file is one load group."""
    from tests.conftest import SHARED_FIXTURE_GROUPS

    decorator = "@pytest.fixture(scope=" + '"module"'  # written in two parts so this file does not match itself
    with_module_fixtures = {p.name for p in (ROOT / "tests").glob("test_*.py")
                            if decorator in p.read_text(encoding="utf-8")}
    assert with_module_fixtures == set(SHARED_FIXTURE_GROUPS)
