"""Autoscaling: Application Auto Scaling of the ECS service's desired count.

Smallest example::

    from modules.autoscaling import Autoscaling, AutoscalingProps

    Autoscaling(stack, "Autoscaling", props=AutoscalingProps(
        name="flask-app-dev", cluster_name=cluster.cluster_name, service_name=svc.service_name))

What it builds:

* a scalable target ``service/<cluster>/<service>`` with ``min_capacity..max_capacity``
  (validated here: ``min_capacity <= desired_count <= max_capacity`` when ``desired_count`` is given);
* target-tracking policies, each optional (``None`` turns it off): average CPU
  (``cpu_target_percent``), average memory (``memory_target_percent``) and ALB requests per
  target (``requests_per_target``; needs ``resource_label``), all with the configured scale-in /
  scale-out cooldowns;
* one scheduled action per ``scheduled_actions`` entry (e.g. raise the floor before a festival
  peak), created one after another: Application Auto Scaling rejects concurrent changes to one
  scalable target.
"""

from __future__ import annotations

from dataclasses import dataclass

from cdktf import ITerraformDependable
from cdktf_cdktf_provider_aws.appautoscaling_policy import (
    AppautoscalingPolicy,
    AppautoscalingPolicyTargetTrackingScalingPolicyConfiguration,
    AppautoscalingPolicyTargetTrackingScalingPolicyConfigurationPredefinedMetricSpecification,
)
from cdktf_cdktf_provider_aws.appautoscaling_scheduled_action import (
    AppautoscalingScheduledAction,
    AppautoscalingScheduledActionScalableTargetAction,
)
from cdktf_cdktf_provider_aws.appautoscaling_target import AppautoscalingTarget
from constructs import Construct


@dataclass(frozen=True, kw_only=True)
class ScheduledAction:
    """A scheduled change of the capacity range, e.g. raise the floor before a festival peak."""

    name: str
    """Suffix of the action's name, ``{props.name}-{name}``."""
    schedule: str
    """``at(...)``, ``rate(...)`` or ``cron(...)`` expression."""
    min_capacity: int
    """Floor from the scheduled time on."""
    max_capacity: int
    """Ceiling from the scheduled time on."""
    timezone: str = "UTC"
    """Time zone of ``schedule``; UTC unless set."""


@dataclass(frozen=True, kw_only=True)
class ScalingOptions:
    """The scaling settings that have a default: capacity range, target-tracking policies, schedules."""

    min_capacity: int = 2
    """Autoscaling floor; 2 tasks unless set."""
    max_capacity: int = 4
    """Autoscaling ceiling; 4 tasks unless set."""
    desired_count: int | None = None
    """The service's task count at first deploy, checked to lie in ``min_capacity..max_capacity``; not checked
    unless set."""
    cpu_target_percent: float | None = 60.0
    """Average CPU the service is scaled to hold; 60 % unless set, no CPU policy when None."""
    memory_target_percent: float | None = 75.0
    """Average memory the service is scaled to hold; 75 % unless set, no memory policy when None."""
    requests_per_target: int | None = None
    """ALB requests per target the service is scaled to hold; no request policy unless set."""
    scale_in_cooldown_seconds: int = 300
    """Wait after a scale-in before the next; 300 s unless set."""
    scale_out_cooldown_seconds: int = 60
    """Wait after a scale-out before the next; 60 s unless set."""
    scheduled_actions: tuple[ScheduledAction, ...] = ()
    """Scheduled changes of the capacity range; none unless set."""


@dataclass(frozen=True, kw_only=True)
class AutoscalingProps(ScalingOptions):
    """Inputs of :class:`Autoscaling`: the service to scale, plus :class:`ScalingOptions`."""

    name: str
    """Physical name prefix, ``{app}-{env}``; policies are ``{name}-cpu`` / ``-memory`` / ``-requests``."""
    cluster_name: str
    """Cluster of the service."""
    service_name: str
    """ECS service to scale (use the service's attribute so the target waits for the service)."""
    resource_label: str | None = None
    """``<alb arn suffix>/<target group arn suffix>``; required when ``requests_per_target`` is set."""

    def __post_init__(self) -> None:
        if self.desired_count is not None and not self.min_capacity <= self.desired_count <= self.max_capacity:
            raise ValueError(
                "AutoscalingProps.desired_count=%d is outside min_capacity..max_capacity; allowed: %d..%d"
                % (self.desired_count, self.min_capacity, self.max_capacity)
            )
        if self.requests_per_target is not None and self.resource_label is None:
            raise ValueError(
                "AutoscalingProps.requests_per_target=%d needs resource_label (ALB and target group);"
                " allowed: set resource_label or requests_per_target=None" % self.requests_per_target
            )


