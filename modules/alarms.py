"""Alarms: CloudWatch alarms on the service, its target group and its load balancer.

Smallest example::

    from modules.alarms import Alarms, AlarmsProps

    alarms = Alarms(stack, "Alarms", props=AlarmsProps(
        name="flask-app-dev", cluster_name=cluster.cluster_name, service_name="flask-app-dev-web",
        alb_arn_suffix=lb.alb_arn_suffix, target_group_arn_suffix=lb.target_group_arn_suffix,
        topic_arn=topic.topic_arn))
    alarms.deployment_alarm_names   # pass to ServiceProps.deployment_alarm_names to roll back bad deploys

What it builds, each named ``{name}-<what>``, on one-minute periods, each threshold a
:class:`rules.alarms.Threshold` (``rules.alarms.DEFAULT_THRESHOLDS`` unless set):

* ``target-5xx``: the targets answered 5xx ``target_5xx.threshold`` times or more a minute, in 2
  of the last 3 minutes (by default);
* ``elb-5xx`` (with ``load_balancer_alarms``): the load balancer itself answered 5xx (no target,
  a target that timed out or reset), 5 a minute in 2 of 3 minutes; the metric is the whole load
  balancer's, so only the service that owns the ALB sets it;
* ``latency-p99``: the targets' p99 response time (``TargetResponseTime``, extended statistic
  ``p99``) above 2 seconds for 5 minutes;
* ``unhealthy-hosts``: at least one target unhealthy for 2 consecutive minutes;
* ``cpu-high`` / ``memory-high``: service average above 85 % for 5 minutes.

Every alarm notifies ``topic_arn`` on ALARM and OK when it is set (:class:`modules.alarm_topic.AlarmTopic`);
none notifies anyone otherwise.

``deployment_alarm_names`` lists the two alarms that mean "this release is broken" (target 5xx
and unhealthy hosts); latency, CPU and memory pressure are left to autoscaling, not to rollback.

The service name is a plain string (not the service's attribute) so that the service can in
turn reference these alarms as deployment alarms without a dependency cycle.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from cdktf_cdktf_provider_aws.cloudwatch_metric_alarm import CloudwatchMetricAlarm
from constructs import Construct

from rules.alarms import DEFAULT_THRESHOLDS, PERIOD_SECONDS, Threshold, threshold_problem


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
    topic_arn: str | None = None
    """SNS topic every alarm notifies on ALARM and OK; no notifications when unset."""
    load_balancer_alarms: bool = False
    """Also alarm on the load balancer's own 5xx (``elb-5xx``); off unless set (set it where the ALB is created)."""
    target_5xx: Threshold = DEFAULT_THRESHOLDS["target_5xx"]
    """Target 5xx responses a minute; 5, in 2 of 3 minutes, unless set."""
    elb_5xx: Threshold = DEFAULT_THRESHOLDS["elb_5xx"]
    """Load balancer 5xx responses a minute; 5, in 2 of 3 minutes, unless set."""
    latency_p99: Threshold = DEFAULT_THRESHOLDS["latency_p99"]
    """p99 target response time in seconds; 2, for 5 minutes, unless set."""
    unhealthy_hosts: Threshold = DEFAULT_THRESHOLDS["unhealthy_hosts"]
    """Unhealthy targets; 1, for 2 minutes, unless set."""
    cpu_high: Threshold = DEFAULT_THRESHOLDS["cpu_high"]
    """Service average CPU percent; above 85 for 5 minutes unless set."""
    memory_high: Threshold = DEFAULT_THRESHOLDS["memory_high"]
    """Service average memory percent; above 85 for 5 minutes unless set."""

    def __post_init__(self) -> None:
        for alarm in DEFAULT_THRESHOLDS:
            problem = threshold_problem(alarm, getattr(self, alarm))
            if problem:
                raise ValueError("AlarmsProps.%s.%s" % (alarm, problem))


def _periods(t: Threshold) -> dict[str, Any]:
    periods: dict[str, Any] = {"evaluation_periods": t.evaluation_periods}
    if t.datapoints_to_alarm is not None:
        periods["datapoints_to_alarm"] = t.datapoints_to_alarm
    return periods


def _window(t: Threshold) -> str:
    if t.breaching == t.evaluation_periods:
        return "for %d minute%s" % (t.evaluation_periods, "" if t.evaluation_periods == 1 else "s")
    return "in %d of %d minutes" % (t.breaching, t.evaluation_periods)


