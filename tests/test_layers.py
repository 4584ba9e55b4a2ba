"""The layers import only downwards: rules <- envconfig, modules <- stacks <- ops (docs/DESIGN.md, "Layers").

Reads the import statements of each package's files (the import graph, not any values) and fails
on an import across layers that the design does not allow.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent

#: package -> top-level packages of this repository it must not import
FORBIDDEN = {
    "rules": {"envconfig", "modules", "stacks", "ops", "cdktf", "cdktf_cdktf_provider_aws", "constructs"},
    "envconfig": {"modules", "stacks", "ops"},
    "modules": {"envconfig", "stacks", "ops"},
    "stacks": {"ops"},
    "ops": {"modules"},
}


def imported_packages(path: Path) -> set[str]:
    """Top-level names of every module ``path`` imports (at any depth in the file)."""
    out: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            out.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            out.add(node.module.split(".")[0])
    return out


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_package_imports_only_its_lower_layers(package: str) -> None:
    files = sorted((REPO / package).glob("*.py"))
    assert files, package
    crossings = {
        "%s/%s" % (package, f.name): sorted(imported_packages(f) & FORBIDDEN[package])
        for f in files
        if imported_packages(f) & FORBIDDEN[package]
    }
    assert crossings == {}, "imports across layers: %s" % crossings


def test_the_graph_reader_sees_nested_and_dotted_imports(tmp_path: Path) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text("import os.path\nfrom envconfig.model import X\n\ndef f():\n    from modules import y\n")
    assert imported_packages(sample) == {"os", "envconfig", "modules"}
