"""AccessLogBucket: an S3 bucket that Elastic Load Balancing writes a load balancer's access logs to.

Smallest example::

    from modules.access_log_bucket import AccessLogBucket, AccessLogBucketProps

    logs = AccessLogBucket(stack, "AccessLogBucket", props=AccessLogBucketProps(
        bucket_name="flask-app-prod-alb-logs-777788889999", region="ap-southeast-1",
        account_id="777788889999"))
    LbAccessLogs(bucket=logs.delivery_bucket, prefix=logs.prefix, enabled=True)

What it builds (Elastic Load Balancing, "Enable access logs for your Application Load Balancer",
https://docs.aws.amazon.com/elasticloadbalancing/latest/application/enable-access-logging.html):

* the bucket ``bucket_name`` in the load balancer's region (the provider's), ``force_destroy`` from the
  props (off unless set: a bucket that still holds logs is then not deleted);
* default encryption SSE-S3 (``AES256``): the only server-side encryption ALB access logs support
  (the page above, "Step 1"), so no KMS key;
* all public access blocked; object ownership ``BucketOwnerEnforced`` (ACLs off, the account owns
  every log object);
* versioning, and a lifecycle rule over the whole bucket: current objects expire after
  ``retention_days``, noncurrent versions ``noncurrent_version_days`` after they became noncurrent,
  incomplete multipart uploads are aborted after ``abort_incomplete_multipart_days``;
* event notifications to Amazon EventBridge (every object written is an event a rule can match; no
  rule is created here, and sending them costs nothing);
* S3 server access logs of the bucket (who read or deleted which log file) to
  ``server_access_log_bucket`` under ``<bucket_name>/`` when it is set: an existing bucket of the
  account, such as the one ``make bootstrap`` creates (``ops/bootstrap.py``). It lives outside the
  stack because S3 delivers server access logs only to an SSE-S3 bucket of the same region, which
  should not log itself (Amazon S3 User Guide, "Logging requests with server access logging");
* the bucket policy: ``s3:PutObject`` on ``<prefix>/AWSLogs/<account_id>/*`` for the region's
  log-delivery principal (``rules.elb_logs.log_delivery_principal``: the region's Elastic Load
  Balancing account before August 2022, the service ``logdelivery.elasticloadbalancing.amazonaws.com``
  after), and a deny of every request not made over TLS (``aws:SecureTransport``). It is put after the
  public access block, ownership and encryption settings.

``delivery_bucket`` is the bucket's name read from the bucket policy: a load balancer given it as its
``access_logs.bucket`` depends on the policy, so it is created only once Elastic Load Balancing may
write (the load balancer's creation fails otherwise).
"""

from __future__ import annotations

from dataclasses import dataclass

from cdktf_cdktf_provider_aws.data_aws_iam_policy_document import (
    DataAwsIamPolicyDocument,
    DataAwsIamPolicyDocumentStatement,
    DataAwsIamPolicyDocumentStatementCondition,
    DataAwsIamPolicyDocumentStatementPrincipals,
)
from cdktf_cdktf_provider_aws.s3_bucket import S3Bucket
from cdktf_cdktf_provider_aws.s3_bucket_lifecycle_configuration import (
    S3BucketLifecycleConfiguration,
    S3BucketLifecycleConfigurationRule,
    S3BucketLifecycleConfigurationRuleAbortIncompleteMultipartUpload,
    S3BucketLifecycleConfigurationRuleExpiration,
    S3BucketLifecycleConfigurationRuleFilter,
    S3BucketLifecycleConfigurationRuleNoncurrentVersionExpiration,
)
from cdktf_cdktf_provider_aws.s3_bucket_logging import S3BucketLoggingA
from cdktf_cdktf_provider_aws.s3_bucket_notification import S3BucketNotification
from cdktf_cdktf_provider_aws.s3_bucket_ownership_controls import (
    S3BucketOwnershipControls,
    S3BucketOwnershipControlsRule,
)
from cdktf_cdktf_provider_aws.s3_bucket_policy import S3BucketPolicy
from cdktf_cdktf_provider_aws.s3_bucket_public_access_block import S3BucketPublicAccessBlock
from cdktf_cdktf_provider_aws.s3_bucket_server_side_encryption_configuration import (
    S3BucketServerSideEncryptionConfigurationA,
    S3BucketServerSideEncryptionConfigurationRuleA,
    S3BucketServerSideEncryptionConfigurationRuleApplyServerSideEncryptionByDefaultA,
)
from cdktf_cdktf_provider_aws.s3_bucket_versioning import S3BucketVersioningA, S3BucketVersioningVersioningConfiguration
from constructs import Construct

