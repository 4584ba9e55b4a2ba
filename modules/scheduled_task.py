"""ScheduledTask: an ECS task run on a schedule by EventBridge Scheduler, with retries, dead letters and alarms.

Smallest example::

    from modules.scheduled_task import ScheduledTask, ScheduledTaskProps

    job = ScheduledTask(stack, "NightlyJob", props=ScheduledTaskProps(
        name="flask-app-dev-nightly", region="us-east-1", schedule_expression="cron(0 3 * * ? *)",
        cluster_arn=cluster.cluster_arn, task_family="flask-app-dev-nightly",
        task_definition_arn=task_definition.arn, subnet_ids=network.private_subnet_ids,
        security_group_ids=(job_security_group_id,), task_role_arn=task_role.arn,
        execution_role_arn=execution_role.arn))
    job.schedule_arn, job.alarm_names
    TerraformOutput(stack, "nightly_run_task_input", value=job.run_task_input)   # run it on demand:
    #   aws ecs run-task --cli-input-json "$(terraform output -json nightly_run_task_input)"

What it builds:

* the schedule ``{name}`` in the ``default`` schedule group (or ``group_name``, an existing group):
  the expression (``rate(...)``, ``cron(...)`` or ``at(...)``, checked by
  :mod:`rules.schedules`) in ``timezone`` (UTC), no flexible window, ``state`` ENABLED unless set,
  one task per run with the given subnets, security groups and public-IP switch, and either the
  given capacity-provider strategy, the given launch type, or neither (then ECS uses the
  cluster's default strategy). Retries: ``maximum_retry_attempts`` (2) within
  ``maximum_event_age_seconds`` (1 hour), then the invocation goes to the dead-letter queue. The
  schedule is encrypted with ``kms_key_arn`` or, unset, a KMS key of its own (yearly rotation);
* that key, when no ``kms_key_arn`` is given: its key policy lets this account's IAM policies grant
  its use (the scheduler role's grant below), with the administrative actions of
  :data:`modules.log_encryption.KEY_ADMIN_ACTIONS` and no wildcard;
* the scheduler role ``{name}-scheduler``, assumable only by ``scheduler.amazonaws.com`` on behalf
  of this account (``aws:SourceAccount``), allowed to: ``ecs:RunTask`` on the task definition family
  (``task-definition/<family>`` and ``<family>:*``) in this cluster only (``ecs:cluster``);
  ``iam:PassRole`` on exactly the task role and the execution role, only to ECS tasks
  (``iam:PassedToService``); ``sqs:SendMessage`` to its dead-letter queue; ``kms:Decrypt`` with the
  schedule's key;
* the dead-letter queue ``{name}-dlq`` (SQS-managed encryption, 14 days, TLS only), which holds
  every failed run: invocations Scheduler gave up on (it sends them with the role), and the
  ``ECS Task State Change`` events of tasks of this family in this cluster that stopped with a
  non-zero exit code or failed to start, delivered by the EventBridge rule ``{name}-failed-runs``
  (the queue policy admits that rule as its only service principal; the role sends through its IAM
  grant). A task that starts and then fails is invisible to Scheduler, which only sees RunTask
  succeed; the rule catches it, whether Scheduler or an operator started the task;
* alarms, notifying ``alarm_topic_arn`` on ALARM and OK when it is set:

  - ``{name}-failed-runs``: a message waits in the dead-letter queue (per job; it stays in ALARM
    until the messages are read and deleted, which is how a failure is acknowledged);
  - ``{name}-target-errors`` / ``{name}-invocations-dropped``: Scheduler's ``TargetErrorCount`` (a
    RunTask call failed, perhaps retried) / ``InvocationDroppedCount`` (retries exhausted) in the
    last 5 minutes. ``AWS/Scheduler`` publishes these per schedule group: in the ``default`` group
    they count every schedule of the group, so jobs that want their own numbers get a group;
  - ``{name}-failed-run-delivery``: EventBridge could not deliver a failed-run event to the queue
    (``AWS/Events`` ``FailedInvocations`` of the rule), so a failure would otherwise go unseen.

Task definition: pass the revision ARN the stack registers (``aws_ecs_task_definition.arn``).
Each deploy that registers a revision updates the schedule in place, so the plan shows which
revision the job runs and a rollback of the task definition rolls the job back too. A family ARN
without revision also works (ECS then runs the latest ACTIVE revision); the role's grant covers
both. Runs carry no propagated or managed tags: tagging on RunTask would need ``ecs:TagResource``
in the role.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from cdktf import Token
from cdktf_cdktf_provider_aws.cloudwatch_event_rule import CloudwatchEventRule
from cdktf_cdktf_provider_aws.cloudwatch_event_target import CloudwatchEventTarget
from cdktf_cdktf_provider_aws.cloudwatch_metric_alarm import CloudwatchMetricAlarm
from cdktf_cdktf_provider_aws.data_aws_caller_identity import DataAwsCallerIdentity
from cdktf_cdktf_provider_aws.data_aws_iam_policy_document import (
    DataAwsIamPolicyDocument,
    DataAwsIamPolicyDocumentStatement,
    DataAwsIamPolicyDocumentStatementCondition,
    DataAwsIamPolicyDocumentStatementPrincipals,
)
from cdktf_cdktf_provider_aws.data_aws_partition import DataAwsPartition
from cdktf_cdktf_provider_aws.iam_role import IamRole
from cdktf_cdktf_provider_aws.iam_role_policy import IamRolePolicy
from cdktf_cdktf_provider_aws.kms_key import KmsKey
from cdktf_cdktf_provider_aws.scheduler_schedule import (
    SchedulerSchedule,
    SchedulerScheduleFlexibleTimeWindow,
    SchedulerScheduleTarget,
    SchedulerScheduleTargetDeadLetterConfig,
    SchedulerScheduleTargetEcsParameters,
    SchedulerScheduleTargetEcsParametersCapacityProviderStrategy,
    SchedulerScheduleTargetEcsParametersNetworkConfiguration,
    SchedulerScheduleTargetRetryPolicy,
)
from cdktf_cdktf_provider_aws.sqs_queue import SqsQueue
from cdktf_cdktf_provider_aws.sqs_queue_policy import SqsQueuePolicy
from constructs import Construct

from modules.log_encryption import KEY_ADMIN_ACTIONS
from modules.queue import kms_key_arn_problem, tls_only_policy
from rules.capacity import StrategyItem
from rules.queues import MESSAGE_RETENTION_SECONDS, queue_name_problem
from rules.schedules import (
    EVENT_AGE_SECONDS,
    LAUNCH_TYPES,
    RETRY_ATTEMPTS,
    SCHEDULE_STATES,
    SECURITY_GROUPS,
    STRATEGY_BASE,
    STRATEGY_ITEMS_MAX,
    STRATEGY_WEIGHT,
    SUBNETS,
    schedule_expression_problem,
    schedule_name_problem,
    task_family_problem,
    timezone_problem,
)

#: EventBridge rule names: 1..64 of ``[.\-_A-Za-z0-9]`` (EventBridge API Reference, ``PutRule``).
RULE_NAME = re.compile(r"^[.\-_A-Za-z0-9]{1,64}$")
#: The stop code of a task that never got its containers running (ECS Developer Guide, "Stopped tasks").
FAILED_TO_START = "TaskFailedToStart"
DEFAULT_GROUP = "default"


@dataclass(frozen=True, kw_only=True)
class ScheduledTaskProps:
    """Inputs of :class:`ScheduledTask`."""

    name: str
    """Schedule name, ``{app}-{env}-{job}``; also the prefix of the role ``{name}-scheduler``, the queue
    ``{name}-dlq``, the rule ``{name}-failed-runs`` and the alarms. At most 52 characters (the rule name
    must fit in 64, and then the role name fits too) of letters, digits, ``-`` and ``_`` (``.`` is
    allowed in a schedule name but not in the queue's)."""
    region: str
    """Region of the cluster (for the task definition ARN the role may run)."""
    schedule_expression: str
    """``rate(<n> <unit>)``, ``cron(<6 fields>)`` or ``at(yyyy-mm-ddThh:mm:ss)`` (:mod:`rules.schedules`)."""
    cluster_arn: str
    """Cluster the task runs in; the role may run tasks in this cluster only."""
    task_family: str
    """Family of the task definition (a plain string: the rule's event pattern and the role's grant use it)."""
    task_definition_arn: str
    """Task definition to run: the revision ARN (recommended, see the module docstring) or the family ARN."""
    subnet_ids: Sequence[str]
    """Subnets of the task (1..16), usually the private ones."""
    security_group_ids: Sequence[str]
    """Security groups of the task (1..5)."""
    task_role_arn: str
    """The task definition's task role; the scheduler role may pass it (and the execution role) to ECS only."""
    execution_role_arn: str
    """The task definition's execution role."""
    timezone: str = "UTC"
    """IANA time zone of ``cron`` and ``at`` expressions; UTC unless set."""
    assign_public_ip: bool = False
    """Give the task a public IP; off unless set (only for public subnets without NAT)."""
    capacity_provider_strategy: tuple[StrategyItem, ...] = ()
    """Where the task runs, e.g. ``rules.capacity.capacity_provider_strategy(0)``; when empty (and no
    ``launch_type``) ECS uses the cluster's default strategy."""
    launch_type: str | None = None
    """``FARGATE`` (or ``EC2`` / ``EXTERNAL``) instead of a strategy; unset uses the strategy or the
    cluster's default. Not together with ``capacity_provider_strategy``."""
    maximum_retry_attempts: int = 2
    """Retries of a failed RunTask call before the run goes to the dead-letter queue; 2 unless set (0..185)."""
    maximum_event_age_seconds: int = 3600
    """How long Scheduler keeps retrying one run; 1 hour unless set (60..86400), so a run is never started
    long after its time."""
    state: str = "ENABLED"
    """``ENABLED`` or ``DISABLED`` (the schedule stays, nothing runs); ENABLED unless set."""
    group_name: str | None = None
    """Existing schedule group; the account's ``default`` group when unset."""
    kms_key_arn: str | None = None
    """Customer managed key (a key ARN) that encrypts the schedule; a key of its own when unset. Its key
    policy must let this account's IAM policies grant ``kms:Decrypt``."""
    alarm_topic_arn: str | None = None
    """SNS topic the alarms notify on ALARM and OK; no notifications when unset."""

    def __post_init__(self) -> None:
        problem = schedule_name_problem(self.name)
        if problem:
            raise ValueError("ScheduledTaskProps.name=%s" % problem)
        rule = "%s-failed-runs" % self.name
        if not RULE_NAME.match(rule):
            raise ValueError(
                "ScheduledTaskProps.name=%r makes the EventBridge rule name %r %d characters; allowed: at most 64"
                % (self.name, rule, len(rule))
            )
        queue_problem = queue_name_problem("%s-dlq" % self.name)
        if queue_problem:
            raise ValueError("ScheduledTaskProps.name=%r makes the queue name %s" % (self.name, queue_problem))
        for field, check in (("schedule_expression", schedule_expression_problem), ("timezone", timezone_problem),
                             ("task_family", task_family_problem)):  # fmt: skip
            problem = check(getattr(self, field))
            if problem:
                raise ValueError("ScheduledTaskProps.%s=%s" % (field, problem))
        self._check_task_definition()
        for field, values, (lo, hi) in (("subnet_ids", self.subnet_ids, SUBNETS),
                                        ("security_group_ids", self.security_group_ids, SECURITY_GROUPS)):  # fmt: skip
            if not lo <= len(values) <= hi:
                raise ValueError("ScheduledTaskProps.%s has %d entries; allowed: %d..%d" % (field, len(values), lo, hi))
        self._check_capacity()
        for field, value, (lo, hi) in (
            ("maximum_retry_attempts", self.maximum_retry_attempts, RETRY_ATTEMPTS),
            ("maximum_event_age_seconds", self.maximum_event_age_seconds, EVENT_AGE_SECONDS),
        ):
            if not lo <= value <= hi:
                raise ValueError("ScheduledTaskProps.%s=%r; allowed: %d..%d" % (field, value, lo, hi))
        if self.state not in SCHEDULE_STATES:
            raise ValueError("ScheduledTaskProps.state=%r; allowed: %s" % (self.state, ", ".join(SCHEDULE_STATES)))
        if self.group_name is not None:
            problem = schedule_name_problem(self.group_name)
            if problem:
                raise ValueError("ScheduledTaskProps.group_name=%s" % problem)
        if self.kms_key_arn is not None:
            problem = kms_key_arn_problem(self.kms_key_arn)
            if problem:
                raise ValueError("ScheduledTaskProps.kms_key_arn=%s" % problem)

    def _check_task_definition(self) -> None:
        arn = self.task_definition_arn
        if Token.is_unresolved(arn):
            return
        if not re.fullmatch(
            r"arn:aws[a-z-]*:ecs:[a-z0-9-]+:\d{12}:task-definition/%s(:\d+)?" % re.escape(self.task_family), arn
        ):
            raise ValueError(
                "ScheduledTaskProps.task_definition_arn=%r is not a task definition of family %r; allowed:"
                " arn:aws:ecs:<region>:<account>:task-definition/%s[:<revision>]"
                % (arn, self.task_family, self.task_family)
            )

    def _check_capacity(self) -> None:
        strategy = self.capacity_provider_strategy
        if self.launch_type is not None and strategy:
            raise ValueError(
                "ScheduledTaskProps.launch_type=%r with a capacity_provider_strategy; allowed: one of them, or neither"
                " (the cluster's default strategy)" % self.launch_type
            )
        if self.launch_type is not None and self.launch_type not in LAUNCH_TYPES:
            raise ValueError(
                "ScheduledTaskProps.launch_type=%r; allowed: %s" % (self.launch_type, ", ".join(LAUNCH_TYPES))
            )
        if len(strategy) > STRATEGY_ITEMS_MAX:
            raise ValueError(
                "ScheduledTaskProps.capacity_provider_strategy has %d items; allowed: at most %d"
                % (len(strategy), STRATEGY_ITEMS_MAX)
            )
        for item in strategy:
            for field, value, (lo, hi) in (
                ("weight", item.weight, STRATEGY_WEIGHT),
                ("base", item.base, STRATEGY_BASE),
            ):
                if not lo <= value <= hi:
                    raise ValueError(
                        "ScheduledTaskProps.capacity_provider_strategy %s %s=%r; allowed: %d..%d"
                        % (item.capacity_provider, field, value, lo, hi)
                    )
        with_base = [item.capacity_provider for item in strategy if item.base > 0]
        if len(with_base) > 1:
            raise ValueError(
                "ScheduledTaskProps.capacity_provider_strategy sets a base on %s; allowed: a base on one capacity"
                " provider only" % ", ".join(with_base)
            )


def failed_run_pattern(*, cluster_arn: str, task_definition_family_arn: str) -> dict[str, Any]:
    """EventBridge pattern of a failed run: a task of this family in this cluster stopped with a non-zero
    exit code in any container, or never started (``stopCode`` TaskFailedToStart)."""
    return {
        "source": ["aws.ecs"],
        "detail-type": ["ECS Task State Change"],
        "detail": {
            "clusterArn": [cluster_arn],
            "taskDefinitionArn": [{"prefix": task_definition_family_arn + ":"}],
            "lastStatus": ["STOPPED"],
            "$or": [
                {"containers": {"exitCode": [{"anything-but": [0]}]}},
                {"stopCode": [FAILED_TO_START]},
            ],
        },
    }


class ScheduledTask(Construct):
    """Schedule + scheduler role + dead-letter queue + failed-run rule + alarms (see the module docstring)."""

    schedule_name: str
    schedule_arn: str
    group_name: str
    role_arn: str
    dlq_arn: str
    dlq_url: str
    dlq_name: str
    kms_key_arn: str
    rule_name: str
    alarm_names: tuple[str, ...]
    """``{name}-failed-runs``, ``-target-errors``, ``-invocations-dropped``, ``-failed-run-delivery``."""
    run_task_input: dict[str, Any]
    """The ECS ``RunTask`` request of one run (``aws ecs run-task --cli-input-json``), for on-demand runs."""

    def __init__(self, scope: Construct, id_: str, *, props: ScheduledTaskProps) -> None:
        super().__init__(scope, id_)
        account_id = DataAwsCallerIdentity(self, "CallerIdentity").account_id
        partition = DataAwsPartition(self, "Partition").partition
        family_arn = "arn:%s:ecs:%s:%s:task-definition/%s" % (partition, props.region, account_id, props.task_family)
        group = props.group_name or DEFAULT_GROUP

        key_arn = props.kms_key_arn
        if key_arn is None:
            key_arn = KmsKey(
                self,
                "Key",
                description="EventBridge Scheduler encryption for %s" % props.name,
                enable_key_rotation=True,
                deletion_window_in_days=30,
                policy=json.dumps({
                    "Version": "2012-10-17",
                    "Statement": [{
                        "Sid": "KeyAdministration",
                        "Effect": "Allow",
                        "Principal": {"AWS": "arn:%s:iam::%s:root" % (partition, account_id)},
                        "Action": list(KEY_ADMIN_ACTIONS),
                        "Resource": "*",
                    }],
                }, sort_keys=True),
                tags={"Name": "%s-schedule" % props.name},
            ).arn  # fmt: skip

        # ---- failed runs: the dead-letter queue, and the rule that adds tasks which failed after starting
        dlq_name = "%s-dlq" % props.name
        dlq = SqsQueue(
            self,
            "DeadLetterQueue",
            name=dlq_name,
            message_retention_seconds=MESSAGE_RETENTION_SECONDS[1],
            sqs_managed_sse_enabled=True,
            tags={"Name": dlq_name},
        )
        rule_name = "%s-failed-runs" % props.name
        rule = CloudwatchEventRule(
            self,
            "FailedRunRule",
            name=rule_name,
            description="Tasks of %s that stopped with a non-zero exit code or failed to start" % props.task_family,
            event_pattern=json.dumps(
                failed_run_pattern(cluster_arn=props.cluster_arn, task_definition_family_arn=family_arn)
            ),
            state="ENABLED",
        )
        CloudwatchEventTarget(self, "FailedRunTarget", rule=rule.name, arn=dlq.arn, target_id="dead-letter-queue")
        events_may_send = DataAwsIamPolicyDocumentStatement(
            sid="FailedRunEvents",
            effect="Allow",
            principals=[DataAwsIamPolicyDocumentStatementPrincipals(type="Service", identifiers=["events.amazonaws.com"])],
            actions=["sqs:SendMessage"],
            resources=[dlq.arn],
            condition=[DataAwsIamPolicyDocumentStatementCondition(test="ArnEquals", variable="aws:SourceArn",
                                                                  values=[rule.arn])],
        )  # fmt: skip
        dlq_policy = tls_only_policy(self, "DeadLetterQueuePolicyDocument", queue_arn=dlq.arn, allow=(events_may_send,))
        SqsQueuePolicy(self, "DeadLetterQueuePolicy", queue_url=dlq.url, policy=dlq_policy.json)

        # ---- the role Scheduler runs the task with
        trust = DataAwsIamPolicyDocument(
            self,
            "RoleTrust",
            statement=[
                DataAwsIamPolicyDocumentStatement(
                    sid="SchedulerAssume",
                    actions=["sts:AssumeRole"],
                    principals=[
                        DataAwsIamPolicyDocumentStatementPrincipals(type="Service", identifiers=["scheduler.amazonaws.com"])
                    ],
                    condition=[DataAwsIamPolicyDocumentStatementCondition(test="StringEquals", variable="aws:SourceAccount",
                                                                          values=[account_id])],
                )
            ],
        )  # fmt: skip
        role = IamRole(
            self,
            "Role",
            name="%s-scheduler" % props.name,
            description="EventBridge Scheduler runs the %s task" % props.task_family,
            assume_role_policy=trust.json,
        )
        passed_roles = list(dict.fromkeys([props.task_role_arn, props.execution_role_arn]))
        permissions = DataAwsIamPolicyDocument(
            self,
            "RolePolicyDocument",
            statement=[
                DataAwsIamPolicyDocumentStatement(
                    sid="RunTask",
                    effect="Allow",
                    actions=["ecs:RunTask"],
                    resources=[family_arn, family_arn + ":*"],
                    condition=[DataAwsIamPolicyDocumentStatementCondition(test="ArnEquals", variable="ecs:cluster",
                                                                          values=[props.cluster_arn])],
                ),
                DataAwsIamPolicyDocumentStatement(
                    sid="PassTaskRoles",
                    effect="Allow",
                    actions=["iam:PassRole"],
                    resources=passed_roles,
                    condition=[DataAwsIamPolicyDocumentStatementCondition(test="StringEquals", variable="iam:PassedToService",
                                                                          values=["ecs-tasks.amazonaws.com"])],
                ),
                DataAwsIamPolicyDocumentStatement(
                    sid="DeadLetters", effect="Allow", actions=["sqs:SendMessage"], resources=[dlq.arn]
                ),
                DataAwsIamPolicyDocumentStatement(
                    sid="DecryptSchedule", effect="Allow", actions=["kms:Decrypt"], resources=[key_arn]
                ),
            ],
        )  # fmt: skip
        role_policy = IamRolePolicy(self, "RolePolicy", name="run-task", role=role.id, policy=permissions.json)

        # ---- the schedule
        strategy = [
            SchedulerScheduleTargetEcsParametersCapacityProviderStrategy(
                capacity_provider=item.capacity_provider, weight=item.weight, base=item.base
            )
            for item in props.capacity_provider_strategy
        ]
        schedule = SchedulerSchedule(
            self,
            "Schedule",
            name=props.name,
            group_name=group,
            description="Runs %s on %s (%s)" % (props.task_family, props.schedule_expression, props.timezone),
            schedule_expression=props.schedule_expression,
            schedule_expression_timezone=props.timezone,
            flexible_time_window=SchedulerScheduleFlexibleTimeWindow(mode="OFF"),
            state=props.state,
            kms_key_arn=key_arn,
            target=SchedulerScheduleTarget(
                arn=props.cluster_arn,
                role_arn=role.arn,
                ecs_parameters=SchedulerScheduleTargetEcsParameters(
                    task_definition_arn=props.task_definition_arn,
                    task_count=1,
                    launch_type=props.launch_type,
                    capacity_provider_strategy=strategy or None,
                    network_configuration=SchedulerScheduleTargetEcsParametersNetworkConfiguration(
                        subnets=list(props.subnet_ids),
                        security_groups=list(props.security_group_ids),
                        assign_public_ip=props.assign_public_ip,
                    ),
                ),
                retry_policy=SchedulerScheduleTargetRetryPolicy(
                    maximum_retry_attempts=props.maximum_retry_attempts,
                    maximum_event_age_in_seconds=props.maximum_event_age_seconds,
                ),
                dead_letter_config=SchedulerScheduleTargetDeadLetterConfig(arn=dlq.arn),
            ),
            # The role must be able to run the task before the first run.
            depends_on=[role_policy],
        )

        # ---- alarms
        actions = [props.alarm_topic_arn] if props.alarm_topic_arn is not None else []
        common: dict[str, Any] = {"alarm_actions": actions, "ok_actions": actions, "comparison_operator":
                                  "GreaterThanOrEqualToThreshold", "threshold": 1, "evaluation_periods": 1,
                                  "treat_missing_data": "notBreaching", "statistic": "Sum"}  # fmt: skip
        failed = CloudwatchMetricAlarm(
            self,
            "FailedRunsAlarm",
            alarm_name="%s-failed-runs" % props.name,
            alarm_description="Failed runs of %s wait in %s (read and delete them to acknowledge)"
            % (props.name, dlq_name),
            namespace="AWS/SQS",
            metric_name="ApproximateNumberOfMessagesVisible",
            dimensions={"QueueName": dlq.name},
            period=60,
            **{**common, "statistic": "Maximum"},
        )
        target_errors = CloudwatchMetricAlarm(
            self,
            "TargetErrorsAlarm",
            alarm_name="%s-target-errors" % props.name,
            alarm_description="RunTask calls of schedule group %s failed in the last 5 minutes" % group,
            namespace="AWS/Scheduler",
            metric_name="TargetErrorCount",
            dimensions={"ScheduleGroup": group},
            period=300,
            **common,
        )
        dropped = CloudwatchMetricAlarm(
            self,
            "DroppedAlarm",
            alarm_name="%s-invocations-dropped" % props.name,
            alarm_description="Schedule group %s gave up runs after their retries in the last 5 minutes" % group,
            namespace="AWS/Scheduler",
            metric_name="InvocationDroppedCount",
            dimensions={"ScheduleGroup": group},
            period=300,
            **common,
        )
        undelivered = CloudwatchMetricAlarm(
            self,
            "FailedRunDeliveryAlarm",
            alarm_name="%s-failed-run-delivery" % props.name,
            alarm_description="EventBridge could not put failed-run events of %s into %s" % (props.name, dlq_name),
            namespace="AWS/Events",
            metric_name="FailedInvocations",
            dimensions={"RuleName": rule.name},
            period=300,
            **common,
        )

        self.schedule_name = schedule.name
        self.schedule_arn = schedule.arn
        self.group_name = group
        self.role_arn = role.arn
        self.dlq_arn = dlq.arn
        self.dlq_url = dlq.url
        self.dlq_name = dlq.name
        self.kms_key_arn = key_arn
        self.rule_name = rule.name
        self.alarm_names = tuple(a.alarm_name for a in (failed, target_errors, dropped, undelivered))
        placement: dict[str, Any] = (
            {"launchType": props.launch_type} if props.launch_type is not None else {}
        ) | (
            {"capacityProviderStrategy": [{"capacityProvider": i.capacity_provider, "weight": i.weight, "base": i.base}
                                          for i in props.capacity_provider_strategy]}
            if props.capacity_provider_strategy else {}
        )  # fmt: skip
        self.run_task_input = {
            "cluster": props.cluster_arn,
            "taskDefinition": props.task_definition_arn,
            "count": 1,
            "startedBy": "%s-on-demand" % re.sub(r"[^A-Za-z0-9_/-]", "-", props.name),
            "networkConfiguration": {
                "awsvpcConfiguration": {
                    "subnets": list(props.subnet_ids),
                    "securityGroups": list(props.security_group_ids),
                    "assignPublicIp": "ENABLED" if props.assign_public_ip else "DISABLED",
                }
            },
            **placement,
        }