class Alarms(Construct):
    """The web service's CloudWatch alarms, notifying ``topic_arn`` when it is set."""

    alarm_names: list[str]
    deployment_alarm_names: tuple[str, ...]

    def __init__(self, scope: Construct, id_: str, *, props: AlarmsProps) -> None:
        super().__init__(scope, id_)
        actions = [props.topic_arn] if props.topic_arn is not None else []
        alb = {"LoadBalancer": props.alb_arn_suffix, "TargetGroup": props.target_group_arn_suffix}
        ecs = {"ClusterName": props.cluster_name, "ServiceName": props.service_name}
        common = {"alarm_actions": actions, "ok_actions": actions, "period": PERIOD_SECONDS}

        t = props.target_5xx
        target_5xx = CloudwatchMetricAlarm(
            self,
            "Target5xx",
            alarm_name="%s-target-5xx" % props.name,
            alarm_description="Targets answered %g+ 5xx a minute %s" % (t.threshold, _window(t)),
            namespace="AWS/ApplicationELB",
            metric_name="HTTPCode_Target_5XX_Count",
            dimensions=alb,
            statistic="Sum",
            comparison_operator="GreaterThanOrEqualToThreshold",
            threshold=t.threshold,
            treat_missing_data="notBreaching",
            **_periods(t),
            **common,
        )
        t = props.unhealthy_hosts
        unhealthy = CloudwatchMetricAlarm(
            self,
            "UnhealthyHosts",
            alarm_name="%s-unhealthy-hosts" % props.name,
            alarm_description="At least %g target(s) failed the health check %s" % (t.threshold, _window(t)),
            namespace="AWS/ApplicationELB",
            metric_name="UnHealthyHostCount",
            dimensions=alb,
            statistic="Maximum",
            comparison_operator="GreaterThanOrEqualToThreshold",
            threshold=t.threshold,
            treat_missing_data="notBreaching",
            **_periods(t),
            **common,
        )
        t = props.cpu_high
        cpu = CloudwatchMetricAlarm(
            self,
            "CpuHigh",
            alarm_name="%s-cpu-high" % props.name,
            alarm_description="Service CPU above %g%% %s" % (t.threshold, _window(t)),
            namespace="AWS/ECS",
            metric_name="CPUUtilization",
            dimensions=ecs,
            statistic="Average",
            comparison_operator="GreaterThanThreshold",
            threshold=t.threshold,
            treat_missing_data="missing",
            **_periods(t),
            **common,
        )
        t = props.memory_high
        memory = CloudwatchMetricAlarm(
            self,
            "MemoryHigh",
            alarm_name="%s-memory-high" % props.name,
            alarm_description="Service memory above %g%% %s" % (t.threshold, _window(t)),
            namespace="AWS/ECS",
            metric_name="MemoryUtilization",
            dimensions=ecs,
            statistic="Average",
            comparison_operator="GreaterThanThreshold",
            threshold=t.threshold,
            treat_missing_data="missing",
            **_periods(t),
            **common,
        )
        t = props.latency_p99
        latency = CloudwatchMetricAlarm(
            self,
            "LatencyP99",
            alarm_name="%s-latency-p99" % props.name,
            alarm_description="Targets' p99 response time above %g s %s" % (t.threshold, _window(t)),
            namespace="AWS/ApplicationELB",
            metric_name="TargetResponseTime",
            dimensions=alb,
            extended_statistic="p99",
            comparison_operator="GreaterThanThreshold",
            threshold=t.threshold,
            treat_missing_data="notBreaching",
            **_periods(t),
            **common,
        )
        alarms = [target_5xx, unhealthy, cpu, memory, latency]
        if props.load_balancer_alarms:
            t = props.elb_5xx
            alarms.append(
                CloudwatchMetricAlarm(
                    self,
                    "Elb5xx",
                    alarm_name="%s-elb-5xx" % props.name,
                    alarm_description="The load balancer answered %g+ 5xx itself a minute %s"
                    % (t.threshold, _window(t)),
                    namespace="AWS/ApplicationELB",
                    metric_name="HTTPCode_ELB_5XX_Count",
                    dimensions={"LoadBalancer": props.alb_arn_suffix},
                    statistic="Sum",
                    comparison_operator="GreaterThanOrEqualToThreshold",
                    threshold=t.threshold,
                    treat_missing_data="notBreaching",
                    **_periods(t),
                    **common,
                )
            )
        self.alarm_names = [a.alarm_name for a in alarms]
        self.deployment_alarm_names = (self.alarm_names[0], self.alarm_names[1])
