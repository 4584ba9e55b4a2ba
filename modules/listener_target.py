"""ListenerTarget: a target group on a load balancer, the default one or reached through listener rules.

Smallest example::

    from modules.listener_target import ListenerTarget, TargetProps

    target = ListenerTarget(lb, load_balancer=lb, props=TargetProps(
        target_group_name="flask-app-dev-tg", port=3000, health_check_path="/health"))
    target.target_group_arn, target.target_group_arn_suffix

What it builds (as aws-cdk's ``listener.addTargets``):

* a target group of type ``ip`` on ``port``, health-checked on ``health_check_path`` (interval,
  timeout and thresholds from the props) with the given deregistration delay (30 s unless set,
  instead of AWS's 300 s);
* without ``hosts`` and ``paths``: nothing else; the load balancer's forwarding listeners make it
  their default action (:meth:`modules.load_balancer.LoadBalancer.forward_by_default`);
* with ``hosts`` and/or ``paths``: one listener rule per forwarding listener (``Rule80``,
  ``Rule443``) at ``priority``, forwarding requests whose Host header matches one of ``hosts``
  and whose path matches one of ``paths`` (a missing list matches everything).

Construct IDs are a contract, so ``ListenerTarget`` is not a scope of its own: it creates its
resources directly in ``scope`` (``TargetGroup``, ``Rule<port>``). The default target of the load
balancer that a :class:`modules.web_service.WebService` creates lives in that load balancer's scope.
"""

from __future__ import annotations

from dataclasses import dataclass

from cdktf_cdktf_provider_aws.lb_listener_rule import (
    LbListenerRule,
    LbListenerRuleAction,
    LbListenerRuleCondition,
    LbListenerRuleConditionHostHeader,
    LbListenerRuleConditionPathPattern,
)
from cdktf_cdktf_provider_aws.lb_target_group import LbTargetGroup, LbTargetGroupHealthCheck
from constructs import Construct

from modules.interfaces import ILoadBalancer
from rules.naming import LIMITS, length_problem
from rules.routing import routing_problem


@dataclass(frozen=True, kw_only=True)
class TargetOptions:
    """A target's settings that have a default: routing, draining and health-check tuning."""

    hosts: tuple[str, ...] = ()
    """Host-header patterns this target answers (``api.example.com``, ``*.example.com``); any host unless set."""
    paths: tuple[str, ...] = ()
    """Path patterns this target answers (``/api/*``); any path unless set. With neither ``hosts`` nor
    ``paths`` the target is the listeners' default action."""
    priority: int | None = None
    """Listener-rule priority (1..50000, lower wins), unique on the load balancer; needed with hosts/paths."""
    deregistration_delay_seconds: int = 30
    """Draining time of a deregistered target; 30 s unless set (AWS's default is 300 s)."""
    health_check_interval_seconds: int = 10
    """Target health-check interval; 10 s unless set."""
    health_check_timeout_seconds: int = 5
    """Target health-check timeout; 5 s unless set."""
    healthy_threshold_count: int = 2
    """Successes before a target is healthy; 2 unless set."""
    unhealthy_threshold_count: int = 3
    """Failures before a target is unhealthy; 3 unless set."""

    @property
    def routed(self) -> bool:
        """True when the target is reached through listener rules, False when it is the default action."""
        return bool(self.hosts or self.paths)


@dataclass(frozen=True, kw_only=True)
class TargetProps(TargetOptions):
    """Inputs of :class:`ListenerTarget`: the target group's name, port and health path, plus :class:`TargetOptions`."""

    target_group_name: str
    """Target group name; at most 32 characters (AWS limit), checked here."""
    port: int
    """Port the targets (task ENIs) listen on; also the health-check port."""
    health_check_path: str
    """Path the target group health check requests; must answer 200."""

    def __post_init__(self) -> None:
        problem = length_problem(self.target_group_name, LIMITS["target_group"])
        if problem:
            raise ValueError("TargetProps.target_group_name=%s" % problem)
        if not 1 <= self.port <= 65535:
            raise ValueError("TargetProps.port=%r; allowed: 1..65535" % self.port)
        if not self.health_check_path.startswith("/"):
            raise ValueError(
                "TargetProps.health_check_path=%r; allowed: an absolute path such as '/health'" % self.health_check_path
            )
        problem = routing_problem(hosts=self.hosts, paths=self.paths, priority=self.priority)
        if problem:
            raise ValueError("TargetProps.%s" % problem)


def http_target_group(
    scope: Construct, id_: str, *, name: str, port: int, vpc_id: str, health_check_path: str, options: TargetOptions
) -> LbTargetGroup:
    """An ``ip`` target group speaking HTTP to ``port``, health-checked on ``health_check_path`` (200 only) with
    ``options``' interval, timeout, thresholds and deregistration delay; tagged ``Name``."""
    return LbTargetGroup(
        scope,
        id_,
        name=name,
        port=port,
        protocol="HTTP",
        target_type="ip",
        vpc_id=vpc_id,
        deregistration_delay=str(options.deregistration_delay_seconds),
        health_check=LbTargetGroupHealthCheck(
            enabled=True,
            path=health_check_path,
            port="traffic-port",
            protocol="HTTP",
            matcher="200",
            interval=options.health_check_interval_seconds,
            timeout=options.health_check_timeout_seconds,
            healthy_threshold=options.healthy_threshold_count,
            unhealthy_threshold=options.unhealthy_threshold_count,
        ),
        tags={"Name": name},
    )


class ListenerTarget:
    """Target group, plus listener rules when routed (see module docstring). Not a construct scope of its own."""

    target_group_arn: str
    target_group_arn_suffix: str
    rules: list[LbListenerRule]

    def __init__(self, scope: Construct, *, load_balancer: ILoadBalancer, props: TargetProps) -> None:
        tg = http_target_group(
            scope, "TargetGroup", name=props.target_group_name, port=props.port, vpc_id=load_balancer.vpc_id,
            health_check_path=props.health_check_path, options=props,
        )  # fmt: skip
        self.target_group_arn = tg.arn
        self.target_group_arn_suffix = tg.arn_suffix
        self.rules = []
        if not props.routed:
            load_balancer.forward_by_default(self.target_group_arn)
            return
        conditions = []
        if props.hosts:
            conditions.append(
                LbListenerRuleCondition(host_header=LbListenerRuleConditionHostHeader(values=list(props.hosts)))
            )
        if props.paths:
            conditions.append(
                LbListenerRuleCondition(path_pattern=LbListenerRuleConditionPathPattern(values=list(props.paths)))
            )
        for listener in load_balancer.forwarding_refs:
            self.rules.append(
                LbListenerRule(
                    scope,
                    "Rule%d" % listener.port,
                    listener_arn=listener.arn,
                    priority=props.priority,
                    condition=conditions,
                    action=[LbListenerRuleAction(type="forward", target_group_arn=self.target_group_arn)],
                )
            )
