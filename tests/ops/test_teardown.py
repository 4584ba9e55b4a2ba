"""ops.teardown: deletion protection off for exactly the protected resources in state, via a
short-lived override file that never outlives the apply or survives the next synth."""

from __future__ import annotations

import io
import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from ops import teardown, tf


def test_the_shipped_stacks_protect_their_load_balancer_and_an_unprotected_one_has_nothing_to_turn_off(
    synth_all: dict[str, dict[str, Any]], tmp_path: Path
) -> None:
    unprotected = json.loads(json.dumps(synth_all["dev"]))
    for body in unprotected["resource"]["aws_lb"].values():
        body["enable_deletion_protection"] = False  # as deletion_protection = false outside production
    for name, doc, protected in (("prod", synth_all["prod"], True), ("dev", synth_all["dev"], True),
                                 ("sandbox", unprotected, False)):  # fmt: skip
        directory = tmp_path / name
        directory.mkdir()
        (directory / "cdk.tf.json").write_text(json.dumps(doc))
        found = teardown.protected_resources(directory)
        assert found == ([("aws_lb", "LoadBalancer_10456B95", "enable_deletion_protection")] if protected else [])


def test_the_override_sets_exactly_those_arguments_false() -> None:
    assert teardown.override_document([("aws_lb", "A", "enable_deletion_protection")]) == {
        "resource": {"aws_lb": {"A": {"enable_deletion_protection": False}}}
    }


class RecordingStack(tf.Stack):
    """A Stack whose terraform runs are recorded (with the files present during each run)."""

    def __init__(self, directory: Path, in_state: list[str], fail: bool = False) -> None:
        super().__init__(directory, env={}, log=io.StringIO())
        self.in_state = in_state
        self.fail = fail
        self.calls: list[tuple[list[str], list[str]]] = []

    def state_resources(self) -> list[str]:
        return self.in_state

    def run(self, args: list[str], **kwargs: Any) -> subprocess.CompletedProcess[str]:
        self.calls.append((args, sorted(p.name for p in self.directory.iterdir())))
        if self.fail:
            raise tf.TerraformError("apply failed")
        return subprocess.CompletedProcess(args, 0, "", "")


def _protected_stack(tmp_path: Path) -> Path:
    directory = tmp_path / "stacks" / "prod"
    directory.mkdir(parents=True)
    (directory / "cdk.tf.json").write_text(json.dumps({"resource": {
        "aws_lb": {"Alb": {"enable_deletion_protection": True}, "Other": {"enable_deletion_protection": False}}}}))  # fmt: skip
    return directory


def test_a_targeted_shown_apply_with_the_override_present_only_during_it(tmp_path: Path) -> None:
    stack = RecordingStack(_protected_stack(tmp_path), ["aws_lb.Alb", "aws_lb.Other"])
    assert teardown.turn_off_deletion_protection(stack, {"image_tag": "abc"}, log=io.StringIO()) == ["aws_lb.Alb"]
    ((args, files_during),) = stack.calls
    assert args[0] == "apply" and "-target=aws_lb.Alb" in args and "-var=image_tag=abc" in args
    assert not any(a.startswith("-target=aws_lb.Other") for a in args)
    assert teardown.OVERRIDE_FILE in files_during
    assert not (stack.directory / teardown.OVERRIDE_FILE).exists()


def test_the_override_is_removed_when_the_apply_fails(tmp_path: Path) -> None:
    stack = RecordingStack(_protected_stack(tmp_path), ["aws_lb.Alb"], fail=True)
    with pytest.raises(tf.TerraformError):
        teardown.turn_off_deletion_protection(stack, {}, log=io.StringIO())
    assert not (stack.directory / teardown.OVERRIDE_FILE).exists()


def test_a_rerun_after_the_load_balancer_is_gone_applies_nothing(tmp_path: Path) -> None:
    stack = RecordingStack(_protected_stack(tmp_path), ["aws_vpc.Vpc"])
    log = io.StringIO()
    assert teardown.turn_off_deletion_protection(stack, {}, log=log) == []
    assert stack.calls == []
    assert "nothing protected is left in prod" in log.getvalue()


def test_a_left_override_makes_the_next_synth_run(synth_dir: Path, tmp_path: Path) -> None:
    from ops import synth

    out = tmp_path / "cdktf.out"
    shutil.copytree(synth_dir, out)
    (out / synth.STAMP).write_text("digest\n")
    assert synth.up_to_date(out, "digest")
    (out / "stacks" / "prod" / teardown.OVERRIDE_FILE).write_text("{}")
    assert teardown.has_override(out)
    assert not synth.up_to_date(out, "digest")


def test_terraform_merges_the_override_file(terraform: str, tmp_path: Path) -> None:
    """The real terraform reads teardown_override.tf.json as an override of the stack's resource."""
    from tests.conftest import run_terraform

    directory = tmp_path / "stack"
    directory.mkdir()
    (directory / "cdk.tf.json").write_text(json.dumps({"resource": {"terraform_data": {"Alb": {"input": True}}}}))
    (directory / teardown.OVERRIDE_FILE).write_text(json.dumps({"resource": {"terraform_data": {"Alb": {"input": False}}}}))
    assert run_terraform(terraform, directory, "init", "-backend=false").returncode == 0
    plan = run_terraform(terraform, directory, "plan")
    assert "+ input  = false" in plan.stdout, plan.stdout + plan.stderr