from rules.elb_logs import (
    BUCKET_ENCRYPTION,
    log_delivery_principal,
    log_object_arn_pattern,
    prefix_problem,
    region_problem,
)
from rules.s3 import bucket_name_problem

#: Bounds of the lifecycle settings, in days (S3 takes any positive number; these keep a typo visible).
RETENTION_DAYS = (1, 3650)
NONCURRENT_VERSION_DAYS = (1, 365)
ABORT_INCOMPLETE_MULTIPART_DAYS = (1, 30)


@dataclass(frozen=True, kw_only=True)
class AccessLogBucketProps:
    """Inputs of :class:`AccessLogBucket`."""

    bucket_name: str
    """Name of the bucket; globally unique, so include the account id (e.g. ``{app}-{env}-alb-logs-{account}``)."""
    region: str
    """Region of the bucket and the load balancer (the stack's provider region); picks the log-delivery
    principal, and must be one ``rules.elb_logs`` knows."""
    account_id: str
    """Account of the load balancer: ELB writes under ``<prefix>/AWSLogs/<account_id>/``."""
    prefix: str = "alb"
    """Key prefix the load balancer writes under; ``alb`` unless set. Must not contain ``AWSLogs``."""
    retention_days: int = 90
    """Days a log object is kept; 90 unless set (1..3650)."""
    noncurrent_version_days: int = 7
    """Days a replaced or deleted log object's old version is kept; 7 unless set (1..365)."""
    abort_incomplete_multipart_days: int = 1
    """Days after which an unfinished multipart upload is aborted; 1 unless set (1..30)."""
    server_access_log_bucket: str | None = None
    """Existing bucket (same account and region, SSE-S3, writable by ``logging.s3.amazonaws.com``) that receives
    this bucket's S3 server access logs, under ``<bucket_name>/``; no server access logs unless set."""
    force_destroy: bool = False
    """Let ``terraform destroy`` delete the bucket with its log objects; off unless set (the destroy then
    fails while the bucket holds logs)."""

    def __post_init__(self) -> None:
        problem = bucket_name_problem(self.bucket_name)
        if problem:
            raise ValueError("AccessLogBucketProps.bucket_name: %s" % problem)
        problem = region_problem(self.region)
        if problem:
            raise ValueError("AccessLogBucketProps.region: %s" % problem)
        if self.server_access_log_bucket is not None:
            problem = bucket_name_problem(self.server_access_log_bucket)
            if self.server_access_log_bucket == self.bucket_name:
                problem = "the bucket itself; allowed: another bucket (S3 logging into the logged bucket loops)"
            if problem:
                raise ValueError("AccessLogBucketProps.server_access_log_bucket=%r: %s"
                                 % (self.server_access_log_bucket, problem))  # fmt: skip
        if not (len(self.account_id) == 12 and self.account_id.isdigit()):
            raise ValueError("AccessLogBucketProps.account_id=%r; allowed: 12 digits" % self.account_id)
        problem = prefix_problem(self.prefix)
        if problem:
            raise ValueError("AccessLogBucketProps.%s" % problem)
        for field, (low, high) in (
            ("retention_days", RETENTION_DAYS),
            ("noncurrent_version_days", NONCURRENT_VERSION_DAYS),
            ("abort_incomplete_multipart_days", ABORT_INCOMPLETE_MULTIPART_DAYS),
        ):
            value = getattr(self, field)
            if not low <= value <= high:
                raise ValueError("AccessLogBucketProps.%s=%r; allowed: %d..%d" % (field, value, low, high))


