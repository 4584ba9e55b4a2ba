"""BacklogScaling: scale a queue worker's ECS service on its SQS backlog per task, down to zero and back.

Smallest example::

    from modules.backlog_scaling import BacklogScaling, BacklogScalingProps
    from rules.queues import backlog_per_task

    BacklogScaling(stack, "WorkerScaling", props=BacklogScalingProps(
        name="flask-app-dev-worker", cluster_name=cluster.cluster_name, service_name="flask-app-dev-worker",
        queue_name=jobs.queue_name, max_capacity=4,
        backlog_per_task=backlog_per_task(latency_seconds=300, seconds_per_message=2)))   # 150

What it builds:

* a scalable target ``service/<cluster>/<service>`` with ``min_capacity..max_capacity`` (0..N:
  the service may run no task at all while the queue is empty);
* ``{name}-backlog``, a target-tracking policy that holds the *backlog per task* at
  ``backlog_per_task``, with metric math on three metrics::

      backlog_per_task = (visible + in_flight) / running
      visible    AWS/SQS ApproximateNumberOfMessagesVisible     (QueueName)            Maximum
      in_flight  AWS/SQS ApproximateNumberOfMessagesNotVisible  (QueueName)            Maximum
      running    ECS/ContainerInsights RunningTaskCount         (ClusterName, ServiceName) Average

  As the metric is per running task, target tracking keeps about
  ``(visible + in_flight) / backlog_per_task`` tasks. Choose ``backlog_per_task`` as the messages
  one task gets through within the latency you accept: acceptable latency / average seconds per
  message (:func:`rules.queues.backlog_per_task`; AWS, "Scaling policy based on Amazon SQS" and
  "Create a target tracking scaling policy for Application Auto Scaling using metric math");
* when ``min_capacity`` is 0, the *wake-up*: a CloudWatch alarm ``{name}-wake-up`` and a step
  scaling policy ``{name}-wake-up`` that adds one task when messages wait and no task runs.

Why two policies. Target tracking cannot start from zero: with no running task the division has
no value (CloudWatch drops a data point that would divide by zero), and "a target tracking scaling
policy does not perform scaling when the specified metric has insufficient data" (ECS Developer
Guide, "Use a target metric to scale Amazon ECS services"). AWS documents the same limit for
SageMaker endpoints, which "must use step scaling ... to scale out from zero". So the wake-up alarm
watches, with metric math::

    (visible >= 1) > tasks     tasks = AWS/ECS CPUUtilization (ClusterName, ServiceName) SampleCount

ECS sends ``AWS/ECS`` metrics only for services with RUNNING tasks (ECS Developer Guide,
"Amazon ECS CloudWatch metrics"), and a comparison of two time series counts a value missing in
one of them as 0 (CloudWatch User Guide, "Using metric math"): the expression is 1 exactly when
messages are visible and the service reports no running task, 0 otherwise. It must hold for 3
minutes in a row (a minute's ECS data can arrive after the SQS data), then the step policy adds one
task (``ChangeInCapacity +1``, never an exact capacity, so a false alarm can only add a task, never
remove one), with ``wake_up_cooldown_seconds`` (300 s) between additions while that task starts.
Once it runs, the target-tracking policy has data again and takes over.

Scaling in to 0 is target tracking's ("when a metric emits real 0 values, Application Auto Scaling
can scale in to 0", Application Auto Scaling User Guide): once no message is visible or in flight
for as long as its low alarm needs. The in-flight messages count so that the metric stays above 0
while the last task still works on a message, and Application Auto Scaling rounds the capacity it
keeps up, so that task is not removed mid-message.

Expect a worker to start about 3 to 5 minutes after the first message reaches an idle queue. A
queue with no message and no API call for six hours is inactive and publishes no metrics; when a
message activates it again, "a delay of up to 15 minutes occurs in CloudWatch metrics" (SQS
Developer Guide, "Monitoring Amazon SQS queues using CloudWatch"), once.

Requirement: Container Insights on the cluster (``RunningTaskCount``; :class:`modules.cluster.Cluster`
turns it on unless ``container_insights=False``). Without it the target-tracking policy has no data:
the wake-up still starts one task, but nothing scales out further or back to zero.
"""

from __future__ import annotations

from dataclasses import dataclass

