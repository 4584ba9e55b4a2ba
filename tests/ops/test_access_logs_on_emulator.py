"""The ALB access-log bucket on the emulator: apply (bucket, its settings and policy, its server access logs to an
account-level bucket, an ALB writing to it), a
second plan with no changes, a write over plain HTTP refused by the TLS-only policy, destroy.

Shows that Terraform, the provider and the project's emulator agree on every resource the
construct sends (moto is lenient: it accepts values AWS rejects, and it delivers no access logs).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import synth_construct
from tests.ops.conftest import applied_stack

BUCKET = "flask-app-local-alb-logs-123456789012"
TARGET = "s3-access-logs-test-target"


def _stack() -> dict[str, Any]:
    from cdktf_cdktf_provider_aws.subnet import Subnet
    from cdktf_cdktf_provider_aws.vpc import Vpc

    from modules.access_log_bucket import AccessLogBucket, AccessLogBucketProps
    from modules.load_balancer import LoadBalancer, LoadBalancerProps

    def build(scope: Any) -> None:
        vpc = Vpc(scope, "Vpc", cidr_block="10.91.0.0/16")
        subnets = [
            Subnet(scope, "Public%d" % i, vpc_id=vpc.id, cidr_block="10.91.%d.0/24" % i, availability_zone="us-east-1%s" % az)
            for i, az in enumerate("ab")
        ]  # fmt: skip
        logs = AccessLogBucket(scope, "AccessLogBucket", props=AccessLogBucketProps(
            bucket_name=BUCKET, region="us-east-1", account_id="123456789012", force_destroy=True,
            server_access_log_bucket=TARGET))  # fmt: skip
        LoadBalancer(scope, "LoadBalancer", props=LoadBalancerProps(
            name="flask-app-local", alb_name="flask-app-local-alb", vpc_id=vpc.id,
            public_subnet_ids=[s.id for s in subnets], access_logs_bucket=logs.delivery_bucket,
            access_logs_prefix=logs.prefix))  # fmt: skip

    return synth_construct(build)


@pytest.mark.terraform_apply
def test_the_access_log_bucket_and_its_alb_apply_plan_clean_and_destroy_on_the_emulator(
    terraform: str, patched: str, tmp_path: Path, client_for: Any
) -> None:
    from ops.bootstrap import server_access_log_bucket_policy

    s3, elbv2 = client_for("s3"), client_for("elbv2")
    # The account's S3 access-log bucket, as make bootstrap creates it (the emulator serves plain HTTP: no TLS deny).
    s3.create_bucket(Bucket=TARGET)
    s3.put_bucket_policy(Bucket=TARGET, Policy=json.dumps(server_access_log_bucket_policy(TARGET, "123456789012",
                                                                                          tls_only=False)))  # fmt: skip
    stack, _ = applied_stack(_stack(), "access-logs", patched, tmp_path, (
        "aws_s3_bucket.AccessLogBucket", "aws_s3_bucket_policy.AccessLogBucket_Policy",
        "aws_s3_bucket_lifecycle_configuration.AccessLogBucket_Lifecycle",
        "aws_s3_bucket_notification.AccessLogBucket_EventBridge",
        "aws_s3_bucket_logging.AccessLogBucket_ServerAccessLogs", "aws_lb.LoadBalancer_",
    ))  # fmt: skip
    assert s3.get_bucket_logging(Bucket=BUCKET)["LoggingEnabled"] == {
        "TargetBucket": TARGET,
        "TargetPrefix": BUCKET + "/",
    }
    policy = json.loads(s3.get_bucket_policy(Bucket=BUCKET)["Policy"])
    assert {st["Sid"] for st in policy["Statement"]} == {"AllowElbLogDelivery", "DenyInsecureTransport"}
    rule = s3.get_bucket_encryption(Bucket=BUCKET)["ServerSideEncryptionConfiguration"]["Rules"][0]
    assert rule["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"] == "AES256"
    (alb,) = elbv2.describe_load_balancers(Names=["flask-app-local-alb"])["LoadBalancers"]
    attributes = {a["Key"]: a["Value"] for a in
                  elbv2.describe_load_balancer_attributes(LoadBalancerArn=alb["LoadBalancerArn"])["Attributes"]}  # fmt: skip
    assert (attributes["access_logs.s3.enabled"], attributes["access_logs.s3.bucket"],
            attributes["access_logs.s3.prefix"]) == ("true", BUCKET, "alb")  # fmt: skip
    # The emulator answers over plain HTTP, and it evaluates the bucket policy: the TLS-only deny refuses a write.
    from botocore.exceptions import ClientError

    with pytest.raises(ClientError, match=r"PutObject operation: Forbidden"):
        s3.put_object(Bucket=BUCKET, Key="alb/AWSLogs/123456789012/elasticloadbalancing/x.log.gz", Body=b"log")
    stack.destroy({})
    assert stack.state_resources() == []
    assert BUCKET not in [b["Name"] for b in s3.list_buckets()["Buckets"]]
