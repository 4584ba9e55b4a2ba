"""AlarmTopic: the SNS topic an environment's alarms notify, its KMS key, its subscriptions, and a
rule that notifies it of failed ECS deployments.

Smallest example::

    from modules.alarm_topic import AlarmTopic, AlarmTopicProps

    topic = AlarmTopic(stack, "AlarmTopic", props=AlarmTopicProps(
        name="flask-app-prod", region="ap-southeast-1", emails=("oncall@example.com",),
        cluster_name="flask-app-prod"))
    CloudwatchMetricAlarm(..., alarm_actions=[topic.topic_arn])

What it builds:

* unless ``existing_topic_arn`` is given:

  - a symmetric KMS key (yearly rotation, 30-day deletion window), tagged ``Name={name}-alarms``
    and without an alias (as :mod:`modules.log_encryption`: an alias would need ``kms:*Alias`` in
    the key policy for nothing the stack uses); its key policy lets this account administer and
    use it (``KeyAdministration``, the same actions as the log key) and lets CloudWatch and
    EventBridge generate data keys and decrypt (``AlarmPublishers``): a topic
    encrypted with the AWS-managed key ``alias/aws/sns`` cannot receive their messages, because
    that key's policy cannot be changed to admit them (Amazon SNS Developer Guide, "Key
    management", *Enable compatibility between event sources from AWS services and encrypted
    topics*: https://docs.aws.amazon.com/sns/latest/dg/sns-key-management.html#compatibility-with-aws-services);
  - the topic ``{name}-alarms``, encrypted with that key, and its topic policy: CloudWatch may
    publish only for alarms named ``{name}-*`` of this account and region, EventBridge only for
    this construct's rules (``aws:SourceAccount`` and ``aws:SourceArn``), and nobody without TLS;
  - one subscription per address in ``emails`` (``email``) and per URL in ``https_endpoints``
    (``https``; the endpoint must confirm it, as PagerDuty- or Opsgenie-style receivers do);

* with ``deployment_failures``: an EventBridge rule ``{name}-deployment-failed`` on ECS's
  ``ECS Deployment State Change`` events named ``SERVICE_DEPLOYMENT_FAILED`` for every service of
  ``cluster_name`` (the circuit breaker or a deployment alarm failed the deployment; ECS then
  rolls it back: the rollback itself is an ``SERVICE_DEPLOYMENT_IN_PROGRESS`` event told apart
  only by its free-text ``reason``, so the failure is the one event to match), targeting the
  topic. An ``existing_topic_arn``'s own policy (and key) must admit ``events.amazonaws.com`` and
  ``cloudwatch.amazonaws.com``.

* with ``codedeploy_application`` (a blue/green environment, whose web service ECS does not
  deploy itself): an EventBridge rule ``{name}-release-failed`` on CodeDeploy's ``CodeDeploy
  Deployment State-change Notification`` events in state ``FAILURE`` for that application (a
  release stopped by an alarm, a failed hook or a timeout; CodeDeploy rolls it back), targeting
  the topic.

``topic_arn`` is the created topic's ARN, or ``existing_topic_arn``.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

from cdktf_cdktf_provider_aws.cloudwatch_event_rule import CloudwatchEventRule
from cdktf_cdktf_provider_aws.cloudwatch_event_target import CloudwatchEventTarget
from cdktf_cdktf_provider_aws.data_aws_caller_identity import DataAwsCallerIdentity
from cdktf_cdktf_provider_aws.data_aws_partition import DataAwsPartition
from cdktf_cdktf_provider_aws.sns_topic import SnsTopic
from cdktf_cdktf_provider_aws.sns_topic_policy import SnsTopicPolicy
from cdktf_cdktf_provider_aws.sns_topic_subscription import SnsTopicSubscription
from constructs import Construct

from modules.log_encryption import rotating_key
from rules.alarms import is_https_endpoint, topic_arn_problem
from rules.dns import is_email_address

#: What a service that publishes to an encrypted topic needs of its key. The SNS guide above writes
#: ``kms:GenerateDataKey*``; publishing uses ``kms:GenerateDataKey`` only, so that is what is granted.
PUBLISHER_KEY_ACTIONS = ("kms:Decrypt", "kms:GenerateDataKey")
#: The services that publish to the topic.
PUBLISHERS = ("cloudwatch.amazonaws.com", "events.amazonaws.com")
#: ECS's event for a deployment that failed (and is rolled back when rollback is on).
DEPLOYMENT_FAILED_EVENT = "SERVICE_DEPLOYMENT_FAILED"
#: CodeDeploy's state of a release that failed (Amazon EventBridge, "CodeDeploy events": FAILURE, not
#: STOP, which a person's `make deploy` interruption or a new release also causes).
RELEASE_FAILED_STATE = "FAILURE"


@dataclass(frozen=True, kw_only=True)
class AlarmTopicProps:
    """Inputs of :class:`AlarmTopic`."""

    name: str
    """Physical name prefix, ``{app}-{env}``: topic ``{name}-alarms``, rule ``{name}-deployment-failed``."""
    region: str
    """Region of the stack (the alarms' ``aws:SourceArn`` and the ECS service ARNs)."""
    emails: tuple[str, ...] = ()
    """Addresses subscribed to the created topic; none unless set."""
    https_endpoints: tuple[str, ...] = ()
    """HTTPS URLs subscribed to the created topic; none unless set."""
    existing_topic_arn: str | None = None
    """Notify this topic instead: no key, topic or subscription is created. Not allowed with emails/endpoints."""
    cluster_name: str | None = None
    """The cluster whose services' failed deployments notify the topic; no rule unless set."""
    codedeploy_application: str | None = None
    """The CodeDeploy application whose failed releases notify the topic; no rule unless set."""
    deletion_window_days: int = 30
    """Waiting period before the key's scheduled deletion; 30 days unless set (KMS allows 7..30)."""

    def __post_init__(self) -> None:
        for email in self.emails:
            if not is_email_address(email):
                raise ValueError(
                    "AlarmTopicProps.emails contains %r; allowed: addresses such as oncall@example.com" % email
                )
        for url in self.https_endpoints:
            if not is_https_endpoint(url):
                raise ValueError(
                    "AlarmTopicProps.https_endpoints contains %r; allowed: https://host[:port][/path]" % url
                )
        if self.existing_topic_arn is not None:
            if self.emails or self.https_endpoints:
                raise ValueError(
                    "AlarmTopicProps.existing_topic_arn=%r with emails/https_endpoints; allowed: one or the other"
                    % self.existing_topic_arn
                )
            problem = topic_arn_problem(self.existing_topic_arn, self.region)
            if problem:
                raise ValueError("AlarmTopicProps.existing_topic_arn=%r %s" % (self.existing_topic_arn, problem))
        elif not (self.emails or self.https_endpoints):
            raise ValueError(
                "AlarmTopicProps has no target; allowed: emails and/or https_endpoints, or existing_topic_arn"
            )
        if not 7 <= self.deletion_window_days <= 30:
            raise ValueError("AlarmTopicProps.deletion_window_days=%r; allowed: 7..30" % self.deletion_window_days)


class AlarmTopic(Construct):
    """The environment's alarm topic (created or existing), its key and subscriptions, and the failed-deployment rule."""

    topic_arn: str
    key_arn: str | None
    rule_name: str | None

    def __init__(self, scope: Construct, id_: str, *, props: AlarmTopicProps) -> None:
        super().__init__(scope, id_)
        account_id = DataAwsCallerIdentity(self, "CallerIdentity").account_id
        partition = DataAwsPartition(self, "Partition").partition
        rule_arns = [
            "arn:%s:events:%s:%s:rule/%s-%s" % (partition, props.region, account_id, props.name, suffix)
            for suffix, wanted in (("deployment-failed", props.cluster_name), ("release-failed", props.codedeploy_application))
            if wanted is not None
        ]  # fmt: skip
        self.key_arn = None
        if props.existing_topic_arn is not None:
            self.topic_arn = props.existing_topic_arn
        else:
            self.topic_arn = self._topic(props, account_id, partition, rule_arns)
        self.rule_name = None
        if props.cluster_name is not None:
            service_arns = "arn:%s:ecs:%s:%s:service/%s/" % (partition, props.region, account_id, props.cluster_name)
            self.rule_name = self._notify_on(
                "DeploymentFailed", "%s-deployment-failed" % props.name,
                "A deployment of a service of %s failed (and is rolled back)" % props.cluster_name,
                {"source": ["aws.ecs"], "detail-type": ["ECS Deployment State Change"],
                 "resources": [{"prefix": service_arns}], "detail": {"eventName": [DEPLOYMENT_FAILED_EVENT]}},
            )  # fmt: skip
        self.release_rule_name: str | None = None
        if props.codedeploy_application is not None:
            self.release_rule_name = self._notify_on(
                "ReleaseFailed", "%s-release-failed" % props.name,
                "A blue/green release of %s failed (and is rolled back)" % props.codedeploy_application,
                {"source": ["aws.codedeploy"], "detail-type": ["CodeDeploy Deployment State-change Notification"],
                 "detail": {"application": [props.codedeploy_application], "state": [RELEASE_FAILED_STATE]}},
            )  # fmt: skip

    def _notify_on(self, id_: str, name: str, description: str, pattern: dict[str, Any]) -> str:
        """An EventBridge rule ``id_`` for ``pattern`` whose target (``<id_>Target``) is the topic; returns its name."""
        rule = CloudwatchEventRule(self, id_, name=name, description=description,
                                   event_pattern=json.dumps(pattern, sort_keys=True))  # fmt: skip
        CloudwatchEventTarget(self, "%sTarget" % id_, rule=rule.name, arn=self.topic_arn, target_id="alarm-topic")
        rule_name: str = rule.name
        return rule_name

    def _topic(self, props: AlarmTopicProps, account_id: str, partition: str, rule_arns: list[str]) -> str:
        root = "arn:%s:iam::%s:root" % (partition, account_id)
        key = rotating_key(
            self,
            root=root,
            description="Alarm topic encryption for %s" % props.name,
            name_tag="%s-alarms" % props.name,
            deletion_window_days=props.deletion_window_days,
            statements=[
                {
                    # CloudWatch alarms and EventBridge rules publish to an encrypted topic only with these
                    # (https://docs.aws.amazon.com/sns/latest/dg/sns-key-management.html#compatibility-with-aws-services).
                    # Who may publish at all is scoped by the topic policy (aws:SourceAccount / aws:SourceArn).
                    "Sid": "AlarmPublishers",
                    "Effect": "Allow",
                    "Principal": {"Service": list(PUBLISHERS)},
                    "Action": list(PUBLISHER_KEY_ACTIONS),
                    "Resource": "*",
                },
            ],
        )
        self.key_arn = key.arn
        topic = SnsTopic(self, "Topic", name="%s-alarms" % props.name, kms_master_key_id=key.arn)
        alarm_arns = "arn:%s:cloudwatch:%s:%s:alarm:%s-*" % (partition, props.region, account_id, props.name)
        topic_policy = {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Sid": "CloudWatchAlarms",
                    "Effect": "Allow",
                    "Principal": {"Service": "cloudwatch.amazonaws.com"},
                    "Action": "sns:Publish",
                    "Resource": topic.arn,
                    "Condition": {
                        "StringEquals": {"aws:SourceAccount": account_id},
                        "ArnLike": {"aws:SourceArn": alarm_arns},
                    },
                },
                *([{
                    "Sid": "DeploymentFailedRule",
                    "Effect": "Allow",
                    "Principal": {"Service": "events.amazonaws.com"},
                    "Action": "sns:Publish",
                    "Resource": topic.arn,
                    "Condition": {
                        "StringEquals": {"aws:SourceAccount": account_id},
                        "ArnEquals": {"aws:SourceArn": rule_arns[0] if len(rule_arns) == 1 else rule_arns},
                    },
                }] if rule_arns else []),
                {
                    "Sid": "DenyInsecureTransport",
                    "Effect": "Deny",
                    "Principal": "*",
                    "Action": "sns:Publish",
                    "Resource": topic.arn,
                    "Condition": {"Bool": {"aws:SecureTransport": "false"}},
                },
            ],
        }
        SnsTopicPolicy(self, "TopicPolicy", arn=topic.arn, policy=json.dumps(topic_policy, sort_keys=True))
        for protocol, endpoint in [("email", e) for e in props.emails] + [("https", u) for u in props.https_endpoints]:
            SnsTopicSubscription(self, subscription_id(protocol, endpoint), topic_arn=topic.arn, protocol=protocol,
                                 endpoint=endpoint)  # fmt: skip
        arn: str = topic.arn
        return arn


def subscription_id(protocol: str, endpoint: str) -> str:
    """``Email-<hash>`` / ``Https-<hash>``: one construct ID per target, whatever its place in the list.

    Keyed by the target rather than its index, so removing one address does not replace (and make
    the others confirm again) every subscription after it; a hash, because an address holds
    characters a construct ID may not.
    """
    digest = hashlib.sha256(("%s:%s" % (protocol, endpoint.lower())).encode()).hexdigest()[:10]
    return "%s-%s" % (protocol.capitalize(), digest)
