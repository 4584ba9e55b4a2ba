"""The alarm topic on the emulator: apply, a second plan with no changes, destroy, and nothing left.

modules.alarm_topic (KMS key and its policy, encrypted topic, topic policy, an e-mail and an HTTPS
subscription, the failed-deployment rule and its target) with the real provider against the
project's emulator. moto is lenient (it accepts values AWS rejects), so this shows that Terraform,
the provider and the emulator agree on the resources, not that AWS would.
"""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from ops import destroy, tf
from tests.conftest import synth_construct
from tests.ops.conftest import terraform_env


def _stack() -> dict[str, Any]:
    from modules.alarm_topic import AlarmTopic, AlarmTopicProps

    def build(scope: Any) -> None:
        AlarmTopic(scope, "AlarmTopic", props=AlarmTopicProps(
            name="flask-app-probe", region="us-east-1", emails=("oncall@local.test",),
            https_endpoints=("https://hooks.local.test/alarms",), cluster_name="flask-app-probe"))  # fmt: skip

    doc = synth_construct(build)
    doc["terraform"]["backend"] = {"local": {"path": "../state/alarm-topic.tfstate"}}
    return doc


@pytest.mark.terraform_apply
def test_the_alarm_topic_applies_plans_clean_and_leaves_nothing(
    terraform: str, patched: str, tmp_path: Path, client_for: Callable[[str], Any]
) -> None:
    stack_dir = tmp_path / "stacks" / "alarm-topic"
    stack_dir.mkdir(parents=True)
    (stack_dir / "cdk.tf.json").write_text(json.dumps(_stack()))
    log = io.StringIO()
    stack = tf.Stack(stack_dir, env=terraform_env(patched), log=log)
    stack.init()
    plan_file = stack_dir.parent / "plans" / "alarm-topic.tfplan"
    assert stack.plan(plan_file, {}) == 2
    stack.apply_plan(plan_file)
    state = json.loads(stack.run(["state", "pull"], label="state pull").stdout)
    deployed = destroy.deployed_resources("alarm-topic", state)
    types = sorted({r.type for r in deployed})
    assert types == [
        "aws_cloudwatch_event_rule", "aws_cloudwatch_event_target", "aws_kms_key", "aws_sns_topic",
        "aws_sns_topic_policy", "aws_sns_topic_subscription",
    ]  # fmt: skip
    (topic,) = [r for r in deployed if r.type == "aws_sns_topic"]
    attributes = client_for("sns").get_topic_attributes(TopicArn=topic.values["arn"])["Attributes"]
    (key,) = [r for r in deployed if r.type == "aws_kms_key"]
    assert attributes["KmsMasterKeyId"] == key.values["arn"]
    assert stack.plan(None, {}) == 0, stack.last_plan_output  # nothing drifts right after the apply
    assert {(x.kind, x.note) for x in destroy.check_deployed(client_for, deployed) if x.kind in destroy.CHECKS} == {
        (t, False) for t in types if t in destroy.CHECKS
    }
    stack.destroy({})
    assert stack.state_resources() == []
    left = destroy.check_deployed(client_for, deployed)
    assert [(x.kind, x.note) for x in left] == [("aws_kms_key", True)], left  # scheduled for deletion: a note
