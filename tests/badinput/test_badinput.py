"""The bad-configuration matrix, at the command level.

Every case in ``cases.py`` is written to a file and run through the command users run,
``python -m ops.synth --config <bad file> --out <existing output>``. Each must:

* exit non-zero;
* print one problem line naming the environment, the field, the value and the allowed values;
* leave the existing output byte-identical (same files, same bytes, no temporary directories).

The model-level rules have their own ``pytest.raises`` tests in ``tests/test_config.py``; this
matrix proves the whole path (TOML -> loader -> model -> app contract -> synth command) stops
before anything is written.
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.badinput.cases import CASES, Case
from tests.conftest import ROOT


def tree_digest(root: Path) -> dict[str, str]:
    """Relative path -> sha256 of every file under ``root`` (directories by their presence)."""
    out: dict[str, str] = {}
    for path in sorted(root.rglob("*")):
        rel = str(path.relative_to(root))
        out[rel] = hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else "<dir>"
    return out


@pytest.fixture(scope="module")
def existing_output(synth_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of a real synthesized output, standing in for the user's ``cdktf.out``."""
    out = tmp_path_factory.mktemp("badinput") / "cdktf.out"
    shutil.copytree(synth_dir, out)
    (out / ".inputs.sha256").write_text("previous-synth\n")
    return out


def run_synth(config: Path, out: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "ops.synth", "--config", str(config), "--out", str(out)],
        cwd=ROOT, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip


def test_matrix_size_and_coverage() -> None:
    """At least 25 cases, covering every kind of mistake the issue lists."""
    ids = {case.id for case in CASES}
    assert len(ids) == len(CASES), "case ids repeat"
    assert len(CASES) >= 25
    required = {
        "Fargate cpu/memory that do not exist": {"fargate-memory-not-valid-for-cpu", "fargate-cpu-not-a-size"},
        "Spot on ARM64": {"spot-on-arm64"},
        "min > max": {"min-greater-than-max"},
        "desired count outside the range": {"desired-above-max", "desired-below-min"},
        "CIDR outside the VPC / overlapping": {"subnet-outside-vpc", "subnets-overlap"},
        "more AZs than the CIDR plan allows": {"more-azs-than-cidr-plan"},
        "names over AWS limits": {"alb-name-over-32"},
        "HTTPS redirect without a certificate": {"https-redirect-without-certificate"},
        "prod without deletion protection": {"prod-without-deletion-protection"},
        "port mismatch with the app": {"port-mismatch-with-app"},
        "unknown environment name": {"unknown-environment-name"},
        "missing required field": {"missing-required-field"},
        "wrong types": {"wrong-type-string-for-int", "wrong-type-string-for-bool"},
        "negative / unsupported retention": {"negative-retention", "retention-not-supported-by-cloudwatch"},
    }
    missing = {kind: sorted(need - ids) for kind, need in required.items() if need - ids}
    assert not missing, missing


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_bad_config_is_rejected_and_output_untouched(case: Case, existing_output: Path, tmp_path: Path) -> None:
    config = tmp_path / "environments.toml"
    config.write_text(case.document())
    before = tree_digest(existing_output)

    result = run_synth(config, existing_output)

    assert result.returncode == 2, "exit %d, not 2 (a config error) for %s:\n%s%s" % (
        result.returncode, case.id, result.stdout, result.stderr)
    lines = [line.strip().lstrip("- ") for line in result.stderr.splitlines()]
    expected = (case.env, case.field, case.value, case.allowed)
    matching = [line for line in lines if all(part in line for part in expected)]
    assert matching, "no problem line names env=%r field=%r value=%r allowed=%r; stderr was:\n%s" % (
        *expected,
        result.stderr,
    )
    assert "Traceback" not in result.stderr, result.stderr
    assert "%s is unchanged" % existing_output in result.stderr
    assert tree_digest(existing_output) == before, "the existing output changed"
    leftovers = sorted(p.name for p in existing_output.parent.iterdir() if p.name != existing_output.name)
    assert leftovers == [], "temporary directories left next to the output: %s" % leftovers


def test_good_config_through_the_same_path_is_accepted(tmp_path: Path) -> None:
    """Control: the unmodified document the cases start from passes validation and the app contract."""
    from envconfig import load_environments
    from envconfig.contracts import check_app_contract
    from tests.badinput.cases import shipped
    from tests.badinput.tomlgen import dumps

    config = tmp_path / "environments.toml"
    config.write_text(dumps(shipped()))
    configs = load_environments(config)
    assert list(configs) == ["local", "dev", "staging", "prod"]
    assert check_app_contract(configs, ROOT) == []
