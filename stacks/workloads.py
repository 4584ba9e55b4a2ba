"""An environment's further workloads (``workloads`` in its config): web, backend, worker and job.

Every workload logs to the environment's app log group (the web service's) under a stream
prefix of its own name. Each workload gets a scope of its own, ``Workload-<name>``, so its resources have addresses of
their own and the environment's own web service (``web``, the stack's top-level
:class:`modules.web_service.WebService`) keeps every address it had before workloads existed.
All of them share the environment's network, cluster, image, log key and, for web workloads,
its load balancer:

* ``web``: a :class:`WebService` on the shared ALB, reached through listener rules on its
  ``hosts``/``paths`` at its ``priority``; or, with an ``nlb`` table, a
  :class:`modules.service.Service` behind a :class:`modules.network_load_balancer.NetworkLoadBalancer`
  of its own (TCP or TLS on one port), scaled on CPU;
* ``backend``: a :class:`modules.service.Service` without a load balancer, registered in the
  environment's Cloud Map namespace as ``<name>.<namespace>``; only its ``callers`` may reach its
  port (an ingress rule on its security group and an egress rule on each caller's);
* ``worker``: a :class:`modules.queue.WorkQueue` (queue + dead-letter queue + alarms), a
  :class:`Service` without a port that consumes it, scaled on the backlog per task
  (:class:`modules.backlog_scaling.BacklogScaling`, 0..N tasks);
* ``job``: a :class:`modules.task.FargateTask` run by :class:`modules.scheduled_task.ScheduledTask`
  (EventBridge Scheduler) and on demand (``make run-task WORKLOAD=<name>``).

A workload that ``sends_to`` a worker gets ``QUEUE_URL``/``DLQ_URL`` in its container and the
grants to send to the queue and read both queues' attributes.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

from cdktf_cdktf_provider_aws.vpc_security_group_egress_rule import VpcSecurityGroupEgressRule
from constructs import Construct

from envconfig.model import PRIMARY_WORKLOAD, EnvironmentConfig, WorkloadConfig
from modules.autoscaling import Autoscaling, AutoscalingProps, ScalingOptions
from modules.backlog_scaling import BacklogScaling, BacklogScalingProps
from modules.container import ContainerOptions
from modules.discovery import Discovery, DiscoveryProps
from modules.interfaces import ICluster, ILoadBalancer, INetwork, IRegistry
from modules.network_load_balancer import NetworkLoadBalancer, NetworkLoadBalancerProps
from modules.queue import WorkQueue, WorkQueueProps
from modules.scheduled_task import ScheduledTask, ScheduledTaskProps
from modules.service import Service, ServiceOptions, ServiceProps
from modules.task import FargateTask, PolicyStatement, TaskProps
from modules.web_service import WebService, WebServiceProps
from rules.capacity import compatibilities
from rules.container import QUEUE_ENV
from rules.stacks import workload_scope
from stacks.props import alarm_thresholds, container_options, egress_rules, policy_statements, target_options


@dataclass(frozen=True, kw_only=True)
class Shared:
    """What every workload of the environment shares."""

    env: EnvironmentConfig
    network: INetwork
    cluster: ICluster
    registry: IRegistry
    image_tag: str
    log_kms_key_arn: str
    assign_public_ip: bool
    alarm_topic_arn: str | None
    load_balancer: ILoadBalancer | None = None
    namespace_id: str | None = None
    web_task_security_group_id: str | None = None
    log_group_name: str | None = None
    """The environment's app log group (the web service's): every workload logs there under its own
    stream prefix, so one retention setting and one ``make logs`` source cover them all."""

    @property
    def task_subnet_ids(self) -> list[str]:
        return self.network.public_subnet_ids if self.assign_public_ip else self.network.private_subnet_ids


def queue_environment(queue: WorkQueue) -> dict[str, str]:
    """The variables a workload that uses ``queue`` finds it by (``rules.container.QUEUE_ENV``)."""
    url_variable, dlq_variable = QUEUE_ENV
    return {url_variable: queue.queue_url, dlq_variable: queue.dlq_url}


def sender_statements(queue: WorkQueue) -> tuple[PolicyStatement, ...]:
    """Send to the queue, and read the dead-letter queue's attributes (a report job counts its messages)."""
    return (
        *queue.producer_statements(),
        PolicyStatement(
            sid="ReadDeadLetterQueue",
            actions=("sqs:GetQueueAttributes", "sqs:GetQueueUrl"),
            resources=(queue.dlq_arn,),
        ),
    )