from cdktf_cdktf_provider_aws.appautoscaling_policy import (
    AppautoscalingPolicy,
    AppautoscalingPolicyStepScalingPolicyConfiguration,
    AppautoscalingPolicyStepScalingPolicyConfigurationStepAdjustment,
    AppautoscalingPolicyTargetTrackingScalingPolicyConfiguration,
    AppautoscalingPolicyTargetTrackingScalingPolicyConfigurationCustomizedMetricSpecification,
)
from cdktf_cdktf_provider_aws.appautoscaling_policy import (
    AppautoscalingPolicyTargetTrackingScalingPolicyConfigurationCustomizedMetricSpecificationMetrics as _Metrics,
)
from cdktf_cdktf_provider_aws.appautoscaling_policy import (
    AppautoscalingPolicyTargetTrackingScalingPolicyConfigurationCustomizedMetricSpecificationMetricsMetricStat as _MetricStat,
)
from cdktf_cdktf_provider_aws.appautoscaling_policy import (
    AppautoscalingPolicyTargetTrackingScalingPolicyConfigurationCustomizedMetricSpecificationMetricsMetricStatMetric as _Metric,
)
from cdktf_cdktf_provider_aws.appautoscaling_policy import (
    AppautoscalingPolicyTargetTrackingScalingPolicyConfigurationCustomizedMetricSpecificationMetricsMetricStatMetricDimensions as _Dimension,
)
from cdktf_cdktf_provider_aws.cloudwatch_metric_alarm import (
    CloudwatchMetricAlarm,
    CloudwatchMetricAlarmMetricQuery,
    CloudwatchMetricAlarmMetricQueryMetric,
)
from constructs import Construct

from modules.autoscaling import ecs_service_target

#: The metric-math expressions, by the ids of the metrics they combine.
BACKLOG_PER_TASK = "(visible + in_flight) / running"
NO_TASK_BUT_MESSAGES = "(visible >= 1) > tasks"
#: Minutes in a row the wake-up condition must hold before a task is added.
WAKE_UP_MINUTES = 3
#: Scalable-target limit used in messages (Application Auto Scaling accepts any non-negative count).
COOLDOWN_MAX_SECONDS = 86400


@dataclass(frozen=True, kw_only=True)
class BacklogScalingProps:
    """Inputs of :class:`BacklogScaling`."""

    name: str
    """Physical name prefix, ``{app}-{env}-{workload}``: the policies are ``{name}-backlog`` and
    ``{name}-wake-up``, the wake-up alarm ``{name}-wake-up``."""
    cluster_name: str
    """Cluster of the service (``ClusterName`` dimension; Container Insights must be on, module docstring)."""
    service_name: str
    """ECS service to scale (``ServiceName`` dimension); pass the service's attribute so the target waits
    for the service."""
    queue_name: str
    """The SQS queue the service consumes (``QueueName`` dimension), e.g. :attr:`modules.queue.WorkQueue.queue_name`."""
    max_capacity: int
    """Most tasks the service may run; at least 1."""
    backlog_per_task: float
    """Messages (waiting plus in flight) one task should have at most: acceptable latency / average
    seconds per message (:func:`rules.queues.backlog_per_task`); above 0."""
    min_capacity: int = 0
    """Fewest tasks; 0 unless set, so an empty queue runs no task (and the wake-up is built). With 1 or
    more there is no wake-up."""
    scale_in_cooldown_seconds: int = 300
    """Wait after a scale-in before the next; 300 s unless set."""
    scale_out_cooldown_seconds: int = 60
    """Wait after a target-tracking scale-out before the next; 60 s unless set."""
    wake_up_cooldown_seconds: int = 300
    """Wait after the wake-up added a task before it may add another while the first starts; 300 s unless set."""

    def __post_init__(self) -> None:
        if self.max_capacity < 1:
            raise ValueError("BacklogScalingProps.max_capacity=%r; allowed: >= 1" % self.max_capacity)
        if not 0 <= self.min_capacity <= self.max_capacity:
            raise ValueError(
                "BacklogScalingProps.min_capacity=%r with max_capacity=%d; allowed: 0..%d"
                % (self.min_capacity, self.max_capacity, self.max_capacity)
            )
        if not self.backlog_per_task > 0:
            raise ValueError(
                "BacklogScalingProps.backlog_per_task=%r; allowed: > 0 (acceptable latency / seconds per message)"
                % self.backlog_per_task
            )
        for field in ("scale_in_cooldown_seconds", "scale_out_cooldown_seconds", "wake_up_cooldown_seconds"):
            value = getattr(self, field)
            if not 0 <= value <= COOLDOWN_MAX_SECONDS:
                raise ValueError("BacklogScalingProps.%s=%r; allowed: 0..%d" % (field, value, COOLDOWN_MAX_SECONDS))


