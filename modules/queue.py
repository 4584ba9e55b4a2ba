"""WorkQueue: a standard SQS queue for a worker, with its dead-letter queue, TLS-only policies and alarms.

Smallest example::

    from modules.queue import WorkQueue, WorkQueueProps

    jobs = WorkQueue(stack, "WorkQueue", props=WorkQueueProps(name="flask-app-dev-jobs"))
    jobs.queue_url, jobs.queue_arn, jobs.queue_name     # for the worker's environment and BacklogScaling
    jobs.consumer_statements()                          # pass to the worker's task-role grants
    jobs.producer_statements()                          # pass to the web service's task-role grants

What it builds:

* the queue ``{name}`` (standard, not FIFO): visibility timeout 300 s, retention 4 days, long
  polling (20 s receive wait) unless set, and a redrive policy that moves a message to the
  dead-letter queue after ``max_receive_count`` (5) receives;
* the dead-letter queue ``{name}-dlq``, retention 14 days (at least the queue's: SQS keeps a
  message's original enqueue time when it moves it), whose redrive-allow policy admits only
  ``{name}`` as its source (``byQueue``);
* encryption at rest on both: SQS-managed keys (SSE-SQS) unless ``kms_key_arn`` names a customer
  managed key (SSE-KMS);
* a queue policy on each that denies every request not made over TLS (``aws:SecureTransport``
  false); access itself is granted by IAM (:meth:`WorkQueue.consumer_statements`,
  :meth:`WorkQueue.producer_statements`), never by the queue policy;
* two CloudWatch alarms, notifying ``alarm_topic_arn`` on ALARM and OK when it is set (as
  :class:`modules.alarms.Alarms` does):

  - ``{name}-oldest-message-age``: the oldest message has waited longer than
    ``oldest_message_age_alarm_seconds`` (30 minutes) for 5 minutes: the workers fall behind, are
    stopped, or keep failing on it;
  - ``{name}-dlq-not-empty``: a message reached the dead-letter queue (it failed
    ``max_receive_count`` times); it stays in ALARM until the message is redriven or deleted.

The visibility timeout is how long a received message stays hidden from other workers: set it
above the longest time one message takes, plus the task's stop timeout (a task scaled in while it
works gets that long to finish), or a slow message is handed to a second worker while the first is
still on it. The receive count that sends a message to the dead-letter queue counts those
hand-overs too.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

from cdktf import Token
from cdktf_cdktf_provider_aws.cloudwatch_metric_alarm import CloudwatchMetricAlarm
from cdktf_cdktf_provider_aws.data_aws_iam_policy_document import (
    DataAwsIamPolicyDocument,
    DataAwsIamPolicyDocumentStatement,
    DataAwsIamPolicyDocumentStatementCondition,
    DataAwsIamPolicyDocumentStatementPrincipals,
)
from cdktf_cdktf_provider_aws.sqs_queue import SqsQueue
from cdktf_cdktf_provider_aws.sqs_queue_policy import SqsQueuePolicy
from cdktf_cdktf_provider_aws.sqs_queue_redrive_allow_policy import SqsQueueRedriveAllowPolicy
from constructs import Construct

from modules.service import PolicyStatement
from rules.queues import (
    MAX_RECEIVE_COUNT,
    MESSAGE_RETENTION_SECONDS,
    RECEIVE_WAIT_SECONDS,
    VISIBILITY_TIMEOUT_SECONDS,
    age_threshold_problem,
    queue_name_problem,
    range_problem,
)

#: What a worker needs to take messages from the queue and finish them (SQS Developer Guide,
#: "Amazon SQS API permissions"); the batch forms are authorized by the same actions.
CONSUMER_ACTIONS = (
    "sqs:ChangeMessageVisibility",
    "sqs:DeleteMessage",
    "sqs:GetQueueAttributes",
    "sqs:GetQueueUrl",
    "sqs:ReceiveMessage",
)
PRODUCER_ACTIONS = ("sqs:GetQueueAttributes", "sqs:GetQueueUrl", "sqs:SendMessage")
#: With SSE-KMS, a consumer decrypts; a producer asks KMS for a data key (and decrypts it) to
#: encrypt (SQS Developer Guide, "Configure KMS permissions for producers / consumers").
CONSUMER_KMS_ACTIONS = ("kms:Decrypt",)
PRODUCER_KMS_ACTIONS = ("kms:Decrypt", "kms:GenerateDataKey")

_KEY_ARN = re.compile(r"^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key/[0-9a-zA-Z-]+$")


def kms_key_arn_problem(value: str) -> str | None:
    """Why ``value`` is not a KMS key ARN IAM can grant on (a token is taken as valid), or None."""
    if Token.is_unresolved(value) or _KEY_ARN.match(value):
        return None
    return (
        "%r is not a KMS key ARN; allowed: arn:aws:kms:<region>:<account>:key/<key id> (IAM grants name the key, not an alias)"
        % (value,)
    )


@dataclass(frozen=True, kw_only=True)
class WorkQueueProps:
    """Inputs of :class:`WorkQueue`."""

    name: str
    """Queue name, ``{app}-{env}-{workload}``; the dead-letter queue is ``{name}-dlq`` and the alarms
    ``{name}-<what>``. Letters, digits, ``-`` and ``_``, at most 76 characters (the dead-letter
    queue's name must fit in 80)."""
    visibility_timeout_seconds: int = 300
    """How long a received message stays hidden from other workers; 300 s unless set. Set it above
    the longest processing time of one message plus the task's stop timeout (module docstring)."""
    message_retention_seconds: int = 345600
    """How long the queue keeps a message nobody deleted; 4 days (the SQS default) unless set."""
    dlq_message_retention_seconds: int = 1209600
    """How long the dead-letter queue keeps a message, counted from when it entered the queue; 14 days
    (the SQS maximum) unless set; at least ``message_retention_seconds``."""
    max_receive_count: int = 5
    """Receives after which a message moves to the dead-letter queue; 5 unless set."""
    receive_wait_time_seconds: int = 20
    """Long-polling wait of a receive that finds no message; 20 s (the maximum, fewest empty
    receives) unless set. A consumer can ask for less on each call."""
    kms_key_arn: str | None = None
    """Customer managed KMS key (a key ARN, not an alias) for both queues; SQS-managed encryption
    (SSE-SQS) when unset. With a key, :meth:`WorkQueue.consumer_statements` and
    :meth:`WorkQueue.producer_statements` add the KMS actions, and the key policy must let this
    account's IAM policies grant them."""
    oldest_message_age_alarm_seconds: int = 1800
    """Age of the oldest message above which ``{name}-oldest-message-age`` fires; 30 minutes unless
    set, above the time a worker scaled to zero takes to start (see :mod:`modules.backlog_scaling`)."""
    alarm_topic_arn: str | None = None
    """SNS topic both alarms notify on ALARM and OK (e.g. :attr:`modules.alarms.Alarms.topic_arn`); no
    notifications when unset."""

    def __post_init__(self) -> None:
        for queue in (self.name, self.name + "-dlq"):
            problem = queue_name_problem(queue)
            if problem:
                raise ValueError("WorkQueueProps.name=%r makes the queue name %s" % (self.name, problem))
        checks = (
            ("visibility_timeout_seconds", self.visibility_timeout_seconds, VISIBILITY_TIMEOUT_SECONDS, "visibility timeout", "seconds"),
            ("message_retention_seconds", self.message_retention_seconds, MESSAGE_RETENTION_SECONDS, "message retention", "seconds"),
            ("dlq_message_retention_seconds", self.dlq_message_retention_seconds, MESSAGE_RETENTION_SECONDS, "message retention", "seconds"),
            ("max_receive_count", self.max_receive_count, MAX_RECEIVE_COUNT, "maxReceiveCount", "receives"),
            ("receive_wait_time_seconds", self.receive_wait_time_seconds, RECEIVE_WAIT_SECONDS, "receive wait", "seconds"),
        )  # fmt: skip
        for field, value, bounds, what, unit in checks:
            problem = range_problem(value, bounds, what, unit)
            if problem:
                raise ValueError("WorkQueueProps.%s=%s" % (field, problem))
        if self.dlq_message_retention_seconds < self.message_retention_seconds:
            raise ValueError(
                "WorkQueueProps.dlq_message_retention_seconds=%d is shorter than message_retention_seconds=%d: a message"
                " keeps its enqueue time when it moves, so it could expire in the dead-letter queue before anyone sees"
                " it; allowed: %d..%d"
                % (
                    self.dlq_message_retention_seconds,
                    self.message_retention_seconds,
                    self.message_retention_seconds,
                    MESSAGE_RETENTION_SECONDS[1],
                )
            )
        problem = age_threshold_problem(self.oldest_message_age_alarm_seconds, self.message_retention_seconds)
        if problem:
            raise ValueError("WorkQueueProps.oldest_message_age_alarm_seconds=%s" % problem)
        if self.kms_key_arn is not None:
            problem = kms_key_arn_problem(self.kms_key_arn)
            if problem:
                raise ValueError("WorkQueueProps.kms_key_arn=%s" % problem)


class WorkQueue(Construct):
    """Queue + dead-letter queue + TLS-only queue policies + two alarms (see the module docstring)."""

    queue_url: str
    queue_arn: str
    queue_name: str
    dlq_url: str
    dlq_arn: str
    dlq_name: str
    kms_key_arn: str | None
    alarm_names: tuple[str, ...]
    """``({name}-oldest-message-age, {name}-dlq-not-empty)``."""

    def __init__(self, scope: Construct, id_: str, *, props: WorkQueueProps) -> None:
        super().__init__(scope, id_)
        encryption = (
            {"kms_master_key_id": props.kms_key_arn}
            if props.kms_key_arn is not None
            else {"sqs_managed_sse_enabled": True}
        )
        dlq_name = "%s-dlq" % props.name
        dlq = SqsQueue(
            self,
            "DeadLetterQueue",
            name=dlq_name,
            message_retention_seconds=props.dlq_message_retention_seconds,
            visibility_timeout_seconds=props.visibility_timeout_seconds,
            receive_wait_time_seconds=props.receive_wait_time_seconds,
            tags={"Name": dlq_name},
            **encryption,
        )
        queue = SqsQueue(
            self,
            "Queue",
            name=props.name,
            visibility_timeout_seconds=props.visibility_timeout_seconds,
            message_retention_seconds=props.message_retention_seconds,
            receive_wait_time_seconds=props.receive_wait_time_seconds,
            redrive_policy=json.dumps({"deadLetterTargetArn": dlq.arn, "maxReceiveCount": props.max_receive_count}),
            tags={"Name": props.name},
            **encryption,
        )
        # A separate resource: on the dead-letter queue itself it would reference the queue that
        # references it (a cycle).
        redrive_allow = SqsQueueRedriveAllowPolicy(
            self,
            "RedriveAllowPolicy",
            queue_url=dlq.url,
            redrive_allow_policy=json.dumps({"redrivePermission": "byQueue", "sourceQueueArns": [queue.arn]}),
        )
        for construct_id, target in (("QueuePolicy", queue), ("DeadLetterQueuePolicy", dlq)):
            document = tls_only_policy(self, construct_id + "Document", queue_arn=target.arn)
            # One attribute change at a time on the dead-letter queue (SetQueueAttributes propagates slowly).
            after = [redrive_allow] if target is dlq else []
            SqsQueuePolicy(self, construct_id, queue_url=target.url, policy=document.json, depends_on=after)

        actions = [props.alarm_topic_arn] if props.alarm_topic_arn is not None else []
        common = {"alarm_actions": actions, "ok_actions": actions, "period": 60, "namespace": "AWS/SQS"}
        age = CloudwatchMetricAlarm(
            self,
            "OldestMessageAgeAlarm",
            alarm_name="%s-oldest-message-age" % props.name,
            alarm_description="The oldest message of %s has waited more than %d s for 5 minutes"
            % (props.name, props.oldest_message_age_alarm_seconds),
            metric_name="ApproximateAgeOfOldestMessage",
            dimensions={"QueueName": queue.name},
            statistic="Maximum",
            comparison_operator="GreaterThanThreshold",
            threshold=props.oldest_message_age_alarm_seconds,
            evaluation_periods=5,
            datapoints_to_alarm=5,
            treat_missing_data="notBreaching",
            **common,
        )
        dead = CloudwatchMetricAlarm(
            self,
            "DeadLetterAlarm",
            alarm_name="%s-dlq-not-empty" % props.name,
            alarm_description="Messages of %s failed %d receives and wait in %s"
            % (props.name, props.max_receive_count, dlq_name),
            metric_name="ApproximateNumberOfMessagesVisible",
            dimensions={"QueueName": dlq.name},
            statistic="Maximum",
            comparison_operator="GreaterThanOrEqualToThreshold",
            threshold=1,
            evaluation_periods=1,
            treat_missing_data="notBreaching",
            **common,
        )

        self.queue_url = queue.url
        self.queue_arn = queue.arn
        self.queue_name = queue.name
        self.dlq_url = dlq.url
        self.dlq_arn = dlq.arn
        self.dlq_name = dlq.name
        self.kms_key_arn = props.kms_key_arn
        self.alarm_names = (age.alarm_name, dead.alarm_name)

    def consumer_statements(self) -> tuple[PolicyStatement, ...]:
        """Grants a worker needs on this queue only: receive, delete, change visibility, read attributes."""
        statements = [PolicyStatement(sid="ConsumeQueue", actions=CONSUMER_ACTIONS, resources=(self.queue_arn,))]
        if self.kms_key_arn is not None:
            statements.append(
                PolicyStatement(sid="DecryptQueue", actions=CONSUMER_KMS_ACTIONS, resources=(self.kms_key_arn,))
            )
        return tuple(statements)

    def producer_statements(self) -> tuple[PolicyStatement, ...]:
        """Grants a sender needs on this queue only: send, read attributes and the URL."""
        statements = [PolicyStatement(sid="SendToQueue", actions=PRODUCER_ACTIONS, resources=(self.queue_arn,))]
        if self.kms_key_arn is not None:
            statements.append(
                PolicyStatement(sid="EncryptForQueue", actions=PRODUCER_KMS_ACTIONS, resources=(self.kms_key_arn,))
            )
        return tuple(statements)


def tls_only_policy(scope: Construct, id_: str, *, queue_arn: str,
                    allow: tuple[DataAwsIamPolicyDocumentStatement, ...] = ()) -> DataAwsIamPolicyDocument:  # fmt: skip
    """A queue policy denying every request to ``queue_arn`` that is not made over TLS (plus ``allow``).

    ``sqs:*`` in a Deny narrows access, whatever actions SQS adds later (SQS Developer Guide,
    "Amazon SQS security best practices": enforce encryption of data in transit).
    """
    deny = DataAwsIamPolicyDocumentStatement(
        sid="DenyInsecureTransport",
        effect="Deny",
        principals=[DataAwsIamPolicyDocumentStatementPrincipals(type="AWS", identifiers=["*"])],
        actions=["sqs:*"],
        resources=[queue_arn],
        condition=[
            DataAwsIamPolicyDocumentStatementCondition(test="Bool", variable="aws:SecureTransport", values=["false"])
        ],
    )
    return DataAwsIamPolicyDocument(scope, id_, statement=[deny, *allow])
