"""ops.plan.plan_environment on two tiny stacks against the emulator: artifacts, skip, exit codes."""

from __future__ import annotations

import io
import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from envconfig import load_environment
from ops import access, deploy, fingerprint, plan, synth, tf
from tests.ops.conftest import terraform_env


def _stack(name: str, body: dict[str, Any]) -> dict[str, Any]:
    return {
        "terraform": {
            "required_providers": {"aws": {"source": "hashicorp/aws", "version": "5.100.0"}},
            "backend": {"local": {"path": "../../state/%s.tfstate" % name}},
        },
        "provider": {"aws": [{"region": "us-east-1"}]},
        **body,
    }


REGISTRY = _stack("local-registry", {
    "resource": {"aws_ecr_repository": {"repo": {"name": "planenv-registry", "force_delete": True}}},
    "output": {"repository_name": {"value": "${aws_ecr_repository.repo.name}"}},
})  # fmt: skip
SERVICE = _stack("local", {
    "variable": {"image_tag": {"type": "string"}},
    "resource": {"aws_cloudwatch_log_group": {"app": {"name": "/planenv/${var.image_tag}"}}},
    "output": {"deployed_image_tag": {"value": "${var.image_tag}"}},  # as stacks/service.py
})  # fmt: skip


@pytest.fixture
def workspace(tmp_path: Path, patched: str, monkeypatch: pytest.MonkeyPatch) -> Path:
    out = tmp_path / "out"
    for name, config in (("local-registry", REGISTRY), ("local", SERVICE)):
        (out / "stacks" / name).mkdir(parents=True)
        (out / "stacks" / name / "cdk.tf.json").write_text(json.dumps(config))
    env = terraform_env(patched)
    monkeypatch.setattr(access, "prepare", lambda *args, **kwargs: env)
    monkeypatch.setattr(synth, "run", lambda *args, **kwargs: None)
    monkeypatch.setattr(deploy, "image_tag", lambda env, explicit: "sha0001")
    (out / ".inputs.sha256").write_text("synth-digest\n")  # what ops.synth stamps
    return out


@pytest.mark.terraform_apply
def test_plan_environment_from_empty_to_applied(terraform: str, workspace: Path, tmp_path: Path) -> None:
    env = load_environment("local")
    plans = tmp_path / "plans"
    log = io.StringIO()

    # Nothing applied: the registry plans its creation, <env> cannot be planned yet.
    summaries, summary_md = plan.plan_environment(env, out=workspace, plans_dir=plans, log=log)
    assert [(s.stack, s.result) for s in summaries] == [("local-registry", "changes"), ("local", "not planned")]
    assert plan.exit_code(summaries) == plan.EXIT_CHANGES
    folder = plans / "local"
    # the plan's picture (ops.diagram) only where graphviz is installed; summary.md says which
    pictures = ["diagram.json", "diagram.png", "diagram.svg"] if shutil.which("dot") else []
    assert sorted(p.name for p in folder.iterdir()) == sorted([
        "fingerprint.json", "local-registry.plan.json", "local-registry.plan.txt", "local-registry.tfplan", "summary.md",
        *pictures,
    ])  # fmt: skip
    assert ("Diagram of this plan: [diagram.svg]" if pictures else "Diagram of the plan skipped") in summary_md.read_text()
    assert "Plan: 1 to add, 0 to change, 0 to destroy." in (folder / "local-registry.plan.txt").read_text()
    assert json.loads((folder / "local-registry.plan.json").read_text())["format_version"].startswith("1.")
    assert "### `local`: not planned" in summary_md.read_text()
    saved = fingerprint.read(folder)
    assert saved is not None and saved.image_tag is None and list(saved.skipped) == ["local"]
    assert saved.observed.states == {"local-registry": tf.StateVersion(None, None), "local": tf.StateVersion(None, None)}
    assert saved.observed.plan_sha256 == {"local-registry": fingerprint.sha256_file(folder / "local-registry.tfplan")}

    # Apply exactly the reviewed registry plan, then both stacks are planned (side by side).
    registry = tf.Stack(workspace / "stacks" / "local-registry", env=access.prepare(env), log=log)
    registry.apply_plan(folder / "local-registry.tfplan")
    summaries, _ = plan.plan_environment(env, out=workspace, plans_dir=plans, log=log)
    assert [(s.stack, s.result, s.add) for s in summaries] == [("local-registry", "no changes", 0), ("local", "changes", 1)]
    assert "image_tag=sha0001 (nothing deployed yet: the tag make deploy builds)" in log.getvalue()
    saved = fingerprint.read(folder)
    assert saved is not None and saved.image_tag == "sha0001" and saved.changes == {"local-registry": False, "local": True}
    assert saved.observed.states["local-registry"].serial is not None

    # Deploy <env> with a tag; the next plan uses the deployed tag and is empty: drift exit 0.
    service = tf.Stack(workspace / "stacks" / "local", env=access.prepare(env), log=log)
    service.apply({"image_tag": "v1"})
    summaries, summary_md = plan.plan_environment(env, out=workspace, plans_dir=plans, drift=True, log=log)
    assert plan.exit_code(summaries) == plan.EXIT_NO_CHANGES
    assert "image_tag=v1 (what local runs now)" in log.getvalue()
    assert summary_md.read_text().splitlines()[0] == "## Drift check: `local`"
    assert summary_md.read_text().rstrip().endswith("**Result: no changes - local matches the configuration.**")
    assert fingerprint.read(folder) is None, "a drift check is not a plan for review"

    # A new tag is a change (the log group is replaced); an explicit tag overrides the deployed one.
    summaries, _ = plan.plan_environment(env, out=workspace, plans_dir=plans, image_tag="v2", log=log)
    assert [(s.stack, s.add, s.destroy) for s in summaries][1] == ("local", 1, 1)
    assert [f.kind for f in summaries[1].flags] == ["stateful-replace"]
    saved = fingerprint.read(folder)
    assert saved is not None and [f.kind for f in saved.flags] == ["stateful-replace"] and saved.image_tag == "v2"