class BacklogScaling(Construct):
    """Scalable target + backlog-per-task target tracking + wake-up from zero (see the module docstring)."""

    resource_id: str
    policy_names: list[str]
    wake_up_alarm_name: str | None

    def __init__(self, scope: Construct, id_: str, *, props: BacklogScalingProps) -> None:
        super().__init__(scope, id_)
        target = ecs_service_target(self, props.cluster_name, props.service_name, props.min_capacity, props.max_capacity)
        self.resource_id = target.resource_id
        queue = {"QueueName": props.queue_name}
        service = {"ClusterName": props.cluster_name, "ServiceName": props.service_name}

        def tracked(id_: str, namespace: str, metric: str, dimensions: dict[str, str], stat: str) -> _Metrics:
            return _Metrics(
                id=id_,
                metric_stat=_MetricStat(
                    metric=_Metric(
                        namespace=namespace,
                        metric_name=metric,
                        dimensions=[_Dimension(name=k, value=v) for k, v in dimensions.items()],
                    ),
                    stat=stat,
                ),
                return_data=False,
            )

        backlog = AppautoscalingPolicy(
            self,
            "BacklogTracking",
            name="%s-backlog" % props.name,
            policy_type="TargetTrackingScaling",
            service_namespace=target.service_namespace,
            scalable_dimension=target.scalable_dimension,
            resource_id=target.resource_id,
            target_tracking_scaling_policy_configuration=AppautoscalingPolicyTargetTrackingScalingPolicyConfiguration(
                target_value=props.backlog_per_task,
                scale_in_cooldown=props.scale_in_cooldown_seconds,
                scale_out_cooldown=props.scale_out_cooldown_seconds,
                customized_metric_specification=AppautoscalingPolicyTargetTrackingScalingPolicyConfigurationCustomizedMetricSpecification(
                    metrics=[
                        tracked("visible", "AWS/SQS", "ApproximateNumberOfMessagesVisible", queue, "Maximum"),
                        tracked("in_flight", "AWS/SQS", "ApproximateNumberOfMessagesNotVisible", queue, "Maximum"),
                        tracked("running", "ECS/ContainerInsights", "RunningTaskCount", service, "Average"),
                        _Metrics(
                            id="backlog_per_task",
                            expression=BACKLOG_PER_TASK,
                            label="Messages waiting or in flight per running task",
                            return_data=True,
                        ),
                    ]
                ),
            ),
        )
        self.policy_names = ["%s-backlog" % props.name]
        self.wake_up_alarm_name = None
        if props.min_capacity > 0:
            return

        wake_up = AppautoscalingPolicy(
            self,
            "WakeUpPolicy",
            name="%s-wake-up" % props.name,
            policy_type="StepScaling",
            service_namespace=target.service_namespace,
            scalable_dimension=target.scalable_dimension,
            resource_id=target.resource_id,
            step_scaling_policy_configuration=AppautoscalingPolicyStepScalingPolicyConfiguration(
                adjustment_type="ChangeInCapacity",
                cooldown=props.wake_up_cooldown_seconds,
                metric_aggregation_type="Maximum",
                step_adjustment=[
                    AppautoscalingPolicyStepScalingPolicyConfigurationStepAdjustment(
                        metric_interval_lower_bound="0", scaling_adjustment=1
                    )
                ],
            ),
            # Application Auto Scaling rejects concurrent changes to one scalable target.
            depends_on=[backlog],
        )
        self.policy_names.append("%s-wake-up" % props.name)

        def alarm_metric(
            id_: str, namespace: str, metric: str, dimensions: dict[str, str], stat: str
        ) -> CloudwatchMetricAlarmMetricQuery:
            return CloudwatchMetricAlarmMetricQuery(
                id=id_,
                metric=CloudwatchMetricAlarmMetricQueryMetric(
                    namespace=namespace, metric_name=metric, dimensions=dimensions, stat=stat, period=60
                ),
                return_data=False,
            )

        alarm = CloudwatchMetricAlarm(
            self,
            "WakeUpAlarm",
            alarm_name="%s-wake-up" % props.name,
            alarm_description="Messages wait in %s and %s runs no task: start one (scaling action, not a page)"
            % (props.queue_name, props.service_name),
            metric_query=[
                alarm_metric("visible", "AWS/SQS", "ApproximateNumberOfMessagesVisible", queue, "Maximum"),
                alarm_metric("tasks", "AWS/ECS", "CPUUtilization", service, "SampleCount"),
                CloudwatchMetricAlarmMetricQuery(
                    id="wake_up",
                    expression=NO_TASK_BUT_MESSAGES,
                    label="1 when messages wait and no task runs",
                    return_data=True,
                ),
            ],
            comparison_operator="GreaterThanOrEqualToThreshold",
            threshold=1,
            evaluation_periods=WAKE_UP_MINUTES,
            datapoints_to_alarm=WAKE_UP_MINUTES,
            treat_missing_data="notBreaching",
            alarm_actions=[wake_up.arn],
        )
        self.wake_up_alarm_name = alarm.alarm_name
