"""Who delivers Elastic Load Balancing access logs to S3 in each region, and the rules for the log prefix.

Example::

    from rules.elb_logs import log_delivery_principal, prefix_problem
    log_delivery_principal("us-east-1")       # ("AWS", "arn:aws:iam::127311923021:root")
    log_delivery_principal("ap-southeast-4")  # ("Service", "logdelivery.elasticloadbalancing.amazonaws.com")
    prefix_problem("AWSLogs/alb")              # "prefix='AWSLogs/alb' is not valid; allowed: ..."

Source: Elastic Load Balancing, "Enable access logs for your Application Load Balancer"
(https://docs.aws.amazon.com/elasticloadbalancing/latest/application/enable-access-logging.html),
"Step 2: Attach a policy to your S3 bucket": in Regions available before August 2022 the bucket
policy grants ``s3:PutObject`` to the Elastic Load Balancing account of the Region
(:data:`ELB_ACCOUNT_BY_REGION`, the same table as the AWS provider's ``aws_elb_service_account``);
in Regions available as of August 2022 or later it grants it to the service principal
:data:`LOG_DELIVERY_SERVICE` (:data:`SERVICE_PRINCIPAL_REGIONS`). A region in neither list is refused:
its principal is not known here, and a wrong one makes the load balancer's creation fail.

The same page, "Step 1": the bucket must be in the load balancer's Region, and "the only server-side
encryption option that's supported is Amazon S3-managed keys (SSE-S3)" (:data:`BUCKET_ENCRYPTION`).
The prefix must not include ``AWSLogs``: ELB appends ``AWSLogs/<account-id>/...`` to it.
"""

from __future__ import annotations

import re

#: The Elastic Load Balancing account that writes access logs, per Region available before August 2022.
ELB_ACCOUNT_BY_REGION: dict[str, str] = {
    "us-east-1": "127311923021",
    "us-east-2": "033677994240",
    "us-west-1": "027434742980",
    "us-west-2": "797873946194",
    "af-south-1": "098369216593",
    "ap-east-1": "754344448648",
    "ap-southeast-3": "589379963580",
    "ap-south-1": "718504428378",
    "ap-northeast-3": "383597477331",
    "ap-northeast-2": "600734575887",
    "ap-southeast-1": "114774131450",
    "ap-southeast-2": "783225319266",
    "ap-northeast-1": "582318560864",
    "ca-central-1": "985666609251",
    "eu-central-1": "054676820928",
    "eu-west-1": "156460612806",
    "eu-west-2": "652711504416",
    "eu-south-1": "635631232127",
    "eu-west-3": "009996457667",
    "eu-north-1": "897822967062",
    "me-south-1": "076674570225",
    "sa-east-1": "507241528517",
    "us-gov-west-1": "048591011584",
    "us-gov-east-1": "190560391635",
    "cn-north-1": "638102146993",
    "cn-northwest-1": "037604701340",
}

#: The service principal that writes access logs in Regions available as of August 2022 or later.
LOG_DELIVERY_SERVICE = "logdelivery.elasticloadbalancing.amazonaws.com"

#: Regions available as of August 2022 or later, whose bucket policy names :data:`LOG_DELIVERY_SERVICE`.
SERVICE_PRINCIPAL_REGIONS: tuple[str, ...] = (
    "ap-south-2",
    "ap-southeast-4",
    "ap-southeast-5",
    "ap-southeast-7",
    "ca-west-1",
    "eu-central-2",
    "eu-south-2",
    "il-central-1",
    "me-central-1",
    "mx-central-1",
)

#: The only default encryption an ALB access-log bucket supports (SSE-S3).
BUCKET_ENCRYPTION = "AES256"

#: Characters of a prefix: S3's safe key characters (User Guide, "Naming Amazon S3 objects").
_PREFIX = re.compile(r"^[A-Za-z0-9!_.*'()/-]+$")
PREFIX_MAX = 200
PREFIX_ALLOWED = (
    "1..%d of letters, digits and ! _ . * ' ( ) - /, not starting or ending with '/', no '//', not containing"
    " 'AWSLogs'" % PREFIX_MAX
)


def partition(region: str) -> str:
    """The ARN partition of ``region``: ``aws-cn``, ``aws-us-gov`` or ``aws``."""
    if region.startswith("cn-"):
        return "aws-cn"
    if region.startswith("us-gov-"):
        return "aws-us-gov"
    return "aws"


def regions() -> list[str]:
    """Every region whose log-delivery principal is known, sorted."""
    return sorted([*ELB_ACCOUNT_BY_REGION, *SERVICE_PRINCIPAL_REGIONS])


def region_problem(region: str) -> str | None:
    """Why ELB access logs cannot be set up for ``region`` here, or None."""
    if region in ELB_ACCOUNT_BY_REGION or region in SERVICE_PRINCIPAL_REGIONS:
        return None
    return "region %r has no known Elastic Load Balancing log-delivery principal; allowed: %s" % (
        region,
        ", ".join(regions()),
    )


def log_delivery_principal(region: str) -> tuple[str, str]:
    """(principal type, identifier) that writes ELB access logs in ``region``; ValueError for an unknown region."""
    problem = region_problem(region)
    if problem:
        raise ValueError(problem)
    account = ELB_ACCOUNT_BY_REGION.get(region)
    if account is not None:
        return "AWS", "arn:%s:iam::%s:root" % (partition(region), account)
    return "Service", LOG_DELIVERY_SERVICE


def prefix_problem(prefix: str) -> str | None:
    """Why ``prefix`` cannot be an access-log prefix, or None."""
    if (
        not 1 <= len(prefix) <= PREFIX_MAX
        or not _PREFIX.match(prefix)
        or prefix.startswith("/")
        or prefix.endswith("/")
        or "//" in prefix
        or "AWSLogs" in prefix
    ):
        return "prefix=%r is not valid; allowed: %s" % (prefix, PREFIX_ALLOWED)
    return None


def log_object_arn_pattern(bucket_arn: str, prefix: str, account_id: str) -> str:
    """The objects ELB writes: ``<bucket ARN>/<prefix>/AWSLogs/<account-id>/*``."""
    return "%s/%s/AWSLogs/%s/*" % (bucket_arn, prefix, account_id)