class AccessLogBucket(Construct):
    """The access-log bucket, its settings and its ELB log-delivery policy (see the module docstring)."""

    bucket_name: str
    bucket_arn: str
    delivery_bucket: str
    """The bucket name as the bucket policy holds it: a reference that makes its user wait for the policy."""
    prefix: str
    policy: S3BucketPolicy

    def __init__(self, scope: Construct, id_: str, *, props: AccessLogBucketProps) -> None:
        super().__init__(scope, id_)
        bucket = S3Bucket(self, "Bucket", bucket=props.bucket_name, force_destroy=props.force_destroy)
        public_access = S3BucketPublicAccessBlock(
            self, "PublicAccessBlock", bucket=bucket.id, block_public_acls=True, block_public_policy=True,
            ignore_public_acls=True, restrict_public_buckets=True,
        )  # fmt: skip
        ownership = S3BucketOwnershipControls(
            self,
            "Ownership",
            bucket=bucket.id,
            rule=S3BucketOwnershipControlsRule(object_ownership="BucketOwnerEnforced"),
        )
        encryption = S3BucketServerSideEncryptionConfigurationA(
            self,
            "Encryption",
            bucket=bucket.id,
            rule=[
                S3BucketServerSideEncryptionConfigurationRuleA(
                    apply_server_side_encryption_by_default=S3BucketServerSideEncryptionConfigurationRuleApplyServerSideEncryptionByDefaultA(
                        sse_algorithm=BUCKET_ENCRYPTION
                    )
                )
            ],
        )
        versioning = S3BucketVersioningA(
            self, "Versioning", bucket=bucket.id,
            versioning_configuration=S3BucketVersioningVersioningConfiguration(status="Enabled"),
        )  # fmt: skip
        S3BucketLifecycleConfiguration(
            self,
            "Lifecycle",
            bucket=bucket.id,
            rule=[
                S3BucketLifecycleConfigurationRule(
                    id="expire-access-logs",
                    status="Enabled",
                    filter=[S3BucketLifecycleConfigurationRuleFilter(prefix="")],
                    expiration=[S3BucketLifecycleConfigurationRuleExpiration(days=props.retention_days)],
                    noncurrent_version_expiration=[
                        S3BucketLifecycleConfigurationRuleNoncurrentVersionExpiration(
                            noncurrent_days=props.noncurrent_version_days
                        )
                    ],
                    abort_incomplete_multipart_upload=[
                        S3BucketLifecycleConfigurationRuleAbortIncompleteMultipartUpload(
                            days_after_initiation=props.abort_incomplete_multipart_days
                        )
                    ],
                )
            ],
            # Noncurrent-version rules act on a versioned bucket (the provider's documented pairing).
            depends_on=[versioning],
        )
        S3BucketNotification(self, "EventBridge", bucket=bucket.id, eventbridge=True)
        if props.server_access_log_bucket is not None:
            S3BucketLoggingA(
                self, "ServerAccessLogs", bucket=bucket.id, target_bucket=props.server_access_log_bucket,
                target_prefix="%s/" % props.bucket_name,
            )  # fmt: skip

        principal_type, principal = log_delivery_principal(props.region)
        document = DataAwsIamPolicyDocument(
            self,
            "PolicyDocument",
            statement=[
                DataAwsIamPolicyDocumentStatement(
                    sid="AllowElbLogDelivery",
                    effect="Allow",
                    principals=[
                        DataAwsIamPolicyDocumentStatementPrincipals(type=principal_type, identifiers=[principal])
                    ],
                    actions=["s3:PutObject"],
                    resources=[log_object_arn_pattern(bucket.arn, props.prefix, props.account_id)],
                ),
                DataAwsIamPolicyDocumentStatement(
                    sid="DenyInsecureTransport",
                    effect="Deny",
                    principals=[DataAwsIamPolicyDocumentStatementPrincipals(type="AWS", identifiers=["*"])],
                    actions=["s3:*"],
                    resources=[bucket.arn, "%s/*" % bucket.arn],
                    condition=[
                        DataAwsIamPolicyDocumentStatementCondition(
                            test="Bool", variable="aws:SecureTransport", values=["false"]
                        )
                    ],
                ),
            ],
        )
        # After the other bucket settings: S3 refuses concurrent changes of one bucket's configuration,
        # and the load balancer (through delivery_bucket) must find the bucket complete.
        self.policy = S3BucketPolicy(
            self, "Policy", bucket=bucket.id, policy=document.json,
            depends_on=[public_access, ownership, encryption, versioning],
        )  # fmt: skip
        self.bucket_name = bucket.bucket
        self.bucket_arn = bucket.arn
        self.delivery_bucket = self.policy.bucket
        self.prefix = props.prefix
