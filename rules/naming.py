"""Physical names for AWS resources: one helper, ``{app}-{env}-{component}``, checked against limits.

Example::

    from rules.naming import LIMITS, physical_name
    physical_name("flask-app", "prod", "alb", limit=LIMITS["alb"])   # "flask-app-prod-alb"

Construct IDs (logical names) are fixed literals in each construct; only physical names
are derived here.
"""

from __future__ import annotations

import re

# AWS name length limits used in this project (elbv2 CreateLoadBalancer / CreateTargetGroup,
# ECR CreateRepository, ECS CreateCluster / CreateService, IAM CreateRole, CloudWatch Logs
# CreateLogGroup, EC2 CreateSecurityGroup).
LIMITS: dict[str, int] = {
    "alb": 32,  # elbv2 load balancer name
    "target_group": 32,  # elbv2 target group name
    "ecr_repository": 256,
    "ecs_cluster": 255,
    "ecs_service": 255,
    "iam_role": 64,
    "log_group": 512,
    "security_group": 255,
}

_LABEL = re.compile(r"^[a-z][a-z0-9-]*[a-z0-9]$")


def length_problem(name: str, limit: int) -> str | None:
    """``'<name>' is N characters; allowed: at most <limit>`` when ``name`` is too long, else None."""
    if len(name) > limit:
        return "%r is %d characters; allowed: at most %d" % (name, len(name), limit)
    return None


def physical_name(app: str, env: str, component: str = "", *, limit: int | None = None) -> str:
    """Join ``app``, ``env`` and ``component`` with ``-`` and check the result's length.

    Raises ValueError naming the value and the limit when the name is too long.
    """
    name = "-".join(part for part in (app, env, component) if part)
    if not _LABEL.match(name):
        raise ValueError("name %r must be lowercase letters, digits and '-', starting with a letter" % name)
    problem = length_problem(name, limit) if limit is not None else None
    if problem:
        raise ValueError("name %s" % problem)
    return name
