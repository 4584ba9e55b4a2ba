"""Config of a workload's egress rules: ``[environments.<env>.service.egress.<name>]`` for the web service,
``[environments.<env>.workloads.<workload>.egress.<name>]`` for a further workload.

Example (``environments.toml``)::

    [environments.prod.service.egress.database]
    port = 5432                                   # or from_port = 8000 and to_port = 8100
    security_group_id = "sg-0123456789abcdef0"    # or cidr = "10.30.128.0/20", or prefix_list_id = "pl-..."
    description = "PostgreSQL (orders database)"

The checks are those of ``rules/egress.py``, which the task construct (``modules/egress.py``) runs too.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from rules.egress import (
    RULE_NAME,
    RULE_NAME_ALLOWED,
    description_problem,
    destination_problem,
    duplicate_problem,
    needs_open_reason,
    port_range_problem,
    rule_key,
)


class EgressRuleConfig(BaseModel):
    """One egress rule of a workload's task security group: a port or port range to one destination."""

    model_config = ConfigDict(frozen=True, extra="forbid", strict=False, validate_default=True)

    description: str = Field(description="What the tasks reach, e.g. 'PostgreSQL (orders database)'; required.")
    port: int | None = Field(None, description="One port; or from_port with to_port.")
    from_port: int | None = Field(None, description="First port of a range (with to_port).")
    to_port: int | None = Field(None, description="Last port of a range (with from_port).")
    protocol: Literal["tcp", "udp"] = Field("tcp", description="tcp unless set, or udp.")
    cidr: str | None = Field(None, description="Destination IPv4 or IPv6 CIDR block (one destination only).")
    prefix_list_id: str | None = Field(
        None, description="Destination managed prefix list, pl-... (one destination only)."
    )
    security_group_id: str | None = Field(
        None, description="Destination security group, sg-..., in this VPC or a peered one (one destination only)."
    )
    allow_open_reason: str | None = Field(
        None,
        description="Why a rule to 0.0.0.0/0 or ::/0 on anything but TCP 443 is needed; production refuses such a"
        " rule without it. Only for such a rule.",
    )

    @property
    def ports(self) -> tuple[int, int]:
        """``(from_port, to_port)``; a single ``port`` is both."""
        if self.port is not None:
            return self.port, self.port
        assert self.from_port is not None and self.to_port is not None  # checked by the validator
        return self.from_port, self.to_port

    @property
    def destination(self) -> str:
        return self.cidr or self.prefix_list_id or self.security_group_id or ""

    @property
    def needs_open_reason(self) -> bool:
        return needs_open_reason(self.protocol, *self.ports, self.cidr)

    @model_validator(mode="after")
    def _checks(self) -> EgressRuleConfig:
        ranged = (self.from_port, self.to_port)
        if (self.port is None) == (ranged == (None, None)) or (self.port is None and None in ranged):
            raise ValueError(
                "port=%r, from_port=%r, to_port=%r; allowed: port, or from_port with to_port"
                % (self.port, self.from_port, self.to_port)
            )
        problem = (
            port_range_problem(*self.ports)
            or description_problem(self.description)
            or destination_problem(
                cidr=self.cidr, prefix_list_id=self.prefix_list_id, security_group_id=self.security_group_id
            )
        )
        if problem:
            raise ValueError(problem)
        if self.allow_open_reason is not None and not self.needs_open_reason:
            raise ValueError(
                "allow_open_reason=%r, but the rule is not open to the whole internet on a port other than TCP 443;"
                " allowed: unset" % self.allow_open_reason
            )
        if self.allow_open_reason is not None and not self.allow_open_reason.strip():
            raise ValueError("allow_open_reason=%r; allowed: a written reason" % self.allow_open_reason)
        return self


def egress_table_problem(rules: Mapping[str, EgressRuleConfig]) -> str | None:
    """Why one workload's ``egress`` table is not valid as a whole (names, repeated rules), else None."""
    for name in rules:
        if not RULE_NAME.match(name):
            return "egress.%s: the name %r; allowed: %s" % (name, name, RULE_NAME_ALLOWED)
    problem = duplicate_problem({n: rule_key(r.protocol, *r.ports, r.destination) for n, r in rules.items()})
    return "egress.%s" % problem if problem else None


def open_egress_problem(tables: Iterable[tuple[str, Mapping[str, EgressRuleConfig]]]) -> str | None:
    """In production: the first rule open to the whole internet on anything but TCP 443 without a reason.

    ``tables`` are ``(where, egress table)``, e.g. ``("service.egress", ...)``.
    """
    for where, rules in tables:
        for name, rule in rules.items():
            if rule.needs_open_reason and rule.allow_open_reason is None:
                low, high = rule.ports
                ports = str(low) if low == high else "%d-%d" % (low, high)
                return (
                    "%s.%s: cidr=%r on %s %s in a production environment opens the tasks to the whole internet;"
                    " allowed: a narrower destination (the dependency's CIDR, prefix list or security group),"
                    ' tcp port 443, or allow_open_reason = "<why>"' % (where, name, rule.cidr, rule.protocol, ports)
                )
    return None