def make_queues(scopes: dict[str, Construct], shared: Shared) -> dict[str, WorkQueue]:
    """The work queue of every worker, in the worker's scope (id ``Queue``)."""
    env = shared.env
    queues: dict[str, WorkQueue] = {}
    for name, workload in env.workloads.items():
        if workload.kind != "worker" or workload.queue is None:
            continue
        q = workload.queue
        queues[name] = WorkQueue(
            scopes[name],
            "Queue",
            props=WorkQueueProps(
                name=env.physical_name(name),
                visibility_timeout_seconds=q.visibility_timeout_seconds,
                max_receive_count=q.max_receive_count,
                message_retention_seconds=q.retention_seconds,
                oldest_message_age_alarm_seconds=q.oldest_message_alarm_seconds,
                alarm_topic_arn=shared.alarm_topic_arn,
            ),
        )
    return queues


class Workloads:
    """The workloads of ``env.workloads``, each in its own scope (see module docstring)."""

    scopes: dict[str, Construct]
    queues: dict[str, WorkQueue]
    services: dict[str, Service]
    """The ECS service of each web, backend and worker workload."""
    tasks: dict[str, FargateTask]
    """The task of each job."""
    schedules: dict[str, ScheduledTask]
    network_load_balancers: dict[str, NetworkLoadBalancer]
    """The NLB of each web workload that has one."""

    def __init__(self, stack: Construct, env: EnvironmentConfig) -> None:
        self.env = env
        self.scopes = {name: Construct(stack, workload_scope(name)) for name in env.workloads}
        self.queues = {}
        self.services = {}
        self.tasks = {}
        self.schedules = {}
        self.network_load_balancers = {}

    def add_queues(self, shared: Shared) -> dict[str, WorkQueue]:
        """Create the workers' queues first: the environment's own web service may send to one."""
        self.queues = make_queues(self.scopes, shared)
        return self.queues

    def add_workloads(self, shared: Shared) -> None:
        """Every workload, once the environment's own web service (and its load balancer) exists."""
        self.log_group_name = shared.log_group_name or ""
        task_groups: dict[str, str] = {}
        if shared.web_task_security_group_id is not None:
            task_groups[PRIMARY_WORKLOAD] = shared.web_task_security_group_id
        backends = []
        for name, workload in self.env.workloads.items():
            if workload.kind == "backend":
                backends.append((name, workload))
                continue
            self._add(name, workload, shared, task_groups)
        # Backends last: their callers' security groups exist by then.
        for name, workload in backends:
            self._add(name, workload, shared, task_groups)
            for caller in workload.callers:
                VpcSecurityGroupEgressRule(
                    self.scopes[name],
                    "EgressFrom-%s" % caller,
                    security_group_id=task_groups[caller],
                    description="%s calls %s on its container port" % (caller, name),
                    ip_protocol="tcp",
                    from_port=workload.container.port,
                    to_port=workload.container.port,
                    referenced_security_group_id=task_groups[name],
                )

    def outputs(self) -> dict[str, dict[str, str]]:
        """Per workload, what the operating commands need: kind, service or schedule, task family, logs, queues, and
        its task security group (a database's security group admits it)."""
        out: dict[str, dict[str, str]] = {}
        for name, workload in self.env.workloads.items():
            entry = {"kind": workload.kind, "log_group_name": self.log_group_name, "log_stream_prefix": name}
            if name in self.services:
                service = self.services[name]
                entry.update(service_name=service.service_name, task_definition_family=service.task_definition_family,
                             task_security_group_id=service.task_security_group_id)  # fmt: skip
            if name in self.network_load_balancers:
                entry.update(service_url=self.network_load_balancers[name].service_url)
            if name in self.tasks:
                entry.update(task_definition_family=self.tasks[name].task_definition_family,
                             task_security_group_id=self.tasks[name].task_security_group_id,
                             schedule_name=self.schedules[name].schedule_name)  # fmt: skip
            queue_name = name if workload.kind == "worker" else workload.sends_to
            if queue_name is not None:
                entry.update(queue_url=self.queues[queue_name].queue_url, dlq_url=self.queues[queue_name].dlq_url)
            out[name] = entry
        return out

    # ---- one workload ------------------------------------------------------------------------

    def _container(self, name: str, workload: WorkloadConfig) -> ContainerOptions:
        options = container_options(workload.container)
        environment = dict(options.environment)
        queue_name = name if workload.kind == "worker" else workload.sends_to
        if queue_name is not None:
            environment.update(queue_environment(self.queues[queue_name]))
        if workload.serves_port:
            return dataclasses.replace(options, environment=environment)
        return dataclasses.replace(options, environment=environment, port=None, health_check_path=None)

    def _grants(self, name: str, workload: WorkloadConfig) -> tuple[PolicyStatement, ...]:
        grants = list(policy_statements(workload.task_role_statements))
        if workload.kind == "worker":
            grants.extend(self.queues[name].consumer_statements())
        if workload.sends_to is not None:
            grants.extend(sender_statements(self.queues[workload.sends_to]))
        return tuple(grants)

    def _add(self, name: str, workload: WorkloadConfig, shared: Shared, task_groups: dict[str, str]) -> None:
        env = self.env
        scope = self.scopes[name]
        prefix = env.physical_name(name)
        common: dict[str, Any] = dict(
            app_name=env.app_name, env_name=env.name, region=env.region, registry=shared.registry,
            image_tag=shared.image_tag, log_retention_days=env.logging.retention_days,
            log_kms_key_arn=shared.log_kms_key_arn, log_group_name=shared.log_group_name, log_stream_prefix=name,
        )  # fmt: skip
        container = self._container(name, workload)
        grants = self._grants(name, workload)
        egress: dict[str, Any] = dict(egress_rules=egress_rules(workload.egress), open_egress_needs_reason=env.production)
        scaling = workload.scaling
        if workload.kind == "web" and workload.nlb is None:
            web = WebService(
                scope,
                props=WebServiceProps(
                    **common, name=prefix, network=shared.network, cluster=shared.cluster,
                    load_balancer=shared.load_balancer, assign_public_ip=shared.assign_public_ip,
                    container=container, service=ServiceOptions(task_role_statements=grants, **egress),
                    target=dataclasses.replace(
                        target_options(env.load_balancer), hosts=workload.hosts, paths=workload.paths,
                        priority=workload.priority,
                    ),
                    scaling=ScalingOptions(
                        min_capacity=scaling.min_capacity, max_capacity=scaling.max_capacity,
                        cpu_target_percent=scaling.cpu_target_percent, memory_target_percent=None,
                    ),
                    alarms=workload.alarms, alarm_topic_arn=shared.alarm_topic_arn,
                    alarm_thresholds=alarm_thresholds(env.alarms),
                ),
            )  # fmt: skip
            self.services[name] = web.service
            task_groups[name] = web.service.task_security_group_id
            return
        if workload.kind == "job":
            task = self.tasks[name] = FargateTask(
                scope,
                props=TaskProps(
                    **common, name=prefix, family=prefix, vpc_id=shared.network.vpc_id, container=container,
                    task_role_statements=grants, requires_compatibilities=compatibilities(shared.cluster.strategy),
                    **egress,
                    security_group_description="ECS tasks of a job: no ingress, HTTPS out",
                ),
            )  # fmt: skip
            task_groups[name] = task.task_security_group_id
            self.schedules[name] = ScheduledTask(
                scope,
                "Schedule",
                props=ScheduledTaskProps(
                    name=prefix, region=env.region, schedule_expression=workload.schedule or "",
                    timezone=workload.timezone, cluster_arn=shared.cluster.cluster_arn, task_family=prefix,
                    task_definition_arn=task.task_definition_arn, subnet_ids=shared.task_subnet_ids,
                    security_group_ids=[task.task_security_group_id], assign_public_ip=shared.assign_public_ip,
                    capacity_provider_strategy=tuple(shared.cluster.strategy),
                    task_role_arn=task.task_role_arn, execution_role_arn=task.execution_role_arn,
                    maximum_retry_attempts=workload.max_retries, state="ENABLED" if workload.enabled else "DISABLED",
                    alarm_topic_arn=shared.alarm_topic_arn,
                ),
            )  # fmt: skip
            return
        callers = tuple(task_groups[c] for c in workload.callers)
        nlb = None
        if workload.nlb is not None:
            assert container.port is not None and container.health_check_path is not None  # a web container's
            nlb = self.network_load_balancers[name] = NetworkLoadBalancer(
                scope,
                "NetworkLoadBalancer",
                props=NetworkLoadBalancerProps(
                    name=prefix, vpc_id=shared.network.vpc_id, public_subnet_ids=shared.network.public_subnet_ids,
                    target_port=container.port, health_check_path=container.health_check_path,
                    port=workload.nlb.port, protocol=workload.nlb.protocol, certificate_arn=workload.nlb.certificate_arn,
                    ingress_cidrs=workload.nlb.ingress_cidrs, deletion_protection=env.deletion_protection,
                    access_log_bucket=workload.nlb.access_log_bucket,
                    deregistration_delay_seconds=env.load_balancer.deregistration_delay_seconds,
                    alarm_topic_arn=shared.alarm_topic_arn,
                ),
            )  # fmt: skip
        registry_arn = None
        if workload.kind == "backend":
            namespace = env.service.service_discovery_namespace
            assert namespace is not None and shared.namespace_id is not None  # the config model requires it
            registry_arn = Discovery(
                scope,
                "Discovery",
                props=DiscoveryProps(
                    name=prefix, namespace=namespace, service=name, vpc_id=shared.network.vpc_id,
                    namespace_id=shared.namespace_id,
                ),
            ).registry_arn  # fmt: skip
        service = self.services[name] = Service(
            scope,
            "Service",
            props=ServiceProps(
                **common, name=prefix, service_name=prefix, desired_count=scaling.min_capacity,
                cluster=shared.cluster, vpc_id=shared.network.vpc_id, subnet_ids=shared.task_subnet_ids,
                assign_public_ip=shared.assign_public_ip, container=container,
                service=ServiceOptions(task_role_statements=grants, discovery_client_security_group_ids=callers,
                                       **egress),
                service_registry_arn=registry_arn,
                alb_security_group_id=nlb.security_group_id if nlb else None,
                target_group_arn=nlb.target_group_arn if nlb else None,
                listeners=nlb.listeners if nlb else (),
            ),
        )  # fmt: skip
        task_groups[name] = service.task_security_group_id
        if workload.kind == "worker":
            BacklogScaling(
                scope,
                "Scaling",
                props=BacklogScalingProps(
                    name=prefix, cluster_name=shared.cluster.cluster_name, service_name=service.service_name,
                    queue_name=self.queues[name].queue_name, min_capacity=scaling.min_capacity,
                    max_capacity=scaling.max_capacity, backlog_per_task=scaling.backlog_per_task,
                ),
            )  # fmt: skip
        else:
            Autoscaling(
                scope,
                "Autoscaling",
                props=AutoscalingProps(
                    name=prefix, cluster_name=shared.cluster.cluster_name, service_name=service.service_name,
                    min_capacity=scaling.min_capacity, max_capacity=scaling.max_capacity,
                    desired_count=scaling.min_capacity, cpu_target_percent=scaling.cpu_target_percent,
                    memory_target_percent=None,
                ),
            )  # fmt: skip
