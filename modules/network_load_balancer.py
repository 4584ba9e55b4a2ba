"""NetworkLoadBalancer: an internet-facing NLB (TCP or TLS) in front of one service, with its own target group.

Smallest example::

    from modules.network_load_balancer import NetworkLoadBalancer, NetworkLoadBalancerProps

    nlb = NetworkLoadBalancer(stack, "NetworkLoadBalancer", props=NetworkLoadBalancerProps(
        name="flask-app-prod-tcp", vpc_id=network.vpc_id, public_subnet_ids=network.public_subnet_ids,
        target_port=3000, health_check_path="/health", protocol="TLS",
        certificate_arn="arn:aws:acm:ap-southeast-1:123456789012:certificate/0123abcd"))
    nlb.security_group_id, nlb.target_group_arn, nlb.listeners   # what a Service needs
    nlb.service_url                                              # https://<nlb dns name>:443

The seed names both load balancers in front of a service; this is the NLB one (as aws-cdk's
``NetworkLoadBalancedFargateService``): layer 4, one listener, one target group, no host or path
rules. Use it for a protocol an ALB does not speak, for a fixed listener port other than 80/443,
or for TLS passed to the tasks untouched (``protocol="TCP"``).

What it builds, each named ``{name}-<what>``:

* its security group ``{name}-nlb``: ingress on ``port`` from ``ingress_cidrs`` only; egress is added
  by the service (to its task security group on the container port), so the NLB reaches nothing
  else. With a security group on the NLB, tasks admit the NLB's group, not client addresses
  (client IP preservation is off for ``ip`` targets), and PrivateLink traffic is held to the
  same inbound rules;
* the network load balancer ``{name}-nlb``, internet-facing, in the public subnets, cross-zone
  load balancing on (an ALB always has it; an NLB only when asked), deletion protection from
  the props, access logs to ``access_log_bucket`` when given (NLBs log TLS listeners only);
* a target group ``{name}-tg`` of type ``ip``, protocol TCP on ``target_port``, health-checked
  over HTTP on ``health_check_path`` (200 only), with the given deregistration delay (30 s unless
  set) and connection termination at the end of it;
* one listener on ``port``: TLS with ``certificate_arn`` and ``TLS_POLICY`` (TLS 1.3/1.2,
  forward-secret ciphers), decrypting at the NLB and forwarding plain TCP; or TCP, forwarding the
  bytes as they come;
* the alarm ``{name}-nlb-unhealthy-hosts`` (a target unhealthy for 2 minutes), notifying
  ``alarm_topic_arn`` when given.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass

from cdktf_cdktf_provider_aws.cloudwatch_metric_alarm import CloudwatchMetricAlarm
from cdktf_cdktf_provider_aws.lb import Lb, LbAccessLogs
from cdktf_cdktf_provider_aws.lb_listener import LbListener, LbListenerDefaultAction
from cdktf_cdktf_provider_aws.lb_target_group import LbTargetGroup, LbTargetGroupHealthCheck
from cdktf_cdktf_provider_aws.vpc_security_group_ingress_rule import VpcSecurityGroupIngressRule
from constructs import Construct

from modules.load_balancer import TLS_POLICY
from modules.security_group import replaceable_security_group
from rules.dns import nlb_listener_problem
from rules.naming import LIMITS, length_problem

#: The listener protocols of this construct (UDP is not a web workload's).
PROTOCOLS = ("TCP", "TLS")


@dataclass(frozen=True, kw_only=True)
class NetworkLoadBalancerProps:
    """Inputs of :class:`NetworkLoadBalancer`."""

    name: str
    """Physical name prefix, e.g. ``flask-app-prod-tcp``: the NLB is ``{name}-nlb`` and the target group
    ``{name}-tg``, each at most 32 characters (AWS limit), checked here."""
    vpc_id: str
    """VPC of the security group and the target group."""
    public_subnet_ids: list[str]
    """Subnets the NLB is placed in; at least two, so it spans two availability zones."""
    target_port: int
    """Port the tasks listen on (the container port)."""
    health_check_path: str
    """Path the target group's HTTP health check requests; must answer 200."""
    port: int = 443
    """Listener port; 443 unless set."""
    protocol: str = "TLS"
    """``TLS`` (decrypted at the NLB with ``certificate_arn``) or ``TCP`` (bytes passed through); TLS unless set."""
    certificate_arn: str | None = None
    """ACM certificate of the TLS listener; required with ``protocol="TLS"``, refused with TCP."""
    ingress_cidrs: tuple[str, ...] = ("0.0.0.0/0",)
    """IPv4 blocks allowed to reach ``port``; everyone unless set."""
    deletion_protection: bool = False
    """NLB deletion protection; off unless set."""
    access_log_bucket: str | None = None
    """Existing S3 bucket (with the ELB log-delivery policy) for the TLS listener's access logs; none unless set."""
    deregistration_delay_seconds: int = 30
    """Draining time of a deregistered target; 30 s unless set (AWS's default is 300 s)."""
    alarm_topic_arn: str | None = None
    """SNS topic the unhealthy-hosts alarm notifies; the alarm only shows in the console unless set."""

    @property
    def nlb_name(self) -> str:
        return "%s-nlb" % self.name

    @property
    def target_group_name(self) -> str:
        return "%s-tg" % self.name

    @property
    def scheme(self) -> str:
        """The scheme a client uses: ``https`` through a TLS listener, ``http`` through TCP (the app speaks HTTP)."""
        return "https" if self.protocol == "TLS" else "http"

    def __post_init__(self) -> None:
        for value, limit in ((self.nlb_name, LIMITS["alb"]), (self.target_group_name, LIMITS["target_group"])):
            problem = length_problem(value, limit)
            if problem:
                raise ValueError("NetworkLoadBalancerProps.name=%r: the name %s" % (self.name, problem))
        if self.protocol not in PROTOCOLS:
            raise ValueError("NetworkLoadBalancerProps.protocol=%r; allowed: %s" % (self.protocol, ", ".join(PROTOCOLS)))
        for field, port in (("port", self.port), ("target_port", self.target_port)):
            if not 1 <= port <= 65535:
                raise ValueError("NetworkLoadBalancerProps.%s=%r; allowed: 1..65535" % (field, port))
        problem = nlb_listener_problem(self.protocol, self.certificate_arn, self.access_log_bucket)
        if problem:
            raise ValueError("NetworkLoadBalancerProps.%s" % problem)
        if not self.health_check_path.startswith("/"):
            raise ValueError(
                "NetworkLoadBalancerProps.health_check_path=%r; allowed: an absolute path such as '/health'"
                % self.health_check_path
            )
        if not self.ingress_cidrs:
            raise ValueError("NetworkLoadBalancerProps.ingress_cidrs=(); allowed: at least one IPv4 CIDR block")
        for i, cidr in enumerate(self.ingress_cidrs):
            try:
                ipaddress.IPv4Network(cidr, strict=True)
            except ValueError as exc:
                raise ValueError(
                    "NetworkLoadBalancerProps.ingress_cidrs[%d]=%r; allowed: an IPv4 CIDR block with its host bits"
                    " zero: %s" % (i, cidr, exc)
                ) from None
        if not 0 <= self.deregistration_delay_seconds <= 3600:
            raise ValueError(
                "NetworkLoadBalancerProps.deregistration_delay_seconds=%r; allowed: 0..3600"
                % self.deregistration_delay_seconds
            )
        if isinstance(self.public_subnet_ids, list) and len(self.public_subnet_ids) < 2:
            raise ValueError(
                "NetworkLoadBalancerProps.public_subnet_ids has %d subnet(s); allowed: at least 2 (two availability"
                " zones)" % len(self.public_subnet_ids)
            )


