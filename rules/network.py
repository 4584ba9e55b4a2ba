"""VPC facts of the project: which interface endpoints a private task needs without NAT.

Example::

    from rules.network import INTERFACE_ENDPOINTS
    ["com.amazonaws.us-east-1." + s for s in INTERFACE_ENDPOINTS]

Read by the network construct (one interface endpoint per entry, plus the S3 gateway
endpoint) and by the cost estimate (one ENI per entry and AZ). Tasks without a route out whose
secrets come from Secrets Manager or SSM also need those services' endpoints
(:func:`secret_endpoints`, read by the environment config, the stack and the cost estimate).
"""

from __future__ import annotations

#: Interface endpoints a Fargate task in a private subnet needs to pull from ECR and write
#: CloudWatch Logs without NAT (S3, for the image layers, is a gateway endpoint).
INTERFACE_ENDPOINTS: tuple[str, ...] = ("ecr.api", "ecr.dkr", "logs")

#: Interface endpoints for the services a task's secrets come from (``secrets`` ARNs), by the
#: ARN's service part: ECS reads the secrets before the container starts, over HTTPS.
SECRET_ENDPOINTS: dict[str, str] = {"secretsmanager": "secretsmanager", "ssm": "ssm"}


def secret_endpoints(secret_services: tuple[str, ...], *, tasks_have_route_out: bool) -> tuple[str, ...]:
    """The interface endpoints the tasks need for their secrets: none while they have a route out (NAT, or
    public subnets with public IPs reach the services' public endpoints), else one per service used."""
    if tasks_have_route_out:
        return ()
    return tuple(sorted(SECRET_ENDPOINTS[s] for s in set(secret_services)))
