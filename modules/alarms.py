"""Alarms: CloudWatch alarms on the service and its target group, and an optional SNS topic.

Smallest example::

    from modules.alarms import Alarms, AlarmsProps

    alarms = Alarms(stack, "Alarms", props=AlarmsProps(
        name="flask-app-dev", cluster_name=cluster.cluster_name, service_name="flask-app-dev-web",
        alb_arn_suffix=lb.alb_arn_suffix, target_group_arn_suffix=lb.target_group_arn_suffix))
    alarms.deployment_alarm_names   # pass to ServiceProps.deployment_alarm_names to roll back bad deploys

What it builds, each named ``{name}-<what>``:

* ``target-5xx``: the targets answered 5xx ``target_5xx_threshold`` times or more in a minute,
  in 2 of the last 3 minutes;
* ``unhealthy-hosts``: at least one target unhealthy for 2 consecutive minutes;
* ``cpu-high`` / ``memory-high``: service average above the threshold for 5 minutes;
* an SNS topic ``{name}-alarms`` (and an e-mail subscription) when ``alarm_email`` is set; every
  alarm then notifies it on ALARM and OK.

``deployment_alarm_names`` lists the two alarms that mean "this release is broken" (5xx and
unhealthy hosts); CPU and memory pressure are left to autoscaling, not to rollback.

The service name is a plain string (not the service's attribute) so that the service can in
turn reference these alarms as deployment alarms without a dependency cycle.
"""

from __future__ import annotations

from dataclasses import dataclass

from cdktf_cdktf_provider_aws.cloudwatch_metric_alarm import CloudwatchMetricAlarm
from cdktf_cdktf_provider_aws.sns_topic import SnsTopic
from cdktf_cdktf_provider_aws.sns_topic_subscription import SnsTopicSubscription
from constructs import Construct

from rules.dns import is_email_address


@dataclass(frozen=True, kw_only=True)
class AlarmsProps:
    """Inputs of :class:`Alarms`."""

    name: str
    """Physical name prefix, ``{app}-{env}``."""
    cluster_name: str
    """Cluster of the service (``ClusterName`` dimension)."""
    service_name: str
    """ECS service name (``ServiceName`` dimension); a plain string, see the module docstring."""
    alb_arn_suffix: str
    """``LoadBalancer`` dimension of the ALB metrics."""
    target_group_arn_suffix: str
    """``TargetGroup`` dimension of the ALB metrics."""
    alarm_email: str | None = None
    """Create an SNS topic and subscribe this address; no topic and no notifications when unset."""
    target_5xx_threshold: int = 5
    """Target 5xx responses per minute that count as a breach; 5 unless set."""
    cpu_high_percent: float = 85.0
    """Service average CPU above which ``cpu-high`` fires; 85 unless set."""
    memory_high_percent: float = 85.0
    """Service average memory above which ``memory-high`` fires; 85 unless set."""

    def __post_init__(self) -> None:
        if self.target_5xx_threshold < 1:
            raise ValueError("AlarmsProps.target_5xx_threshold=%r; allowed: >= 1" % self.target_5xx_threshold)
        for field in ("cpu_high_percent", "memory_high_percent"):
            value = getattr(self, field)
            if not 0 < value <= 100:
                raise ValueError("AlarmsProps.%s=%r; allowed: 0 < value <= 100" % (field, value))
        if self.alarm_email is not None and not is_email_address(self.alarm_email):
            raise ValueError("AlarmsProps.alarm_email=%r is not an e-mail address; allowed: user@example.com" % self.alarm_email)


class Alarms(Construct):
    """Four CloudWatch alarms (+ optional SNS topic)."""

    alarm_names: list[str]
    deployment_alarm_names: tuple[str, ...]
    topic_arn: str | None

    def __init__(self, scope: Construct, id_: str, *, props: AlarmsProps) -> None:
        super().__init__(scope, id_)
        actions: list[str] = []
        self.topic_arn = None
        if props.alarm_email is not None:
            # Not KMS-encrypted on purpose: CloudWatch cannot publish to a topic encrypted with
            # the AWS-managed key (alias/aws/sns), and this project creates no customer key.
            topic_arn = SnsTopic(self, "Topic", name="%s-alarms" % props.name).arn
            SnsTopicSubscription(self, "EmailSubscription", topic_arn=topic_arn, protocol="email",
                                 endpoint=props.alarm_email)  # fmt: skip
            self.topic_arn = topic_arn
            actions = [topic_arn]

        alb = {"LoadBalancer": props.alb_arn_suffix, "TargetGroup": props.target_group_arn_suffix}
        ecs = {"ClusterName": props.cluster_name, "ServiceName": props.service_name}
        common = {"alarm_actions": actions, "ok_actions": actions, "period": 60}

        target_5xx = CloudwatchMetricAlarm(
            self,
            "Target5xx",
            alarm_name="%s-target-5xx" % props.name,
            alarm_description="Targets answered %d+ 5xx a minute in 2 of 3 minutes" % props.target_5xx_threshold,
            namespace="AWS/ApplicationELB",
            metric_name="HTTPCode_Target_5XX_Count",
            dimensions=alb,
            statistic="Sum",
            comparison_operator="GreaterThanOrEqualToThreshold",
            threshold=props.target_5xx_threshold,
            evaluation_periods=3,
            datapoints_to_alarm=2,
            treat_missing_data="notBreaching",
            **common,
        )
        unhealthy = CloudwatchMetricAlarm(
            self,
            "UnhealthyHosts",
            alarm_name="%s-unhealthy-hosts" % props.name,
            alarm_description="At least one target failed its health check for 2 minutes",
            namespace="AWS/ApplicationELB",
            metric_name="UnHealthyHostCount",
            dimensions=alb,
            statistic="Maximum",
            comparison_operator="GreaterThanOrEqualToThreshold",
            threshold=1,
            evaluation_periods=2,
            treat_missing_data="notBreaching",
            **common,
        )
        cpu = CloudwatchMetricAlarm(
            self,
            "CpuHigh",
            alarm_name="%s-cpu-high" % props.name,
            alarm_description="Service CPU above %g%% for 5 minutes" % props.cpu_high_percent,
            namespace="AWS/ECS",
            metric_name="CPUUtilization",
            dimensions=ecs,
            statistic="Average",
            comparison_operator="GreaterThanThreshold",
            threshold=props.cpu_high_percent,
            evaluation_periods=5,
            treat_missing_data="missing",
            **common,
        )
        memory = CloudwatchMetricAlarm(
            self,
            "MemoryHigh",
            alarm_name="%s-memory-high" % props.name,
            alarm_description="Service memory above %g%% for 5 minutes" % props.memory_high_percent,
            namespace="AWS/ECS",
            metric_name="MemoryUtilization",
            dimensions=ecs,
            statistic="Average",
            comparison_operator="GreaterThanThreshold",
            threshold=props.memory_high_percent,
            evaluation_periods=5,
            treat_missing_data="missing",
            **common,
        )
        self.alarm_names = [a.alarm_name for a in (target_5xx, unhealthy, cpu, memory)]
        self.deployment_alarm_names = (self.alarm_names[0], self.alarm_names[1])
