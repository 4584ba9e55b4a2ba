"""VPC facts of the project: which interface endpoints a private task needs without NAT.

Example::

    from rules.network import INTERFACE_ENDPOINTS
    ["com.amazonaws.us-east-1." + s for s in INTERFACE_ENDPOINTS]

Read by the network construct (one interface endpoint per entry, plus the S3 gateway
endpoint) and by the cost estimate (one ENI per entry and AZ).
"""

from __future__ import annotations

#: Interface endpoints a Fargate task in a private subnet needs to pull from ECR and write
#: CloudWatch Logs without NAT (S3, for the image layers, is a gateway endpoint).
INTERFACE_ENDPOINTS: tuple[str, ...] = ("ecr.api", "ecr.dkr", "logs")
