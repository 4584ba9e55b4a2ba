"""The accelerator's place in the project: its public API, who may import it, and that it
reads no configuration from the environment (fastsynth/README.md, "Settings"), and its kernel-call
counter (fastsynth/kernel_calls.py)."""

from __future__ import annotations

import ast
from pathlib import Path

import fastsynth
from fastsynth import _install
from tests.conftest import run_python_json

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


# A small app that reads one attribute twice, its kernel calls counted (in a fresh
# interpreter: counting wraps jsii's functions for the rest of the process).
KERNEL_CALLS_SCRIPT = """
import json, sys
import fastsynth
fastsynth.install(enabled=True)
from fastsynth import kernel_calls
calls = kernel_calls.count()
from cdktf import App, TerraformStack
from cdktf_cdktf_provider_aws.provider import AwsProvider
from cdktf_cdktf_provider_aws.vpc import Vpc
app = App(outdir=sys.argv[1])
stack = TerraformStack(app, "s")
AwsProvider(stack, "aws", region="eu-west-1")
vpc = Vpc(stack, "vpc", cidr_block="10.0.0.0/16")
ids = (vpc.id, vpc.id)  # one attribute read twice
app.synth()
print(json.dumps({"same_counter": kernel_calls.count() is calls,
                  "counts": calls.as_dict(), "repeated": calls.repeated_reads(), "describe": calls.describe()}))
"""


def test_kernel_calls_are_counted_by_kind_and_a_repeated_read_is_reported_not_refused(tmp_path: Path) -> None:
    report = run_python_json(KERNEL_CALLS_SCRIPT, str(tmp_path / "out"))
    assert report["same_counter"] is True  # count() is idempotent
    counts = report["counts"]
    assert counts["calls"]["create"] >= 4  # App, TerraformStack, AwsProvider, Vpc
    assert counts["calls"]["get"] >= 2 and counts["calls"]["invoke"] >= 1  # vpc.id twice; app.synth()
    assert counts["total"] == sum(counts["calls"].values())
    assert set(counts["calls"]) == {"create", "get", "set", "invoke", "sget", "sset", "sinvoke"}
    vpc_reads = [read for read in report["repeated"] if read[:2] == ["Vpc", "id"]]
    assert len(vpc_reads) == 1 and vpc_reads[0][3] == 2, report["repeated"]
    assert counts["repeated_reads"] >= 1
    assert report["describe"].startswith("%d kernel calls: create " % counts["total"])
    assert report["describe"].endswith("%d attribute reads repeated on one object" % counts["repeated_reads"])
