"""WebService: a load-balanced Fargate web service, wired from its parts (as aws-cdk's
``ApplicationLoadBalancedFargateService``).

Smallest example::

    from modules.registry import Registry, RegistryProps
    from modules.web_service import WebService, WebServiceProps

    registry = Registry(stack, "Registry", props=RegistryProps(name="flask-app-dev"))
    web = WebService(stack, props=WebServiceProps(
        name="flask-app-dev", app_name="flask-app", env_name="dev", region="us-east-1",
        network=network, registry=registry, image_tag="0a1b2c3", log_retention_days=30))
    web.load_balancer.service_url, web.service.service_name

A second service on the same load balancer, reached on ``/api/*`` (its parts in its own scope)::

    api = WebService(Construct(stack, "Api"), props=WebServiceProps(
        name="flask-app-dev-api", ..., load_balancer=web.load_balancer,
        target=TargetOptions(paths=("/api/*",), priority=10)))

What it builds, each part the construct of its own module with props derived from these:

* :class:`modules.cluster.Cluster` (``Cluster``) when ``cluster`` is not given;
* :class:`modules.load_balancer.LoadBalancer` (``LoadBalancer``) when ``load_balancer`` is not
  given: ALB ``{name}-alb`` in the network's public subnets with its listeners, from
  ``load_balancer_options`` (:class:`LoadBalancerOptions`);
* :class:`modules.waf.WebAcl` (``WebAcl``) on that ALB when ``web_acl_log_retention_days`` is set
  (a load balancer passed in brings its own);
* :class:`modules.listener_target.ListenerTarget`: target group ``{name}-tg`` on the container
  port, health-checked on ``container.health_check_path``, from ``target``
  (:class:`TargetOptions`): the listeners' default action (placed in the load balancer's scope
  when this construct created it), or listener rules on hosts/paths;
* :class:`modules.discovery.Discovery` (``Discovery``) when ``discovery_namespace`` is set: the
  service registers as ``{app_name}.{discovery_namespace}``;
* :class:`modules.alarms.Alarms` (``Alarms``) unless ``alarms=False``, notifying ``alarm_topic_arn``
  (and alarming on the ALB's own 5xx when this construct created the ALB); with
  ``deployment_alarms`` its 5xx and unhealthy-host alarms roll a deployment back;
* :class:`modules.service.Service` (``Service``): ECS service ``{name}-web`` in the private subnets
  (the public ones with ``assign_public_ip``), its task definition, roles, log group and task
  security group, linked both ways to the ALB's security group on the container port, depending
  on the listeners and its listener rules;
* :class:`modules.autoscaling.Autoscaling` (``Autoscaling``) of the service, from ``scaling``
  (:class:`ScalingOptions`), with request tracking labelled by the ALB and target group.

Construct IDs are a contract (a changed ID replaces a real resource), so ``WebService`` is not a
scope of its own: it creates its parts directly in ``scope`` under the IDs listed above, the
same resource addresses as when a stack wires the parts itself.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from typing import Any

from constructs import Construct

from modules.alarms import Alarms, AlarmsProps
from modules.autoscaling import Autoscaling, AutoscalingProps, ScalingOptions
from modules.cluster import Cluster, ClusterProps
from modules.container import ContainerOptions
from modules.discovery import Discovery, DiscoveryProps
from modules.interfaces import ICluster, ILoadBalancer, INetwork, IRegistry
from modules.listener_target import ListenerTarget, TargetOptions, TargetProps
from modules.load_balancer import LoadBalancer, LoadBalancerOptions, LoadBalancerProps
from modules.service import Service, ServiceOptions, ServiceProps
from modules.waf import WebAcl, WebAclProps
from rules.alarms import DEFAULT_THRESHOLDS, Threshold


def _values(options: Any) -> dict[str, Any]:
    """A dataclass's fields as keyword arguments (one level: nested values stay as they are)."""
    return {f.name: getattr(options, f.name) for f in fields(options)}


