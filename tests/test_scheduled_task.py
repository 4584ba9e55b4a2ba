"""ScheduledTask: the schedule, its key and role, the dead-letter queue and failed-run rule, the alarms, the
on-demand RunTask input, validation, and validity through the real Terraform provider schema.

One synthesized stack holds three cases: ``NightlyJob`` with defaults only, ``ReportJob`` with every
option set (a capacity-provider strategy), and ``HourlyJob`` (a launch type instead).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from rules.capacity import StrategyItem
from tests.conftest import synth_construct
from tests.construct_validate import assert_valid
from tests.service_stack import by_id, policy_statements

ACCOUNT = "123456789012"
CLUSTER_ARN = "arn:aws:ecs:us-east-1:%s:cluster/flask-app-dev" % ACCOUNT
TASK_DEF = "arn:aws:ecs:us-east-1:%s:task-definition/flask-app-dev-nightly:7" % ACCOUNT
TASK_ROLE = "arn:aws:iam::%s:role/flask-app-dev-nightly-task" % ACCOUNT
EXECUTION_ROLE = "arn:aws:iam::%s:role/flask-app-dev-nightly-execution" % ACCOUNT
KEY_ARN = "arn:aws:kms:us-east-1:%s:key/0123abcd-45ef-67ab-89cd-0123456789ab" % ACCOUNT
TOPIC_ARN = "arn:aws:sns:us-east-1:%s:flask-app-dev-alarms" % ACCOUNT
BASE: dict[str, Any] = {
    "region": "us-east-1",
    "cluster_arn": CLUSTER_ARN,
    "subnet_ids": ("subnet-0aaaaaaaaaaaaaaaa", "subnet-0bbbbbbbbbbbbbbbb"),
    "security_group_ids": ("sg-0123456789abcdef0",),
    "task_role_arn": TASK_ROLE,
    "execution_role_arn": EXECUTION_ROLE,
}
DEFAULTS: dict[str, Any] = {
    **BASE,
    "name": "flask-app-dev-nightly",
    "schedule_expression": "cron(0 3 * * ? *)",
    "task_family": "flask-app-dev-nightly",
    "task_definition_arn": TASK_DEF,
}
STRATEGY = (StrategyItem("FARGATE", 1, 1), StrategyItem("FARGATE_SPOT", 3, 0))
FULL: dict[str, Any] = {
    **BASE,
    "name": "flask-app-dev-report",
    "schedule_expression": "cron(30 6 ? * MON-FRI *)",
    "task_family": "flask-app-dev-report",
    "task_definition_arn": "arn:aws:ecs:us-east-1:%s:task-definition/flask-app-dev-report" % ACCOUNT,  # no revision
    "timezone": "Europe/Berlin",
    "assign_public_ip": True,
    "capacity_provider_strategy": STRATEGY,
    "maximum_retry_attempts": 5,
    "maximum_event_age_seconds": 600,
    "state": "DISABLED",
    "group_name": "flask-app-dev-jobs",
    "kms_key_arn": KEY_ARN,
    "alarm_topic_arn": TOPIC_ARN,
}
HOURLY: dict[str, Any] = {**DEFAULTS, "name": "flask-app-dev-hourly", "schedule_expression": "rate(1 hour)",
                          "launch_type": "FARGATE"}  # fmt: skip


@pytest.fixture(scope="module")
def built() -> tuple[dict[str, Any], dict[str, Any]]:
    """(stack, constructs by id), synthesized once for this module."""
    from modules.scheduled_task import ScheduledTask, ScheduledTaskProps

    made: dict[str, Any] = {}

    def build(stack: Any) -> None:
        for id_, props in (("NightlyJob", DEFAULTS), ("ReportJob", FULL), ("HourlyJob", HOURLY)):
            made[id_] = ScheduledTask(stack, id_, props=ScheduledTaskProps(**props))

    return synth_construct(build), made


@pytest.fixture(scope="module")
def stack(built: tuple[dict[str, Any], dict[str, Any]]) -> dict[str, Any]:
    return built[0]


def _ref(stack: dict[str, Any], rtype: str, prefix: str, attribute: str, *, data: bool = False) -> str:
    """``${<rtype>.<logical id>.<attribute>}`` of the one resource whose logical id starts with ``prefix``."""
    section = stack["data" if data else "resource"][rtype]
    (key,) = [k for k in section if k.rsplit("_", 1)[0] == prefix]
    return "${%s%s.%s.%s}" % ("data." if data else "", rtype, key, attribute)


# ---- properties: defaults -------------------------------------------------------------------------


def test_defaults_schedule(stack: dict[str, Any]) -> None:
    schedule = by_id(stack, "aws_scheduler_schedule", "NightlyJob/Schedule")
    assert (schedule["name"], schedule["group_name"]) == ("flask-app-dev-nightly", "default")
    assert (schedule["schedule_expression"], schedule["schedule_expression_timezone"]) == ("cron(0 3 * * ? *)", "UTC")
    assert schedule["flexible_time_window"] == {"mode": "OFF"}
    assert schedule["state"] == "ENABLED"
    assert schedule["kms_key_arn"] == _ref(stack, "aws_kms_key", "NightlyJob_Key", "arn")
    target = schedule["target"]
    assert target["arn"] == CLUSTER_ARN
    assert target["role_arn"] == _ref(stack, "aws_iam_role", "NightlyJob_Role", "arn")
    assert target["ecs_parameters"] == {
        "task_definition_arn": TASK_DEF,
        "task_count": 1,
        "network_configuration": {"subnets": list(BASE["subnet_ids"]), "security_groups": list(BASE["security_group_ids"]),
                                  "assign_public_ip": False},
    }  # fmt: skip  # neither a launch type nor a strategy: the cluster's default strategy
    assert target["retry_policy"] == {"maximum_retry_attempts": 2, "maximum_event_age_in_seconds": 3600}
    assert target["dead_letter_config"] == {"arn": _ref(stack, "aws_sqs_queue", "NightlyJob_DeadLetterQueue", "arn")}
    assert schedule["depends_on"] == [_ref(stack, "aws_iam_role_policy", "NightlyJob_RolePolicy", "x")[2:-3]]


def test_defaults_key_of_its_own(stack: dict[str, Any]) -> None:
    key = by_id(stack, "aws_kms_key", "NightlyJob/Key")
    assert key["enable_key_rotation"] is True and key["deletion_window_in_days"] == 30
    (statement,) = json.loads(key["policy"])["Statement"]
    assert statement["Sid"] == "KeyAdministration"
    assert statement["Principal"] == {"AWS": "arn:%s:iam::%s:root" % (
        _ref(stack, "aws_partition", "NightlyJob_Partition", "partition", data=True),
        _ref(stack, "aws_caller_identity", "NightlyJob_CallerIdentity", "account_id", data=True),
    )}  # fmt: skip
    assert not [a for a in statement["Action"] if "*" in a]
    assert [k for k in stack["resource"]["aws_kms_key"] if k.startswith("ReportJob")] == []  # ReportJob brings its key


def test_role_trusts_only_scheduler_for_this_account(stack: dict[str, Any]) -> None:
    role = by_id(stack, "aws_iam_role", "NightlyJob/Role")
    assert role["name"] == "flask-app-dev-nightly-scheduler"
    assert role["assume_role_policy"] == _ref(
        stack, "aws_iam_policy_document", "NightlyJob_RoleTrust", "json", data=True
    )
    (trust,) = policy_statements(stack, "NightlyJob/RoleTrust").values()
    assert trust["actions"] == ["sts:AssumeRole"]
    assert trust["principals"] == [{"type": "Service", "identifiers": ["scheduler.amazonaws.com"]}]
    account = _ref(stack, "aws_caller_identity", "NightlyJob_CallerIdentity", "account_id", data=True)
    assert trust["condition"] == [{"test": "StringEquals", "variable": "aws:SourceAccount", "values": [account]}]


def test_role_may_run_this_family_in_this_cluster_and_pass_exactly_the_two_roles(stack: dict[str, Any]) -> None:
    policy = by_id(stack, "aws_iam_role_policy", "NightlyJob/RolePolicy")
    assert policy["policy"] == _ref(
        stack, "aws_iam_policy_document", "NightlyJob_RolePolicyDocument", "json", data=True
    )
    statements = policy_statements(stack, "NightlyJob/RolePolicyDocument")
    assert list(statements) == ["RunTask", "PassTaskRoles", "DeadLetters", "DecryptSchedule"]
    family = "arn:%s:ecs:us-east-1:%s:task-definition/flask-app-dev-nightly" % (
        _ref(stack, "aws_partition", "NightlyJob_Partition", "partition", data=True),
        _ref(stack, "aws_caller_identity", "NightlyJob_CallerIdentity", "account_id", data=True),
    )
    run = statements["RunTask"]
    assert (run["actions"], run["resources"]) == (["ecs:RunTask"], [family, family + ":*"])
    assert run["condition"] == [{"test": "ArnEquals", "variable": "ecs:cluster", "values": [CLUSTER_ARN]}]
    passing = statements["PassTaskRoles"]
    assert (passing["actions"], passing["resources"]) == (["iam:PassRole"], [TASK_ROLE, EXECUTION_ROLE])
    assert passing["condition"] == [
        {"test": "StringEquals", "variable": "iam:PassedToService", "values": ["ecs-tasks.amazonaws.com"]}
    ]
    dlq = statements["DeadLetters"]
    assert (dlq["actions"], dlq["resources"]) == (
        ["sqs:SendMessage"],
        [_ref(stack, "aws_sqs_queue", "NightlyJob_DeadLetterQueue", "arn")],
    )
    decrypt = statements["DecryptSchedule"]
    assert (decrypt["actions"], decrypt["resources"]) == (
        ["kms:Decrypt"],
        [_ref(stack, "aws_kms_key", "NightlyJob_Key", "arn")],
    )
    for statement in statements.values():
        assert statement["effect"] == "Allow"
        assert not [a for a in statement["actions"] if "*" in a] and "*" not in statement["resources"]


def test_dead_letter_queue_takes_failed_invocations_and_failed_run_events_over_tls(stack: dict[str, Any]) -> None:
    queue = by_id(stack, "aws_sqs_queue", "NightlyJob/DeadLetterQueue")
    assert queue["name"] == "flask-app-dev-nightly-dlq"
    assert queue["sqs_managed_sse_enabled"] is True and queue["message_retention_seconds"] == 1209600
    policy = by_id(stack, "aws_sqs_queue_policy", "NightlyJob/DeadLetterQueuePolicy")
    assert policy["queue_url"] == _ref(stack, "aws_sqs_queue", "NightlyJob_DeadLetterQueue", "url")
    statements = policy_statements(stack, "NightlyJob/DeadLetterQueuePolicyDocument")
    assert list(statements) == ["DenyInsecureTransport", "FailedRunEvents"]
    assert statements["DenyInsecureTransport"]["effect"] == "Deny"
    events = statements["FailedRunEvents"]
    assert events["principals"] == [{"type": "Service", "identifiers": ["events.amazonaws.com"]}]
    assert (events["effect"], events["actions"]) == ("Allow", ["sqs:SendMessage"])
    rule_arn = _ref(stack, "aws_cloudwatch_event_rule", "NightlyJob_FailedRunRule", "arn")
    assert events["condition"] == [{"test": "ArnEquals", "variable": "aws:SourceArn", "values": [rule_arn]}]


def test_failed_run_rule_sends_to_the_dead_letter_queue(stack: dict[str, Any]) -> None:
    rule = by_id(stack, "aws_cloudwatch_event_rule", "NightlyJob/FailedRunRule")
    assert (rule["name"], rule["state"]) == ("flask-app-dev-nightly-failed-runs", "ENABLED")
    target = by_id(stack, "aws_cloudwatch_event_target", "NightlyJob/FailedRunTarget")
    assert target["rule"] == _ref(stack, "aws_cloudwatch_event_rule", "NightlyJob_FailedRunRule", "name")
    assert target["arn"] == _ref(stack, "aws_sqs_queue", "NightlyJob_DeadLetterQueue", "arn")
    pattern = json.loads(rule["event_pattern"])
    assert pattern["source"] == ["aws.ecs"] and pattern["detail-type"] == ["ECS Task State Change"]
    detail = pattern["detail"]
    assert detail["clusterArn"] == [CLUSTER_ARN] and detail["lastStatus"] == ["STOPPED"]
    (prefix,) = detail["taskDefinitionArn"]
    assert prefix["prefix"].endswith(":task-definition/flask-app-dev-nightly:")  # this family only, any revision
    assert detail["$or"] == [{"containers": {"exitCode": [{"anything-but": [0]}]}}, {"stopCode": ["TaskFailedToStart"]}]


def _matches(pattern: Any, event: Any) -> bool:
    """The EventBridge matching the failed-run pattern uses (EventBridge User Guide, "Event patterns"):
    every key must match; a list of values matches when one does; an array in the event matches when one
    element does; ``prefix``, ``anything-but`` (the field must exist) and ``$or``."""
    if isinstance(event, list):
        return any(_matches(pattern, e) for e in event)
    if isinstance(pattern, dict):
        for key, sub in pattern.items():
            if key == "$or":
                if not any(_matches(alternative, event) for alternative in sub):
                    return False
            elif not isinstance(event, dict) or key not in event or not _matches(sub, event[key]):
                return False
        return True
    return any(_value_matches(rule, event) for rule in pattern)


def _value_matches(rule: Any, value: Any) -> bool:
    if isinstance(rule, dict) and "prefix" in rule:
        return isinstance(value, str) and value.startswith(rule["prefix"])
    if isinstance(rule, dict) and "anything-but" in rule:
        return value not in rule["anything-but"]
    return bool(rule == value)


@pytest.mark.parametrize(
    ("change", "failed"),
    [
        ({"containers": [{"name": "app", "exitCode": 1}]}, True),
        ({"containers": [{"name": "app", "exitCode": 0}, {"name": "sidecar", "exitCode": 137}]}, True),
        ({"containers": [{"name": "app"}], "stopCode": "TaskFailedToStart"}, True),
        ({"containers": [{"name": "app", "exitCode": 0}]}, False),
        ({"containers": [{"name": "app", "exitCode": 1}], "lastStatus": "DEPROVISIONING"}, False),
        ({"containers": [{"name": "app", "exitCode": 1}], "clusterArn": CLUSTER_ARN + "-other"}, False),
        (
            {
                "containers": [{"name": "app", "exitCode": 1}],
                "taskDefinitionArn": TASK_DEF.replace("nightly", "nightly2"),
            },
            False,
        ),
    ],
    ids=[
        "exit-1",
        "one-container-failed",
        "failed-to-start",
        "exit-0",
        "not-stopped-yet",
        "other-cluster",
        "other-family",
    ],
)
def test_failed_run_pattern_matches_failures_of_this_family_only(change: dict[str, Any], failed: bool) -> None:
    from modules.scheduled_task import failed_run_pattern

    family = TASK_DEF.rsplit(":", 1)[0]
    pattern = failed_run_pattern(cluster_arn=CLUSTER_ARN, task_definition_family_arn=family)
    detail = {"clusterArn": CLUSTER_ARN, "taskDefinitionArn": TASK_DEF, "lastStatus": "STOPPED",
              "stopCode": "EssentialContainerExited", **change}  # fmt: skip
    event = {"source": "aws.ecs", "detail-type": "ECS Task State Change", "detail": detail}
    assert _matches(pattern, event) is failed


def test_defaults_alarms(stack: dict[str, Any]) -> None:
    alarms = {a["alarm_name"]: a for k, a in stack["resource"]["aws_cloudwatch_metric_alarm"].items()
              if k.startswith("NightlyJob_")}  # fmt: skip
    assert sorted(alarms) == ["flask-app-dev-nightly-failed-run-delivery", "flask-app-dev-nightly-failed-runs",
                              "flask-app-dev-nightly-invocations-dropped", "flask-app-dev-nightly-target-errors"]  # fmt: skip
    metrics = {name: (a["namespace"], a["metric_name"], a["dimensions"], a["statistic"], a["period"])
               for name, a in alarms.items()}  # fmt: skip
    assert metrics == {
        "flask-app-dev-nightly-failed-runs": ("AWS/SQS", "ApproximateNumberOfMessagesVisible",
            {"QueueName": _ref(stack, "aws_sqs_queue", "NightlyJob_DeadLetterQueue", "name")}, "Maximum", 60),
        "flask-app-dev-nightly-target-errors": ("AWS/Scheduler", "TargetErrorCount", {"ScheduleGroup": "default"}, "Sum", 300),
        "flask-app-dev-nightly-invocations-dropped": ("AWS/Scheduler", "InvocationDroppedCount",
            {"ScheduleGroup": "default"}, "Sum", 300),
        "flask-app-dev-nightly-failed-run-delivery": ("AWS/Events", "FailedInvocations",
            {"RuleName": _ref(stack, "aws_cloudwatch_event_rule", "NightlyJob_FailedRunRule", "name")}, "Sum", 300),
    }  # fmt: skip
    for alarm in alarms.values():
        assert (alarm["comparison_operator"], alarm["threshold"], alarm["evaluation_periods"]) == (
            "GreaterThanOrEqualToThreshold", 1, 1,
        )  # fmt: skip
        assert alarm["treat_missing_data"] == "notBreaching"
        assert alarm["alarm_actions"] == alarm["ok_actions"] == []


def test_defaults_attributes_and_on_demand_run(built: tuple[dict[str, Any], dict[str, Any]]) -> None:
    from cdktf import Token

    job = built[1]["NightlyJob"]
    assert job.group_name == "default"
    assert len(job.alarm_names) == 4 and all(Token.is_unresolved(n) for n in job.alarm_names)
    for attribute in (
        "schedule_name",
        "schedule_arn",
        "role_arn",
        "dlq_arn",
        "dlq_url",
        "dlq_name",
        "kms_key_arn",
        "rule_name",
    ):
        assert Token.is_unresolved(getattr(job, attribute)), attribute
    assert job.run_task_input == {
        "cluster": CLUSTER_ARN,
        "taskDefinition": TASK_DEF,
        "count": 1,
        "startedBy": "flask-app-dev-nightly-on-demand",
        "networkConfiguration": {"awsvpcConfiguration": {"subnets": list(BASE["subnet_ids"]),
                                 "securityGroups": list(BASE["security_group_ids"]), "assignPublicIp": "DISABLED"}},
    }  # fmt: skip


# ---- properties: every option set, and a launch type ------------------------------------------------


def test_every_option_set(stack: dict[str, Any], built: tuple[dict[str, Any], dict[str, Any]]) -> None:
    schedule = by_id(stack, "aws_scheduler_schedule", "ReportJob/Schedule")
    assert (schedule["group_name"], schedule["schedule_expression_timezone"], schedule["state"]) == (
        "flask-app-dev-jobs", "Europe/Berlin", "DISABLED",
    )  # fmt: skip
    assert schedule["kms_key_arn"] == KEY_ARN
    ecs = schedule["target"]["ecs_parameters"]
    assert ecs["task_definition_arn"] == FULL["task_definition_arn"]
    assert ecs["capacity_provider_strategy"] == [
        {"capacity_provider": "FARGATE", "weight": 1, "base": 1}, {"capacity_provider": "FARGATE_SPOT", "weight": 3, "base": 0},
    ]  # fmt: skip
    assert "launch_type" not in ecs and ecs["network_configuration"]["assign_public_ip"] is True
    assert schedule["target"]["retry_policy"] == {"maximum_retry_attempts": 5, "maximum_event_age_in_seconds": 600}
    decrypt = policy_statements(stack, "ReportJob/RolePolicyDocument")["DecryptSchedule"]
    assert decrypt["resources"] == [KEY_ARN]
    alarms = [a for k, a in stack["resource"]["aws_cloudwatch_metric_alarm"].items() if k.startswith("ReportJob_")]
    assert len(alarms) == 4
    assert all(a["alarm_actions"] == a["ok_actions"] == [TOPIC_ARN] for a in alarms)
    assert {a["dimensions"]["ScheduleGroup"] for a in alarms if a["namespace"] == "AWS/Scheduler"} == {
        "flask-app-dev-jobs"
    }
    job = built[1]["ReportJob"]
    assert job.kms_key_arn == KEY_ARN and job.group_name == "flask-app-dev-jobs"
    assert job.run_task_input["capacityProviderStrategy"] == [
        {"capacityProvider": "FARGATE", "weight": 1, "base": 1}, {"capacityProvider": "FARGATE_SPOT", "weight": 3, "base": 0},
    ]  # fmt: skip
    assert job.run_task_input["networkConfiguration"]["awsvpcConfiguration"]["assignPublicIp"] == "ENABLED"
    assert "launchType" not in job.run_task_input


def test_launch_type_instead_of_a_strategy(stack: dict[str, Any], built: tuple[dict[str, Any], dict[str, Any]]) -> None:
    ecs = by_id(stack, "aws_scheduler_schedule", "HourlyJob/Schedule")["target"]["ecs_parameters"]
    assert ecs["launch_type"] == "FARGATE" and "capacity_provider_strategy" not in ecs
    run = built[1]["HourlyJob"].run_task_input
    assert run["launchType"] == "FARGATE" and "capacityProviderStrategy" not in run


def test_rule_name_limit_is_the_api_model() -> None:
    import botocore.session

    from modules.scheduled_task import RULE_NAME

    meta = botocore.session.get_session().get_service_model("events").shape_for("RuleName").metadata
    assert (meta["min"], meta["max"], meta["pattern"]) == (1, 64, r"[\.\-_A-Za-z0-9]+")
    assert RULE_NAME.pattern == r"^[.\-_A-Za-z0-9]{1,64}$"


# ---- validation: one test per rule ----------------------------------------------------------------


def _props(**overrides: Any) -> Any:
    from modules.scheduled_task import ScheduledTaskProps

    return ScheduledTaskProps(**{**DEFAULTS, **overrides})


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"name": "nightly job"}, r"^ScheduledTaskProps\.name='nightly job' is not a schedule name; allowed: 1\.\.64 characters"),
        ({"name": "n" * 53}, r"^ScheduledTaskProps\.name='n{53}' makes the EventBridge rule name 'n{53}-failed-runs' 65"
                             r" characters; allowed: at most 64$"),
        ({"name": "flask.nightly"}, r"^ScheduledTaskProps\.name='flask\.nightly' makes the queue name 'flask\.nightly-dlq' is"
                                    r" not a queue name; allowed: letters, digits, '-' and '_'$"),
        ({"schedule_expression": "rate(5 minute)"}, r"^ScheduledTaskProps\.schedule_expression='rate\(5 minute\)' uses the"
                                                    r" unit 'minute' with the value 5; allowed: 'minutes'"),
        ({"schedule_expression": "cron(0 3 * * * *)"}, r"^ScheduledTaskProps\.schedule_expression='cron\(0 3 \* \* \* \*\)':"
                                                       r" day-of-month '\*' and day-of-week '\*'; allowed: '\?' in exactly one"),
        ({"timezone": "CEST"}, r"^ScheduledTaskProps\.timezone='CEST' is not an IANA time zone; allowed: a name of the IANA"),
        ({"task_family": "flask.nightly"}, r"^ScheduledTaskProps\.task_family='flask\.nightly' is not a task definition family;"
                                           r" allowed: 1\.\.255 letters"),
        ({"task_definition_arn": TASK_DEF.replace("nightly", "other")}, r"^ScheduledTaskProps\.task_definition_arn='.*other:7'"
            r" is not a task definition of family 'flask-app-dev-nightly'; allowed: arn:aws:ecs:<region>:<account>:task-definition/"
            r"flask-app-dev-nightly\[:<revision>\]$"),
        ({"task_definition_arn": "flask-app-dev-nightly:7"}, r"task_definition_arn='flask-app-dev-nightly:7' is not a task"
                                                             r" definition of family"),
        ({"subnet_ids": ()}, r"^ScheduledTaskProps\.subnet_ids has 0 entries; allowed: 1\.\.16$"),
        ({"subnet_ids": tuple("subnet-%d" % i for i in range(17))}, r"^ScheduledTaskProps\.subnet_ids has 17 entries; allowed: 1\.\.16$"),
        ({"security_group_ids": ()}, r"^ScheduledTaskProps\.security_group_ids has 0 entries; allowed: 1\.\.5$"),
        ({"security_group_ids": tuple("sg-%d" % i for i in range(6))}, r"security_group_ids has 6 entries; allowed: 1\.\.5$"),
        ({"launch_type": "FARGATE", "capacity_provider_strategy": STRATEGY}, r"^ScheduledTaskProps\.launch_type='FARGATE' with a"
            r" capacity_provider_strategy; allowed: one of them, or neither \(the cluster's default strategy\)$"),
        ({"launch_type": "SPOT"}, r"^ScheduledTaskProps\.launch_type='SPOT'; allowed: EC2, FARGATE, EXTERNAL$"),
        ({"capacity_provider_strategy": tuple(StrategyItem("cp%d" % i, 1, 0) for i in range(7))},
         r"^ScheduledTaskProps\.capacity_provider_strategy has 7 items; allowed: at most 6$"),
        ({"capacity_provider_strategy": (StrategyItem("FARGATE", 1001, 0),)},
         r"^ScheduledTaskProps\.capacity_provider_strategy FARGATE weight=1001; allowed: 0\.\.1000$"),
        ({"capacity_provider_strategy": (StrategyItem("FARGATE", 1, -1),)},
         r"^ScheduledTaskProps\.capacity_provider_strategy FARGATE base=-1; allowed: 0\.\.100000$"),
        ({"capacity_provider_strategy": (StrategyItem("FARGATE", 1, 1), StrategyItem("FARGATE_SPOT", 1, 2))},
         r"^ScheduledTaskProps\.capacity_provider_strategy sets a base on FARGATE, FARGATE_SPOT; allowed: a base on one"),
        ({"maximum_retry_attempts": -1}, r"^ScheduledTaskProps\.maximum_retry_attempts=-1; allowed: 0\.\.185$"),
        ({"maximum_retry_attempts": 186}, r"^ScheduledTaskProps\.maximum_retry_attempts=186; allowed: 0\.\.185$"),
        ({"maximum_event_age_seconds": 59}, r"^ScheduledTaskProps\.maximum_event_age_seconds=59; allowed: 60\.\.86400$"),
        ({"maximum_event_age_seconds": 86401}, r"^ScheduledTaskProps\.maximum_event_age_seconds=86401; allowed: 60\.\.86400$"),
        ({"state": "PAUSED"}, r"^ScheduledTaskProps\.state='PAUSED'; allowed: ENABLED, DISABLED$"),
        ({"group_name": "jobs/dev"}, r"^ScheduledTaskProps\.group_name='jobs/dev' is not a schedule name; allowed: 1\.\.64"),
        ({"kms_key_arn": "alias/aws/scheduler"}, r"^ScheduledTaskProps\.kms_key_arn='alias/aws/scheduler' is not a KMS key ARN;"
                                                 r" allowed: arn:aws:kms:<region>:<account>:key/<key id>"),
    ],
    ids=["name", "name-too-long-for-the-rule", "name-not-a-queue-name", "rate", "cron", "timezone", "family",
         "task-definition-of-another-family", "task-definition-not-an-arn", "no-subnet", "17-subnets", "no-security-group",
         "6-security-groups", "launch-type-and-strategy", "launch-type", "7-strategy-items", "weight", "base",
         "two-bases", "retries-negative", "retries-186", "event-age-59", "event-age-86401", "state", "group", "key-alias"],
)  # fmt: skip
def test_rejects(overrides: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        _props(**overrides)


def test_accepts_the_longest_name_and_a_token_task_definition() -> None:
    from cdktf import Fn, Token

    assert _props(name="n" * 52).name == "n" * 52
    token = Fn.lower("ARN-OF-A-TASK-DEFINITION-REGISTERED-BY-THE-STACK")
    assert Token.is_unresolved(token)
    assert _props(task_definition_arn=token).task_definition_arn == token  # checked by Terraform, not here


# ---- validity through the real provider schema ------------------------------------------------------


def test_terraform_validate(terraform: str, tmp_path: Path, stack: dict[str, Any]) -> None:
    assert_valid(terraform, tmp_path, stack)