def ecs_service_target(
    scope: Construct, cluster_name: str, service_name: str, min_capacity: int, max_capacity: int
) -> AppautoscalingTarget:
    """The scalable target (id ``Target``) of an ECS service's desired count, between the two capacities."""
    return AppautoscalingTarget(
        scope,
        "Target",
        service_namespace="ecs",
        scalable_dimension="ecs:service:DesiredCount",
        resource_id="service/%s/%s" % (cluster_name, service_name),
        min_capacity=min_capacity,
        max_capacity=max_capacity,
    )


class Autoscaling(Construct):
    """Scalable target + target-tracking policies + scheduled actions."""

    resource_id: str
    policy_names: list[str]
    scheduled_action_names: list[str]

    def __init__(self, scope: Construct, id_: str, *, props: AutoscalingProps) -> None:
        super().__init__(scope, id_)
        target = ecs_service_target(self, props.cluster_name, props.service_name, props.min_capacity, props.max_capacity)
        service_namespace = target.service_namespace
        scalable_dimension = target.scalable_dimension
        resource_id = target.resource_id
        self.resource_id = resource_id

        trackers: list[tuple[str, str, str, float, str | None]] = []
        if props.cpu_target_percent is not None:
            trackers.append(("CpuTracking", "cpu", "ECSServiceAverageCPUUtilization", props.cpu_target_percent, None))
        if props.memory_target_percent is not None:
            trackers.append(
                ("MemoryTracking", "memory", "ECSServiceAverageMemoryUtilization", props.memory_target_percent, None)
            )
        if props.requests_per_target is not None:
            trackers.append(
                ("RequestsTracking", "requests", "ALBRequestCountPerTarget", float(props.requests_per_target),
                 props.resource_label)
            )  # fmt: skip

        self.policy_names = []
        previous: list[ITerraformDependable] = []
        for construct_id, suffix, metric, value, label in trackers:
            policy = AppautoscalingPolicy(
                self,
                construct_id,
                name="%s-%s" % (props.name, suffix),
                policy_type="TargetTrackingScaling",
                service_namespace=service_namespace,
                scalable_dimension=scalable_dimension,
                resource_id=resource_id,
                target_tracking_scaling_policy_configuration=AppautoscalingPolicyTargetTrackingScalingPolicyConfiguration(
                    target_value=value,
                    scale_in_cooldown=props.scale_in_cooldown_seconds,
                    scale_out_cooldown=props.scale_out_cooldown_seconds,
                    predefined_metric_specification=AppautoscalingPolicyTargetTrackingScalingPolicyConfigurationPredefinedMetricSpecification(
                        predefined_metric_type=metric, resource_label=label
                    ),
                ),
                depends_on=list(previous),
            )
            previous = [policy]
            self.policy_names.append("%s-%s" % (props.name, suffix))

        self.scheduled_action_names = []
        for i, action in enumerate(props.scheduled_actions):
            scheduled = AppautoscalingScheduledAction(
                self,
                "Scheduled%d" % i,
                name="%s-%s" % (props.name, action.name),
                service_namespace=service_namespace,
                scalable_dimension=scalable_dimension,
                resource_id=resource_id,
                schedule=action.schedule,
                timezone=action.timezone,
                scalable_target_action=AppautoscalingScheduledActionScalableTargetAction(
                    min_capacity=str(action.min_capacity), max_capacity=str(action.max_capacity)
                ),
                depends_on=list(previous),
            )
            previous = [scheduled]
            self.scheduled_action_names.append("%s-%s" % (props.name, action.name))