@dataclass(frozen=True, kw_only=True)
class WebServiceProps:
    """Inputs of :class:`WebService`."""

    name: str
    """Physical name prefix, ``{app}-{env}``: the ALB is ``{name}-alb``, the target group ``{name}-tg``,
    the ECS service ``{name}-web``."""
    app_name: str
    """``APP_NAME`` in the container, and the service's Cloud Map name."""
    env_name: str
    """``APP_ENV`` in the container."""
    region: str
    """Region of the awslogs driver."""
    network: INetwork
    """VPC and subnets: the ALB in the public ones, the tasks in the private ones (unless ``assign_public_ip``)."""
    registry: IRegistry
    """Repository the image is pulled from."""
    image_tag: str
    """Tag (usually a ``var.image_tag`` token) of the image; also ``APP_VERSION``."""
    log_retention_days: int
    """Retention of the service's log group; must be a CloudWatch retention value."""
    cluster: ICluster | None = None
    """Cluster the service runs in; when unset one named ``name`` is created (id ``Cluster``: all on-demand
    FARGATE, Container Insights on)."""
    container: ContainerOptions = field(default_factory=ContainerOptions)
    """The app container and task size; :class:`ContainerOptions`' defaults unless set."""
    service: ServiceOptions = field(default_factory=ServiceOptions)
    """Deployment and task-role settings; :class:`ServiceOptions`' defaults unless set."""
    load_balancer: ILoadBalancer | None = None
    """An existing load balancer to add this service's target to; when unset one named ``{name}-alb`` is
    created (id ``LoadBalancer``) from ``load_balancer_options``."""
    load_balancer_options: LoadBalancerOptions | None = None
    """Ingress, TLS, DNS and idle timeout of the load balancer created here; :class:`LoadBalancerOptions`'
    defaults (plain HTTP from anywhere) unless set. Not allowed with ``load_balancer``."""
    target: TargetOptions = field(default_factory=TargetOptions)
    """Routing (hosts, paths, priority), draining and health-check tuning of the target group;
    :class:`TargetOptions`' defaults (the listeners' default action) unless set."""
    scaling: ScalingOptions = field(default_factory=ScalingOptions)
    """Capacity range and policies; :class:`ScalingOptions`' defaults (2..4 tasks, CPU and memory tracking)
    unless set."""
    assign_public_ip: bool = False
    """Run the tasks in the public subnets with public IPs; off unless set (only for development without NAT)."""
    log_kms_key_arn: str | None = None
    """KMS key of the service's (and the web ACL's) log group; CloudWatch Logs' own encryption unless set."""
    log_group_name: str | None = None
    """Existing log group of the container; when unset the service creates ``log_group_path``."""
    log_group_path: str | None = None
    """Name of the log group the service creates; ``/ecs/{name}/web`` unless set."""
    log_stream_prefix: str = "web"
    """First part of each task's log stream name; ``web`` unless set."""
    web_acl_log_retention_days: int | None = None
    """Put a WAF web ACL in front of the ALB created here, its request log kept this many days; no web ACL
    unless set. Not allowed with ``load_balancer``."""
    discovery_namespace: str | None = None
    """Cloud Map private DNS namespace to register the tasks in; no registration unless set."""
    alarms: bool = True
    """CloudWatch alarms for 5xx, latency, unhealthy hosts, CPU and memory; on unless set."""
    deployment_alarms: bool = False
    """Roll a deployment back when the 5xx or unhealthy-host alarm fires; off unless set (needs ``alarms``)."""
    alarm_topic_arn: str | None = None
    """SNS topic the alarms notify on ALARM and OK (:class:`modules.alarm_topic.AlarmTopic`); no one unless set."""
    alarm_thresholds: Mapping[str, Threshold] = field(default_factory=dict)
    """Thresholds by alarm (keys of ``rules.alarms.DEFAULT_THRESHOLDS``); those defaults unless set."""

    @property
    def desired_count(self) -> int:
        """Tasks at first deploy: ``scaling.desired_count``, or ``scaling.min_capacity`` when that is unset."""
        return self.scaling.min_capacity if self.scaling.desired_count is None else self.scaling.desired_count

    def __post_init__(self) -> None:
        if self.container.port is None or self.container.health_check_path is None:
            raise ValueError(
                "WebServiceProps.container.port=%r, health_check_path=%r; allowed: the port the app serves on and"
                " its health path (a web service is behind the load balancer)"
                % (self.container.port, self.container.health_check_path)
            )
        if self.deployment_alarms and not self.alarms:
            raise ValueError("WebServiceProps.deployment_alarms=True needs alarms=True; allowed: alarms=True")
        unknown = sorted(set(self.alarm_thresholds) - set(DEFAULT_THRESHOLDS))
        if unknown:
            raise ValueError(
                "WebServiceProps.alarm_thresholds has %s; allowed: %s" % (", ".join(unknown), ", ".join(DEFAULT_THRESHOLDS))
            )
        if self.load_balancer is not None:
            for field_name in ("load_balancer_options", "web_acl_log_retention_days"):
                if getattr(self, field_name) is not None:
                    raise ValueError(
                        "WebServiceProps.%s=%r with an existing load_balancer; allowed: None (the load balancer"
                        " passed in is configured where it is created)" % (field_name, getattr(self, field_name))
                    )