class NetworkLoadBalancer(Construct):
    """NLB + security group + target group + listener + unhealthy-hosts alarm (see module docstring).

    Gives a :class:`modules.service.Service` what it needs: ``security_group_id`` (the source its
    tasks admit), ``target_group_arn`` and ``listeners`` (the service waits for them).
    """

    nlb_arn: str
    nlb_arn_suffix: str
    dns_name: str
    security_group_id: str
    target_group_arn: str
    target_group_arn_suffix: str
    listeners: list[LbListener]
    service_url: str
    """``<scheme>://<NLB DNS name>:<port>``."""

    def __init__(self, scope: Construct, id_: str, *, props: NetworkLoadBalancerProps) -> None:
        super().__init__(scope, id_)
        sg_id = replaceable_security_group(
            self, "SecurityGroup", name=props.nlb_name, vpc_id=props.vpc_id,
            description="Internet-facing NLB: its listener port from the configured CIDRs",
        ).id  # fmt: skip
        for i, cidr in enumerate(props.ingress_cidrs):
            VpcSecurityGroupIngressRule(
                self,
                "Ingress%d-%d" % (props.port, i),
                security_group_id=sg_id,
                description="%s %d from %s" % (props.protocol, props.port, cidr),
                ip_protocol="tcp",
                from_port=props.port,
                to_port=props.port,
                cidr_ipv4=cidr,
            )
        nlb = Lb(
            self,
            "LoadBalancer",
            name=props.nlb_name,
            internal=False,
            load_balancer_type="network",
            security_groups=[sg_id],
            subnets=props.public_subnet_ids,
            enable_cross_zone_load_balancing=True,
            enforce_security_group_inbound_rules_on_private_link_traffic="on",
            enable_deletion_protection=props.deletion_protection,
            access_logs=(
                LbAccessLogs(bucket=props.access_log_bucket, enabled=True, prefix=props.nlb_name)
                if props.access_log_bucket is not None
                else None
            ),
            tags={"Name": props.nlb_name},
        )
        tg = LbTargetGroup(
            self,
            "TargetGroup",
            name=props.target_group_name,
            port=props.target_port,
            protocol="TCP",
            target_type="ip",
            vpc_id=props.vpc_id,
            deregistration_delay=str(props.deregistration_delay_seconds),
            connection_termination=True,
            health_check=LbTargetGroupHealthCheck(
                enabled=True,
                path=props.health_check_path,
                port="traffic-port",
                protocol="HTTP",
                matcher="200",
                interval=10,
                timeout=5,
                healthy_threshold=2,
                unhealthy_threshold=3,
            ),
            tags={"Name": props.target_group_name},
        )
        listener = LbListener(
            self,
            "Listener",
            load_balancer_arn=nlb.arn,
            port=props.port,
            protocol=props.protocol,
            ssl_policy=TLS_POLICY if props.protocol == "TLS" else None,
            certificate_arn=props.certificate_arn,
            default_action=[LbListenerDefaultAction(type="forward", target_group_arn=tg.arn)],
        )
        actions = [props.alarm_topic_arn] if props.alarm_topic_arn else None
        CloudwatchMetricAlarm(
            self,
            "UnhealthyHostsAlarm",
            alarm_name="%s-unhealthy-hosts" % props.nlb_name,
            alarm_description="At least one target of %s has been unhealthy for 2 minutes" % props.nlb_name,
            namespace="AWS/NetworkELB",
            metric_name="UnHealthyHostCount",
            dimensions={"LoadBalancer": nlb.arn_suffix, "TargetGroup": tg.arn_suffix},
            statistic="Maximum",
            period=60,
            comparison_operator="GreaterThanOrEqualToThreshold",
            threshold=1,
            evaluation_periods=2,
            treat_missing_data="notBreaching",
            alarm_actions=actions,
            ok_actions=actions,
        )
        self.nlb_arn = nlb.arn
        self.nlb_arn_suffix = nlb.arn_suffix
        self.dns_name = nlb.dns_name
        self.security_group_id = sg_id
        self.target_group_arn = tg.arn
        self.target_group_arn_suffix = tg.arn_suffix
        self.listeners = [listener]
        self.service_url = "%s://%s:%d" % (props.scheme, nlb.dns_name, props.port)
