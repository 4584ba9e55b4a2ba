"""The security gate on modules.alarm_topic before any stack wires it in: secure defaults from the synthesized
JSON (always), and checkov over that JSON with an empty allow-list (in ``make security``)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import resources, synth_construct
from tests.security.scanners import checkov_without_exceptions


@pytest.fixture(scope="module")
def stack() -> dict[str, Any]:
    from modules.alarm_topic import AlarmTopic, AlarmTopicProps

    def build(scope: Any) -> None:
        AlarmTopic(scope, "AlarmTopic", props=AlarmTopicProps(
            name="flask-app-dev", region="us-east-1", emails=("oncall@corp.test",),
            https_endpoints=("https://hooks.corp.test/alarms",), cluster_name="flask-app-dev"))  # fmt: skip

    return synth_construct(build)


def test_the_topic_is_under_a_rotating_customer_key_and_admits_no_one_else(stack: dict[str, Any]) -> None:
    ((key_name, key),) = resources(stack, "aws_kms_key").items()
    assert key["enable_key_rotation"] is True
    ((_, topic),) = resources(stack, "aws_sns_topic").items()
    assert topic["kms_master_key_id"] == "${aws_kms_key.%s.arn}" % key_name
    ((_, policy),) = resources(stack, "aws_sns_topic_policy").items()
    for statement in json.loads(policy["policy"])["Statement"]:
        if statement["Effect"] == "Allow":
            assert statement["Principal"] != "*" and "aws:SourceArn" in json.dumps(statement["Condition"])
    for statement in json.loads(key["policy"])["Statement"]:
        assert "kms:*" not in statement["Action"] and statement["Principal"] != "*"
    assert all(
        s["endpoint"].startswith(("https://", "oncall@"))
        for s in resources(stack, "aws_sns_topic_subscription").values()
    )


def test_checkov_finds_nothing(tools_python: Path, stack: dict[str, Any], tmp_path: Path) -> None:
    """No exception needed: every check that applies to these resources passes (security/run_checkov.py)."""
    new = checkov_without_exceptions(tools_python, stack, "alarms", tmp_path)
    assert new == [], "\n".join(new)
