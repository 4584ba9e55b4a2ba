"""The security gate on the workload constructs (WorkQueue, BacklogScaling, ScheduledTask), before any stack
wires them in: secure defaults read from the synthesized JSON (always), and checkov over that JSON with an
empty allow-list (in ``make security``, like the other scanner tests).

A stack holding the three constructs with defaults only is synthesized once for this module.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import resources, synth_construct
from tests.security.scanners import checkov_without_exceptions

ACCOUNT = "123456789012"


@pytest.fixture(scope="module")
def stack() -> dict[str, Any]:
    from modules.backlog_scaling import BacklogScaling, BacklogScalingProps
    from modules.queue import WorkQueue, WorkQueueProps
    from modules.scheduled_task import ScheduledTask, ScheduledTaskProps

    def build(scope: Any) -> None:
        queue = WorkQueue(scope, "WorkQueue", props=WorkQueueProps(name="flask-app-dev-jobs"))
        BacklogScaling(scope, "WorkerScaling", props=BacklogScalingProps(
            name="flask-app-dev-worker", cluster_name="flask-app-dev", service_name="flask-app-dev-worker",
            queue_name=queue.queue_name, max_capacity=4, backlog_per_task=100))  # fmt: skip
        ScheduledTask(scope, "NightlyJob", props=ScheduledTaskProps(
            name="flask-app-dev-nightly", region="us-east-1", schedule_expression="cron(0 3 * * ? *)",
            cluster_arn="arn:aws:ecs:us-east-1:%s:cluster/flask-app-dev" % ACCOUNT, task_family="flask-app-dev-nightly",
            task_definition_arn="arn:aws:ecs:us-east-1:%s:task-definition/flask-app-dev-nightly:1" % ACCOUNT,
            subnet_ids=("subnet-0aaaaaaaaaaaaaaaa",), security_group_ids=("sg-0123456789abcdef0",),
            task_role_arn="arn:aws:iam::%s:role/flask-app-dev-nightly-task" % ACCOUNT,
            execution_role_arn="arn:aws:iam::%s:role/flask-app-dev-nightly-execution" % ACCOUNT))  # fmt: skip

    return synth_construct(build)


def _documents(stack: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    """Policy document data sources: name -> statements."""
    return {name: doc["statement"] for name, doc in stack["data"]["aws_iam_policy_document"].items()}


# ---- secure defaults, from the JSON ---------------------------------------------------------------


def test_every_queue_is_encrypted_at_rest_and_refuses_plain_http(stack: dict[str, Any]) -> None:
    queues = resources(stack, "aws_sqs_queue")
    assert len(queues) == 3  # the work queue, its dead-letter queue, the job's dead-letter queue
    policies = resources(stack, "aws_sqs_queue_policy")
    documents = _documents(stack)
    for name, queue in queues.items():
        assert queue.get("sqs_managed_sse_enabled") is True or queue.get("kms_master_key_id"), name
        (policy,) = [p for p in policies.values() if p["queue_url"] == "${aws_sqs_queue.%s.url}" % name]
        document = policy["policy"].removeprefix("${data.aws_iam_policy_document.").removesuffix(".json}")
        deny = [s for s in documents[document] if s["sid"] == "DenyInsecureTransport"]
        assert deny and deny[0]["effect"] == "Deny", name
        assert deny[0]["condition"] == [{"test": "Bool", "variable": "aws:SecureTransport", "values": ["false"]}]


def test_allow_statements_name_actions_and_resources(stack: dict[str, Any]) -> None:
    """As tests/security/test_iam.py holds every policy to: no wildcard action, no ``"Resource": "*"``."""
    allows = [(name, s) for name, statements in _documents(stack).items() for s in statements
              if s.get("effect", "Allow") == "Allow"]  # fmt: skip
    assert len(allows) >= 5
    for name, statement in allows:
        assert not [a for a in statement["actions"] if "*" in a], (name, statement)
        assert "*" not in statement.get("resources", []), (name, statement)
        assert "not_actions" not in statement and "not_resources" not in statement, (name, statement)
    # the Allow statements that reach outside the account's IAM carry conditions
    conditioned = {s["sid"] for _, s in allows if s.get("condition")}
    assert {"RunTask", "PassTaskRoles", "SchedulerAssume", "FailedRunEvents"} <= conditioned


def test_the_schedule_is_encrypted_with_a_rotating_customer_key(stack: dict[str, Any]) -> None:
    (schedule,) = resources(stack, "aws_scheduler_schedule").values()
    assert schedule["kms_key_arn"].startswith("${aws_kms_key.")
    for key in resources(stack, "aws_kms_key").values():
        assert key["enable_key_rotation"] is True
        for statement in json.loads(key["policy"])["Statement"]:
            assert statement["Principal"] != "*" and not [a for a in statement["Action"] if "*" in a]


def test_alarm_actions_are_never_disabled(stack: dict[str, Any]) -> None:
    alarms = resources(stack, "aws_cloudwatch_metric_alarm")
    assert len(alarms) == 7
    assert all(alarm.get("actions_enabled", True) is True for alarm in alarms.values())


# ---- checkov, with an empty allow-list ----------------------------------------------------------------


def test_checkov_finds_nothing(tools_python: Path, stack: dict[str, Any], tmp_path: Path) -> None:
    """No exception needed: every check that applies to these resources passes (security/run_checkov.py)."""
    new = checkov_without_exceptions(tools_python, stack, "workloads", tmp_path)
    assert new == [], "\n".join(new)
