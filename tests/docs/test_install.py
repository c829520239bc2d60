"""Runtime dependencies are what the package imports at run time, and it runs without the optional ones."""

from __future__ import annotations

import ast
import os
import re
import subprocess
import sys
import tomllib

from tests.docs._examples import ROOT

PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
#: Import name -> distribution name, where they differ.
DISTRIBUTION = {"distributed": "dask"}
#: Modules that run only under pytest (the plugin, the assertion strategies, the conformance parametrizer):
#: they may import the test extra's packages.
TEST_TOOLS = {"pytest", "hypothesis"}
#: Used only by the tests and bench/, never by the package (matplotlib is a runtime dependency: it draws the report's figures).
TEST_ONLY = {"fairlearn", "sklearn", "jsonschema"}
RUNTIME_SOURCES = [p for top in ("audit", "scorers") for p in sorted((ROOT / top).rglob("*.py"))]


def _name(requirement: str) -> str:
    return re.split(r"[\[<>=!~; ]", requirement, maxsplit=1)[0].lower().replace("_", "-")


def _imports() -> dict[str, set[str]]:
    """Third-party top-level module -> the files importing it (anywhere in the file)."""
    local = {"audit", "scorers"}
    found: dict[str, set[str]] = {}
    for path in RUNTIME_SOURCES:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            else:
                continue
            for name in names:
                top = name.split(".")[0]
                if top not in sys.stdlib_module_names and top not in local:
                    found.setdefault(top, set()).add(path.relative_to(ROOT).as_posix())
    return found


def test_runtime_dependencies_are_exactly_the_third_party_imports():
    imported = {DISTRIBUTION.get(m, m).lower() for m in _imports()} - TEST_TOOLS
    declared = {_name(r) for r in PYPROJECT["project"]["dependencies"]}
    optional = {_name(r) for r in PYPROJECT["project"]["optional-dependencies"]["dask"]}
    assert imported - declared - optional == set(), "imported at run time but not declared"
    assert declared - imported == set(), "declared as a runtime dependency but never imported by the package"


def test_test_only_packages_are_in_the_test_extra_and_never_imported_by_the_package():
    imports = _imports()
    assert {m: imports[m] for m in TEST_ONLY if m in imports} == {}
    test = {_name(r) for r in PYPROJECT["project"]["optional-dependencies"]["test"]}
    assert {"fairlearn", "dask", "pytest", "hypothesis", "jsonschema"} <= test
    assert "matplotlib" in {_name(r) for r in PYPROJECT["project"]["dependencies"]} and "matplotlib" not in test
    assert {_name(r) for r in PYPROJECT["project"]["optional-dependencies"]["dask"]} == {"dask"}
    assert "distributed" in PYPROJECT["project"]["optional-dependencies"]["dask"][0]


BLOCKED = """
import importlib.abc, importlib.util, pkgutil, sys
BLOCK = {"fairlearn", "sklearn", "dask", "distributed", "jsonschema"}
class Block(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in BLOCK:
            raise ImportError(f"No module named {name!r} (blocked: not in the base install)")
sys.meta_path.insert(0, Block())
"""


def test_every_module_imports_and_a_run_works_without_the_optional_packages(tmp_path):
    modules = []
    for path in RUNTIME_SOURCES:
        parts = path.relative_to(ROOT).with_suffix("").parts
        modules.append(".".join(parts[:-1] if parts[-1] == "__init__" else parts))
    target = PYPROJECT["project"]["scripts"]["scs-audit"]
    module, attr = target.split(":")
    code = BLOCKED + f"""
import importlib
for name in {modules!r}:
    importlib.import_module(name)
main = getattr(importlib.import_module({module!r}), {attr!r})
base = ["run", "--population", "tiny", "--size", "600", "--scorer", "suining", "--replay-sample", "30", "--quiet"]
assert main([*base, "--out", {str(tmp_path / "a")!r}]) == 0
assert main([*base, "--out", {str(tmp_path / "b")!r}, "--engine", "dask"]) == 2
"""
    env = {**os.environ, "HOME": str(tmp_path)}
    done = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-4000:]
    assert "--engine dask" in done.stderr and "pip install" in done.stderr, done.stderr[-2000:]
    assert (tmp_path / "a" / "results.json").is_file()
