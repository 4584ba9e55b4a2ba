"""ops.tf: the Terraform runner against the project's emulator, and the stack-file helpers."""

from __future__ import annotations

import io
import json
import os
from pathlib import Path

import pytest

from ops import context, emulator, tf
from tests.ops.conftest import terraform_env

CONFIG = {
    "terraform": {
        "required_providers": {"aws": {"source": "hashicorp/aws", "version": "5.100.0"}},
        "backend": {"local": {"path": "../state/tiny.tfstate"}},
    },
    "provider": {"aws": [{"region": "us-east-1", "default_tags": [{"tags": {"project": "p", "environment": "tiny"}}]}]},
    "variable": {"image_tag": {"type": "string"}},
    "resource": {"aws_ecr_repository": {"repo": {"name": "tiny-${var.image_tag}", "force_delete": True}}},
    "output": {"repository_name": {"value": "${aws_ecr_repository.repo.name}"}, "image_tag": {"value": "${var.image_tag}"}},
}


@pytest.fixture
def stack_dir(tmp_path: Path) -> Path:
    directory = tmp_path / "stacks" / "tiny"
    directory.mkdir(parents=True)
    (directory / "cdk.tf.json").write_text(json.dumps(CONFIG))
    return directory


def test_stack_file_helpers(stack_dir: Path) -> None:
    assert tf.state_file(stack_dir) == (stack_dir.parent / "state" / "tiny.tfstate").resolve()
    assert tf.default_tags(stack_dir) == {"project": "p", "environment": "tiny"}
    assert tf.declares_variable(stack_dir, "image_tag")
    assert not tf.declares_variable(stack_dir, "other")
    assert context.stack_names("prod") == ("prod-registry", "prod")
    assert context.stack_dir("prod", stack_dir) == stack_dir / "stacks" / "prod"
    assert context.deployed_image_tag({"deployed_image_tag": "abc"}) == "abc"
    assert context.deployed_image_tag({"image_tag": "def", "deployed_image_tag": "abc"}) == "abc"
    assert context.deployed_image_tag({"image_tag": "def"}) is None  # the stacks output deployed_image_tag only
    assert context.deployed_image_tag({}) is None


def test_plan_text_drops_refresh_progress() -> None:
    out = "aws_vpc.x: Refreshing state... [id=vpc-1]\ndata.a.b: Reading...\ndata.a.b: Read complete after 0s [id=1]\n\nNo changes.\n"
    assert tf.plan_text(out) == "No changes.\n"


def test_missing_stack_directory_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(tf.TerraformError, match="does not exist; run the synth step first"):
        tf.Stack(tmp_path / "nope", env=dict(os.environ), log=io.StringIO()).init()


@pytest.mark.terraform_apply
def test_runner_against_the_emulator(terraform: str, patched: str, stack_dir: Path) -> None:
    env = terraform_env(patched)
    log = io.StringIO()
    stack = tf.Stack(stack_dir, env=env, log=log)
    stack.init()
    assert stack.outputs() == {}
    assert stack.state_resources() == []
    plan_file = stack_dir.parent / "plans" / "tiny.tfplan"
    assert stack.plan(plan_file, {"image_tag": "one"}) == 2
    assert "Plan: 1 to add, 0 to change, 0 to destroy." in stack.last_plan_output
    shown = stack.show_json(plan_file)
    assert [rc["change"]["actions"] for rc in shown["resource_changes"]] == [["create"]]
    stack.apply_plan(plan_file)
    assert stack.outputs() == {"repository_name": "tiny-one", "image_tag": "one"}
    assert stack.state_resources() == ["aws_ecr_repository.repo"]
    assert tf.state_file(stack_dir) is not None and tf.state_file(stack_dir).is_file()  # type: ignore[union-attr]
    assert stack.plan(None, {"image_tag": "one"}) == 0
    assert stack.plan(None, {"image_tag": "two"}) == 2
    with pytest.raises(tf.TerraformError, match=r"terraform plan failed in .* \(exit 1\)") as error:
        stack.plan(None, {})  # the variable is required
    assert error.value.returncode == 1
    stack.destroy({"image_tag": "one"})
    assert stack.state_resources() == []
    lines = log.getvalue().splitlines()
    assert any(line.startswith("   terraform apply tiny ... ") and line.endswith(" s") for line in lines)
    assert "   terraform plan tiny ... FAILED (exit 1" in log.getvalue()


def test_archive_state_moves_state_and_backup_beside_them(stack_dir: Path) -> None:
    state = tf.state_file(stack_dir)
    assert state is not None
    state.parent.mkdir(parents=True)
    state.write_text("{}")
    state.with_name(state.name + ".backup").write_text("{}")
    log = io.StringIO()
    moved = emulator.archive_state(["tiny", "not-synthesized"], stack_dir.parent.parent, log)
    assert [p.parent for p in moved] == [state.parent / "stale"]
    assert not state.exists() and not state.with_name(state.name + ".backup").exists()
    assert sorted(p.name.split(".2")[0] for p in (state.parent / "stale").iterdir()) == [
        "tiny.tfstate", "tiny.tfstate.backup",
    ]  # fmt: skip
    assert "state of tiny described the previous emulator run; moved to" in log.getvalue()