class WebService:
    """Load balancer, optional web ACL, discovery and alarms, service and autoscaling (see module docstring).

    Not a construct scope of its own: the parts are created in ``scope`` (construct IDs are a
    contract). Its attributes are the parts.
    """

    cluster: ICluster
    load_balancer: ILoadBalancer
    target: ListenerTarget
    web_acl: WebAcl | None
    discovery: Discovery | None
    alarms: Alarms | None
    service: Service
    autoscaling: Autoscaling

    def __init__(self, scope: Construct, *, props: WebServiceProps) -> None:
        c = props.container
        port, health_check_path = c.port, c.health_check_path
        assert port is not None and health_check_path is not None  # WebServiceProps checks both
        cluster = props.cluster
        if cluster is None:
            cluster = Cluster(scope, "Cluster", props=ClusterProps(name=props.name))
        self.cluster = cluster
        network = props.network
        lb: ILoadBalancer
        target_scope: Construct
        if props.load_balancer is None:
            created = LoadBalancer(
                scope,
                "LoadBalancer",
                props=LoadBalancerProps(
                    **_values(props.load_balancer_options or LoadBalancerOptions()),
                    name=props.name,
                    alb_name="%s-alb" % props.name,
                    vpc_id=network.vpc_id,
                    public_subnet_ids=network.public_subnet_ids,
                ),
            )
            lb, target_scope = created, created
        else:
            lb, target_scope = props.load_balancer, scope
        self.load_balancer = lb
        self.target = ListenerTarget(
            target_scope,
            load_balancer=lb,
            props=TargetProps(
                **_values(props.target),
                target_group_name="%s-tg" % props.name,
                port=port,
                health_check_path=health_check_path,
            ),
        )
        self.web_acl = None
        if props.web_acl_log_retention_days is not None:
            self.web_acl = WebAcl(
                scope,
                "WebAcl",
                props=WebAclProps(
                    name=props.name,
                    alb_arn=lb.alb_arn,
                    log_retention_days=props.web_acl_log_retention_days,
                    log_kms_key_arn=props.log_kms_key_arn,
                ),
            )
        service_name = "%s-web" % props.name

        self.discovery = None
        if props.discovery_namespace is not None:
            self.discovery = Discovery(
                scope,
                "Discovery",
                props=DiscoveryProps(
                    name=props.name, namespace=props.discovery_namespace, service=props.app_name, vpc_id=network.vpc_id
                ),
            )

        self.alarms = None
        if props.alarms:
            self.alarms = Alarms(
                scope,
                "Alarms",
                props=AlarmsProps(
                    name=props.name,
                    cluster_name=cluster.cluster_name,
                    service_name=service_name,
                    alb_arn_suffix=lb.alb_arn_suffix,
                    target_group_arn_suffix=self.target.target_group_arn_suffix,
                    topic_arn=props.alarm_topic_arn,
                    load_balancer_alarms=props.load_balancer is None,
                    **props.alarm_thresholds,
                ),
            )

        self.service = Service(
            scope,
            "Service",
            props=ServiceProps(
                name=props.name,
                service_name=service_name,
                app_name=props.app_name,
                env_name=props.env_name,
                region=props.region,
                container=c,
                service=props.service,
                desired_count=props.desired_count,
                log_retention_days=props.log_retention_days,
                log_kms_key_arn=props.log_kms_key_arn,
                log_group_name=props.log_group_name,
                log_group_path=props.log_group_path,
                log_stream_prefix=props.log_stream_prefix,
                cluster=cluster,
                registry=props.registry,
                image_tag=props.image_tag,
                vpc_id=network.vpc_id,
                subnet_ids=network.public_subnet_ids if props.assign_public_ip else network.private_subnet_ids,
                assign_public_ip=props.assign_public_ip,
                alb_security_group_id=lb.security_group_id,
                target_group_arn=self.target.target_group_arn,
                listeners=[*lb.listeners, *self.target.rules],
                service_registry_arn=self.discovery.registry_arn if self.discovery else None,
                deployment_alarm_names=(
                    self.alarms.deployment_alarm_names if self.alarms and props.deployment_alarms else ()
                ),
            ),
        )
        self.autoscaling = Autoscaling(
            scope,
            "Autoscaling",
            props=AutoscalingProps(
                **_values(props.scaling),
                name=props.name,
                cluster_name=cluster.cluster_name,
                service_name=self.service.service_name,
                resource_label="%s/%s" % (lb.alb_arn_suffix, self.target.target_group_arn_suffix),
            ),
        )
