"""WorkQueue: the queue and its dead-letter queue, redrive, encryption, TLS-only policies, alarms, grants,
validation, and validity through the real Terraform provider schema.

One synthesized stack holds both cases: ``WorkQueue`` with defaults only and ``KeyedQueue`` with every
option set.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import synth_construct
from tests.construct_validate import assert_valid
from tests.service_stack import by_id, policy_statements

KEY_ARN = "arn:aws:kms:us-east-1:123456789012:key/0123abcd-45ef-67ab-89cd-0123456789ab"
TOPIC_ARN = "arn:aws:sns:us-east-1:123456789012:flask-app-dev-alarms"
FULL = {
    "name": "flask-app-dev-reports",
    "visibility_timeout_seconds": 900,
    "message_retention_seconds": 86400,
    "dlq_message_retention_seconds": 604800,
    "max_receive_count": 3,
    "receive_wait_time_seconds": 10,
    "kms_key_arn": KEY_ARN,
    "oldest_message_age_alarm_seconds": 600,
    "alarm_topic_arn": TOPIC_ARN,
}


@pytest.fixture(scope="module")
def built() -> tuple[dict[str, Any], Any, Any]:
    """(stack, defaults construct, full construct), synthesized once for this module."""
    from modules.queue import WorkQueue, WorkQueueProps

    made: dict[str, Any] = {}

    def build(stack: Any) -> None:
        made["defaults"] = WorkQueue(stack, "WorkQueue", props=WorkQueueProps(name="flask-app-dev-jobs"))
        made["full"] = WorkQueue(stack, "KeyedQueue", props=WorkQueueProps(**FULL))

    return synth_construct(build), made["defaults"], made["full"]


@pytest.fixture(scope="module")
def stack(built: tuple[dict[str, Any], Any, Any]) -> dict[str, Any]:
    return built[0]


#: Logical IDs of the queues (stateful: a renamed ID replaces the queue). cdktf drops the ``Queue`` of
#: ``WorkQueue/Queue`` because the parent ID already ends with it.
QUEUE, DLQ = "WorkQueue_B68DB9B0", "WorkQueue_DeadLetterQueue_D6AFA689"
FULL_QUEUE, FULL_DLQ = "KeyedQueue_7E0E29B5", "KeyedQueue_DeadLetterQueue_E0961D33"


def _queue(stack: dict[str, Any], logical_id: str) -> dict[str, Any]:
    return dict(stack["resource"]["aws_sqs_queue"][logical_id])


# ---- properties: defaults ----------------------------------------------------------------------


def test_defaults_queue_and_dead_letter_queue(stack: dict[str, Any]) -> None:
    queue = _queue(stack, QUEUE)
    assert queue["name"] == "flask-app-dev-jobs"
    assert (queue["visibility_timeout_seconds"], queue["message_retention_seconds"], queue["receive_wait_time_seconds"]) == (
        300, 345600, 20,
    )  # fmt: skip
    dlq = _queue(stack, DLQ)
    assert dlq["name"] == "flask-app-dev-jobs-dlq"
    assert dlq["message_retention_seconds"] == 1209600  # 14 days
    for body in (queue, dlq):
        assert body["sqs_managed_sse_enabled"] is True
        assert "kms_master_key_id" not in body
        assert "fifo_queue" not in body  # standard queues
        assert "policy" not in body and "redrive_allow_policy" not in body  # separate resources
        assert body["tags"] == {"Name": body["name"]}


def test_redrive_to_the_dead_letter_queue_and_only_from_this_queue(stack: dict[str, Any]) -> None:
    queue = _queue(stack, QUEUE)
    assert json.loads(queue["redrive_policy"]) == {
        "deadLetterTargetArn": "${aws_sqs_queue.WorkQueue_DeadLetterQueue_D6AFA689.arn}",
        "maxReceiveCount": 5,
    }
    allow = by_id(stack, "aws_sqs_queue_redrive_allow_policy", "WorkQueue/RedriveAllowPolicy")
    assert allow["queue_url"] == "${aws_sqs_queue.WorkQueue_DeadLetterQueue_D6AFA689.url}"
    assert json.loads(allow["redrive_allow_policy"]) == {
        "redrivePermission": "byQueue",
        "sourceQueueArns": ["${aws_sqs_queue.WorkQueue_B68DB9B0.arn}"],
    }


@pytest.mark.parametrize(("policy", "queue"), [("QueuePolicy", "WorkQueue_B68DB9B0"),
                                               ("DeadLetterQueuePolicy", "WorkQueue_DeadLetterQueue_D6AFA689")])  # fmt: skip
def test_each_queue_denies_requests_without_tls_and_grants_nothing(
    stack: dict[str, Any], policy: str, queue: str
) -> None:
    body = by_id(stack, "aws_sqs_queue_policy", "WorkQueue/%s" % policy)
    assert body["queue_url"] == "${aws_sqs_queue.%s.url}" % queue
    assert body["policy"].startswith("${data.aws_iam_policy_document.WorkQueue_%sDocument_" % policy)
    statements = policy_statements(stack, "WorkQueue/%sDocument" % policy)
    assert list(statements) == ["DenyInsecureTransport"]  # access comes from IAM, not the queue policy
    deny = statements["DenyInsecureTransport"]
    assert deny["effect"] == "Deny" and deny["actions"] == ["sqs:*"]
    assert deny["principals"] == [{"type": "AWS", "identifiers": ["*"]}]
    assert deny["resources"] == ["${aws_sqs_queue.%s.arn}" % queue]
    assert deny["condition"] == [{"test": "Bool", "variable": "aws:SecureTransport", "values": ["false"]}]


def test_dead_letter_queue_policy_waits_for_the_redrive_allow_policy(stack: dict[str, Any]) -> None:
    body = by_id(stack, "aws_sqs_queue_policy", "WorkQueue/DeadLetterQueuePolicy")
    assert body["depends_on"] == ["aws_sqs_queue_redrive_allow_policy.WorkQueue_RedriveAllowPolicy_1F99F68A"]


def test_defaults_two_alarms_without_notifications(stack: dict[str, Any]) -> None:
    age = by_id(stack, "aws_cloudwatch_metric_alarm", "WorkQueue/OldestMessageAgeAlarm")
    assert age["alarm_name"] == "flask-app-dev-jobs-oldest-message-age"
    assert (age["namespace"], age["metric_name"], age["statistic"]) == (
        "AWS/SQS",
        "ApproximateAgeOfOldestMessage",
        "Maximum",
    )
    assert age["dimensions"] == {"QueueName": "${aws_sqs_queue.WorkQueue_B68DB9B0.name}"}
    assert (age["comparison_operator"], age["threshold"]) == ("GreaterThanThreshold", 1800)
    assert (age["period"], age["evaluation_periods"], age["datapoints_to_alarm"]) == (60, 5, 5)
    dead = by_id(stack, "aws_cloudwatch_metric_alarm", "WorkQueue/DeadLetterAlarm")
    assert dead["alarm_name"] == "flask-app-dev-jobs-dlq-not-empty"
    assert (dead["metric_name"], dead["statistic"]) == ("ApproximateNumberOfMessagesVisible", "Maximum")
    assert dead["dimensions"] == {"QueueName": "${aws_sqs_queue.WorkQueue_DeadLetterQueue_D6AFA689.name}"}
    assert (dead["comparison_operator"], dead["threshold"], dead["evaluation_periods"]) == (
        "GreaterThanOrEqualToThreshold", 1, 1,
    )  # fmt: skip
    for alarm in (age, dead):
        assert alarm["alarm_actions"] == alarm["ok_actions"] == []
        assert alarm["treat_missing_data"] == "notBreaching"  # an empty, idle queue sends no data


def test_attributes_are_references_to_the_resources(built: tuple[dict[str, Any], Any, Any]) -> None:
    """Tokens (``${aws_sqs_queue.X.url}`` once synthesized), so whatever uses them waits for the queue."""
    from cdktf import Token

    _, queue, _ = built
    assert len(queue.alarm_names) == 2
    for attribute in ("queue_url", "queue_arn", "queue_name", "dlq_url", "dlq_arn", "dlq_name"):
        assert Token.is_unresolved(getattr(queue, attribute)), attribute
    assert all(Token.is_unresolved(name) for name in queue.alarm_names)
    assert queue.kms_key_arn is None


def test_stateful_construct_ids_are_stable(stack: dict[str, Any]) -> None:
    """Renaming these IDs would replace the queues and lose their messages."""
    assert sorted(stack["resource"]["aws_sqs_queue"]) == sorted([QUEUE, DLQ, FULL_QUEUE, FULL_DLQ])


# ---- properties: every option --------------------------------------------------------------------


def test_every_option_set(stack: dict[str, Any]) -> None:
    queue = _queue(stack, FULL_QUEUE)
    dlq = _queue(stack, FULL_DLQ)
    assert (queue["name"], dlq["name"]) == ("flask-app-dev-reports", "flask-app-dev-reports-dlq")
    assert (queue["visibility_timeout_seconds"], queue["message_retention_seconds"], queue["receive_wait_time_seconds"]) == (
        900, 86400, 10,
    )  # fmt: skip
    assert dlq["message_retention_seconds"] == 604800
    assert json.loads(queue["redrive_policy"])["maxReceiveCount"] == 3
    for body in (queue, dlq):
        assert body["kms_master_key_id"] == KEY_ARN
        assert "sqs_managed_sse_enabled" not in body  # the provider rejects both together
    age = by_id(stack, "aws_cloudwatch_metric_alarm", "KeyedQueue/OldestMessageAgeAlarm")
    assert age["threshold"] == 600
    for alarm in (age, by_id(stack, "aws_cloudwatch_metric_alarm", "KeyedQueue/DeadLetterAlarm")):
        assert alarm["alarm_actions"] == alarm["ok_actions"] == [TOPIC_ARN]


def test_consumer_and_producer_grants_name_only_this_queue(built: tuple[dict[str, Any], Any, Any]) -> None:
    from modules.service import PolicyStatement

    _, queue, _ = built
    (consume,) = queue.consumer_statements()
    assert consume == PolicyStatement(
        sid="ConsumeQueue",
        actions=("sqs:ChangeMessageVisibility", "sqs:DeleteMessage", "sqs:GetQueueAttributes", "sqs:GetQueueUrl",
                 "sqs:ReceiveMessage"),
        resources=(queue.queue_arn,),
    )  # fmt: skip
    (produce,) = queue.producer_statements()
    assert produce == PolicyStatement(
        sid="SendToQueue", actions=("sqs:GetQueueAttributes", "sqs:GetQueueUrl", "sqs:SendMessage"),
        resources=(queue.queue_arn,),
    )  # fmt: skip


def test_grants_add_the_kms_actions_with_a_customer_key(built: tuple[dict[str, Any], Any, Any]) -> None:
    _, _, keyed = built
    consume, decrypt = keyed.consumer_statements()
    assert consume.resources == (keyed.queue_arn,)
    assert (decrypt.sid, decrypt.actions, decrypt.resources) == ("DecryptQueue", ("kms:Decrypt",), (KEY_ARN,))
    produce, encrypt = keyed.producer_statements()
    assert produce.resources == (keyed.queue_arn,)
    assert (encrypt.sid, encrypt.actions, encrypt.resources) == (
        "EncryptForQueue", ("kms:Decrypt", "kms:GenerateDataKey"), (KEY_ARN,),
    )  # fmt: skip


# ---- validation: one test per rule ----------------------------------------------------------------


def _props(**overrides: Any) -> Any:
    from modules.queue import WorkQueueProps

    return WorkQueueProps(**{"name": "flask-app-dev-jobs", **overrides})


@pytest.mark.parametrize(
    ("name", "message"),
    [
        (
            "q" * 77,
            r"WorkQueueProps\.name='q{77}' makes the queue name 'q{77}-dlq' is 81 characters; allowed: at most 80",
        ),
        (
            "jobs.fifo",
            r"WorkQueueProps\.name='jobs\.fifo' makes the queue name 'jobs\.fifo' ends in '\.fifo'.*allowed: a standard",
        ),
        (
            "my jobs",
            r"WorkQueueProps\.name='my jobs' makes the queue name 'my jobs' is not a queue name; allowed: letters",
        ),
    ],
    ids=["dlq-name-too-long", "fifo", "characters"],
)
def test_rejects_a_queue_name_sqs_would_refuse(name: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        _props(name=name)


def test_accepts_the_longest_name_whose_dead_letter_queue_fits() -> None:
    assert _props(name="q" * 76).name == "q" * 76


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        (
            "visibility_timeout_seconds",
            43201,
            "43201 is outside the SQS visibility timeout range; allowed: 0..43200 seconds",
        ),
        ("visibility_timeout_seconds", -1, "-1 is outside the SQS visibility timeout range; allowed: 0..43200 seconds"),
        (
            "message_retention_seconds",
            59,
            "59 is outside the SQS message retention range; allowed: 60..1209600 seconds",
        ),
        (
            "dlq_message_retention_seconds",
            1209601,
            "1209601 is outside the SQS message retention range; allowed: 60..1209600",
        ),
        ("max_receive_count", 0, "0 is outside the SQS maxReceiveCount range; allowed: 1..1000 receives"),
        ("max_receive_count", 1001, "1001 is outside the SQS maxReceiveCount range; allowed: 1..1000 receives"),
        ("receive_wait_time_seconds", 21, "21 is outside the SQS receive wait range; allowed: 0..20 seconds"),
    ],
)
def test_rejects_attributes_outside_the_sqs_ranges(field: str, value: int, message: str) -> None:
    with pytest.raises(ValueError, match=r"WorkQueueProps\.%s=%s" % (field, message.replace(".", r"\."))):
        _props(**{field: value})


def test_rejects_a_dead_letter_queue_that_keeps_messages_shorter_than_the_queue() -> None:
    with pytest.raises(ValueError, match=r"dlq_message_retention_seconds=86400 is shorter than message_retention_seconds=345600"
                                         r".*; allowed: 345600\.\.1209600"):  # fmt: skip
        _props(dlq_message_retention_seconds=86400)


@pytest.mark.parametrize(
    ("threshold", "retention"),
    [(345600, 345600), (400000, 345600), (30, 345600)],
    ids=["at-retention", "above-retention", "below-one-period"],
)
def test_rejects_an_age_alarm_that_could_never_or_would_always_fire(threshold: int, retention: int) -> None:
    with pytest.raises(ValueError, match=r"oldest_message_age_alarm_seconds=%d is not between the metric period and the"
                                         r" message retention; allowed: 60\.\.345599 seconds" % threshold):  # fmt: skip
        _props(oldest_message_age_alarm_seconds=threshold, message_retention_seconds=retention)


@pytest.mark.parametrize("arn", ["alias/orders", "arn:aws:kms:us-east-1:123456789012:alias/orders", "0123abcd-45ef"])
def test_rejects_a_key_that_is_not_a_key_arn(arn: str) -> None:
    with pytest.raises(ValueError, match=r"WorkQueueProps\.kms_key_arn='%s' is not a KMS key ARN; allowed: "
                                         r"arn:aws:kms:<region>:<account>:key/<key id>" % arn):  # fmt: skip
        _props(kms_key_arn=arn)


# ---- validity through the real provider schema ------------------------------------------------------


def test_terraform_validate(terraform: str, tmp_path: Path, stack: dict[str, Any]) -> None:
    assert_valid(terraform, tmp_path, stack)
