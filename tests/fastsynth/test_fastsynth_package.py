"""The accelerator's place in the project: its public API, who may import it, and that it
reads no configuration from the environment (fastsynth/README.md, "Settings")."""

from __future__ import annotations

import ast
from pathlib import Path

import fastsynth
from fastsynth import _install

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "fastsynth"
# The project's own layers: none of them uses the accelerator, and it uses none of them.
LAYERS = ("modules", "stacks", "envconfig", "rules", "ops")


def _imported_top_level_names(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name.partition(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.partition(".")[0])
    return names


def test_public_api_is_the_install_module_s() -> None:
    assert fastsynth.install is _install.install
    assert fastsynth.status is _install.status
    assert all(hasattr(fastsynth, name) for name in fastsynth.__all__)


def test_code_cache_dir_is_under_the_given_cache_root(tmp_path: Path) -> None:
    assert fastsynth.code_cache_dir(tmp_path) == tmp_path / "cdktf-fast-import" / "v8"


def test_no_project_layer_imports_the_accelerator() -> None:
    offenders = [
        str(path.relative_to(ROOT))
        for layer in LAYERS
        for path in sorted((ROOT / layer).rglob("*.py"))
        if "fastsynth" in _imported_top_level_names(path)
    ]
    assert offenders == []


def test_the_accelerator_imports_no_project_layer() -> None:
    offenders = {
        str(path.relative_to(ROOT)): sorted(_imported_top_level_names(path) & {*LAYERS, "main"})
        for path in sorted(PACKAGE.rglob("*.py"))
    }
    assert {path: names for path, names in offenders.items() if names} == {}


def test_the_accelerator_reads_no_environment_variable() -> None:
    """``os.getenv(...)``, ``os.environ.get(...)`` and ``os.environ[...]`` are the caller's job
    (main.py). Passing ``os.environ`` on as the kernel's environment is not a read."""
    reads = []
    for path in sorted(PACKAGE.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
            func = node.func if isinstance(node, ast.Call) else None
            getenv = isinstance(func, ast.Attribute) and func.attr == "getenv" and _is_name(func.value, "os")
            environ_call = isinstance(func, ast.Attribute) and _is_os_environ(func.value)
            subscript = isinstance(node, ast.Subscript) and _is_os_environ(node.value)
            if getenv or environ_call or subscript:
                reads.append("%s:%d" % (path.relative_to(ROOT), getattr(node, "lineno", 0)))
    assert reads == []


def _is_name(node: ast.AST, name: str) -> bool:
    return isinstance(node, ast.Name) and node.id == name


def _is_os_environ(node: ast.AST) -> bool:
    return isinstance(node, ast.Attribute) and node.attr == "environ" and _is_name(node.value, "os")
