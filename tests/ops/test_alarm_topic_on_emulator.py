"""The alarm topic on the emulator: apply, a second plan with no changes, destroy, and nothing left.

modules.alarm_topic (KMS key and its policy, encrypted topic, topic policy, an e-mail and an HTTPS
subscription, the failed-deployment and failed-release rules and their targets) with the real provider against the
project's emulator. moto is lenient (it accepts values AWS rejects), so this shows that Terraform,
the provider and the emulator agree on the resources, not that AWS would.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from ops import destroy
from tests.conftest import synth_construct
from tests.ops.conftest import applied_stack


def _stack() -> dict[str, Any]:
    from modules.alarm_topic import AlarmTopic, AlarmTopicProps

    def build(scope: Any) -> None:
        AlarmTopic(scope, "AlarmTopic", props=AlarmTopicProps(
            name="flask-app-probe", region="us-east-1", emails=("oncall@local.test",),
            https_endpoints=("https://hooks.local.test/alarms",), cluster_name="flask-app-probe",
            codedeploy_application="flask-app-probe"))  # fmt: skip

    return synth_construct(build)


@pytest.mark.terraform_apply
def test_the_alarm_topic_applies_plans_clean_and_leaves_nothing(
    terraform: str, patched: str, tmp_path: Path, client_for: Callable[[str], Any]
) -> None:
    stack, _ = applied_stack(_stack(), "alarm-topic", patched, tmp_path, ())
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
    events = client_for("events")
    for rule in ("flask-app-probe-deployment-failed", "flask-app-probe-release-failed"):
        assert [t["Arn"] for t in events.list_targets_by_rule(Rule=rule)["Targets"]] == [topic.values["arn"]], rule
    assert {(x.kind, x.note) for x in destroy.check_deployed(client_for, deployed) if x.kind in destroy.CHECKS} == {
        (t, False) for t in types if t in destroy.CHECKS
    }
    stack.destroy({})
    assert stack.state_resources() == []
    left = destroy.check_deployed(client_for, deployed)
    assert [(x.kind, x.note) for x in left] == [("aws_kms_key", True)], left  # scheduled for deletion: a note
