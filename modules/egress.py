"""Egress rules of a task security group: how a task reaches a database or another dependency.

Smallest example::

    from modules.egress import EgressRule, add_egress_rules

    add_egress_rules(scope, security_group_id=task.task_security_group_id, rules=(
        EgressRule(name="database", description="PostgreSQL (orders)", from_port=5432,
                   security_group_id="sg-0123456789abcdef0"),
    ))

What it builds: one ``aws_vpc_security_group_egress_rule`` per :class:`EgressRule`, with the
construct id ``Egress-<name>`` (so a rule keeps its address when others are added or removed),
its description, protocol and port range, and exactly one destination: ``cidr_ipv4`` /
``cidr_ipv6`` for a CIDR block, ``prefix_list_id``, or ``referenced_security_group_id``.

A rule that opens the tasks to the whole internet (``0.0.0.0/0``, ``::/0``) on anything but TCP
443 is refused when ``open_egress_needs_reason`` is set (production) unless it carries an
``allow_open_reason``. :class:`modules.task.FargateTask` calls this for its ``egress_rules``; the
service depends on every rule, so the rules exist before tasks start.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence
from dataclasses import dataclass

from cdktf_cdktf_provider_aws.vpc_security_group_egress_rule import VpcSecurityGroupEgressRule
from constructs import Construct

from rules.egress import (
    PROTOCOLS,
    RULE_NAME,
    RULE_NAME_ALLOWED,
    description_problem,
    destination_problem,
    duplicate_problem,
    needs_open_reason,
    port_range_problem,
    rule_key,
)


@dataclass(frozen=True, kw_only=True)
class EgressRule:
    """One egress rule of the task security group."""

    name: str
    """Stable name (1-32 lowercase letters, digits, '-'): the construct id is ``Egress-<name>``."""
    description: str
    """Says what the tasks reach (EC2's rule description: up to 255 characters)."""
    from_port: int
    """First port (1..65535)."""
    to_port: int | None = None
    """Last port of a range; ``from_port`` (a single port) unless set."""
    protocol: str = "tcp"
    """``tcp`` unless set, or ``udp``."""
    cidr: str | None = None
    """Destination IPv4 or IPv6 CIDR block; one of ``cidr``, ``prefix_list_id``, ``security_group_id``."""
    prefix_list_id: str | None = None
    """Destination managed prefix list (``pl-...``)."""
    security_group_id: str | None = None
    """Destination security group (``sg-...``, in this VPC or a peered one)."""
    allow_open_reason: str | None = None
    """Why a rule open to the whole internet on a port other than TCP 443 is needed; such a rule is refused
    where ``open_egress_needs_reason`` is set unless given. Only for such a rule."""

    @property
    def last_port(self) -> int:
        return self.from_port if self.to_port is None else self.to_port

    @property
    def destination(self) -> str:
        return self.cidr or self.prefix_list_id or self.security_group_id or ""

    @property
    def key(self) -> tuple[str, int, int, str]:
        return rule_key(self.protocol, self.from_port, self.last_port, self.destination)

    @property
    def needs_open_reason(self) -> bool:
        return needs_open_reason(self.protocol, self.from_port, self.last_port, self.cidr)

    def __post_init__(self) -> None:
        where = "EgressRule(%s)" % self.name
        if not RULE_NAME.match(self.name):
            raise ValueError("EgressRule.name=%r; allowed: %s" % (self.name, RULE_NAME_ALLOWED))
        if self.protocol not in PROTOCOLS:
            raise ValueError("%s.protocol=%r; allowed: %s" % (where, self.protocol, ", ".join(PROTOCOLS)))
        problem = (
            port_range_problem(self.from_port, self.last_port)
            or description_problem(self.description)
            or destination_problem(
                cidr=self.cidr, prefix_list_id=self.prefix_list_id, security_group_id=self.security_group_id
            )
        )
        if problem:
            raise ValueError("%s: %s" % (where, problem))
        if self.allow_open_reason is not None and not self.needs_open_reason:
            raise ValueError(
                "%s.allow_open_reason=%r on a rule that is not open to the internet on a port other than TCP 443;"
                " allowed: unset" % (where, self.allow_open_reason)
            )
        if self.allow_open_reason is not None and not self.allow_open_reason.strip():
            raise ValueError("%s.allow_open_reason=%r; allowed: a written reason" % (where, self.allow_open_reason))


def egress_rules_problem(rules: Sequence[EgressRule], *, open_egress_needs_reason: bool) -> str | None:
    """Why ``rules`` cannot all be egress rules of one task security group, else None."""
    names = [r.name for r in rules]
    repeated = sorted({n for n in names if names.count(n) > 1})
    if repeated:
        return "egress_rules repeat the name %s; allowed: a name of its own for each rule" % ", ".join(
            map(repr, repeated)
        )
    problem = duplicate_problem({r.name: r.key for r in rules})
    if problem:
        return "egress_rules: %s" % problem
    if open_egress_needs_reason:
        for r in rules:
            if r.needs_open_reason and r.allow_open_reason is None:
                return (
                    "egress_rules[%s]: %s %s to %s is open to the whole internet in a production environment;"
                    " allowed: a narrower destination (the dependency's CIDR, prefix list or security group), TCP 443,"
                    " or allow_open_reason with a written reason" % (r.name, r.protocol, _ports(r), r.cidr)
                )
    return None


def _ports(rule: EgressRule) -> str:
    return str(rule.from_port) if rule.last_port == rule.from_port else "%d-%d" % (rule.from_port, rule.last_port)


def add_egress_rules(
    scope: Construct, *, security_group_id: str, rules: Sequence[EgressRule], open_egress_needs_reason: bool = False
) -> list[VpcSecurityGroupEgressRule]:
    """One ``aws_vpc_security_group_egress_rule`` per rule, in ``scope`` (ids ``Egress-<name>``)."""
    problem = egress_rules_problem(rules, open_egress_needs_reason=open_egress_needs_reason)
    if problem:
        raise ValueError(problem)
    out = []
    for r in rules:
        ipv6 = r.cidr is not None and ipaddress.ip_network(r.cidr).version == 6
        out.append(
            VpcSecurityGroupEgressRule(
                scope,
                "Egress-%s" % r.name,
                security_group_id=security_group_id,
                description=r.description,
                ip_protocol=r.protocol,
                from_port=r.from_port,
                to_port=r.last_port,
                cidr_ipv4=r.cidr if r.cidr is not None and not ipv6 else None,
                cidr_ipv6=r.cidr if ipv6 else None,
                prefix_list_id=r.prefix_list_id,
                referenced_security_group_id=r.security_group_id,
            )
        )
    return out
