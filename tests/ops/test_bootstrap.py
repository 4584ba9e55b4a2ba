"""ops.bootstrap against the project's emulator: the hosted zone prerequisite, idempotent; instant ACM
validation in the emulator; hosted zones are never leftovers of a destroy."""

from __future__ import annotations

import io
import json
import time
from collections.abc import Callable
from typing import Any

import pytest

from envconfig import load_environment
from envconfig.model import BackendConfig, LoadBalancerConfig


def _env(zone: str, *, emulator: bool = True, backend: str = "local", bucket: str | None = None) -> Any:
    local = load_environment("local")
    balancer = LoadBalancerConfig(domain_name="app.%s" % zone, hosted_zone_name=zone)
    return local.model_copy(update={
        "load_balancer": balancer, "emulator": emulator,
        "backend": BackendConfig(type=backend, bucket=bucket, noncurrent_version_days=30),
    })  # fmt: skip


@pytest.fixture
def emulator_port(patched: str, monkeypatch: pytest.MonkeyPatch) -> str:
    """Point ops.aws at the test emulator (it reads EMULATOR_PORT)."""
    monkeypatch.setenv("EMULATOR_PORT", patched.rsplit(":", 1)[1])
    return patched


def _public_zones(client_for: Callable[[str], Any], name: str) -> list[dict[str, Any]]:
    zones = client_for("route53").list_hosted_zones_by_name(DNSName=name + ".")["HostedZones"]
    return [z for z in zones if z["Name"] == name + "." and not z["Config"]["PrivateZone"]]


def test_creates_the_public_zone_once(emulator_port: str, client_for: Callable[[str], Any]) -> None:
    from ops import aws
    from ops.bootstrap import ZONE_COMMENT, ensure_prerequisites

    env = _env("boot-once.test")
    log = io.StringIO()
    first = ensure_prerequisites(env, aws.session(env), log=log)
    assert len(first) == 1 and first[0].startswith("prerequisites: created public hosted zone boot-once.test (")
    (zone,) = _public_zones(client_for, "boot-once.test")
    assert zone["Config"]["Comment"] == ZONE_COMMENT

    second = ensure_prerequisites(env, aws.session(env), log=log)
    assert second == ["prerequisites: public hosted zone boot-once.test exists (%s)" % zone["Id"]]
    assert len(_public_zones(client_for, "boot-once.test")) == 1
    assert log.getvalue().splitlines() == ["   " + line for line in first + second]


def test_a_private_zone_of_the_same_name_does_not_count(emulator_port: str, client_for: Callable[[str], Any]) -> None:
    from ops import aws
    from ops.bootstrap import ensure_prerequisites

    ec2, route53 = client_for("ec2"), client_for("route53")
    vpc = ec2.create_vpc(CidrBlock="10.77.0.0/16")["Vpc"]["VpcId"]
    route53.create_hosted_zone(
        Name="boot-private.test", CallerReference="private-%d" % time.time_ns(),
        HostedZoneConfig={"PrivateZone": True}, VPC={"VPCRegion": "us-east-1", "VPCId": vpc},
    )  # fmt: skip
    env = _env("boot-private.test")
    (line,) = ensure_prerequisites(env, aws.session(env), log=io.StringIO())
    assert line.startswith("prerequisites: created public hosted zone boot-private.test")
    assert len(_public_zones(client_for, "boot-private.test")) == 1


def test_a_real_account_with_local_state_is_left_alone() -> None:
    from ops.bootstrap import ensure_prerequisites

    class NoCalls:
        def client(self, *args: Any, **kwargs: Any) -> Any:
            raise AssertionError("ensure_prerequisites called AWS for a real account")

    env = _env("flask-app.example.com", emulator=False)
    assert ensure_prerequisites(env, NoCalls(), log=io.StringIO()) == []


def test_the_state_bucket_is_created_with_every_setting_once(emulator_port: str, client_for: Callable[[str], Any]) -> None:
    from ops import aws
    from ops.bootstrap import STATE_BUCKET_TAGS, ensure_state_bucket

    env = _env("boot-bucket.test", backend="s3", bucket="boot-state-once")
    log = io.StringIO()
    first = ensure_state_bucket(env, aws.session(env), mode="configure", log=log)
    assert first[0] == "created state bucket s3://boot-state-once in us-east-1 (account 123456789012)"
    s3 = client_for("s3")
    assert s3.get_bucket_versioning(Bucket="boot-state-once")["Status"] == "Enabled"
    (rule,) = s3.get_bucket_encryption(Bucket="boot-state-once")["ServerSideEncryptionConfiguration"]["Rules"]
    assert rule["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"] == "aws:kms" and rule["BucketKeyEnabled"]
    block = s3.get_public_access_block(Bucket="boot-state-once")["PublicAccessBlockConfiguration"]
    assert all(block[k] for k in ("BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets"))
    (lifecycle,) = s3.get_bucket_lifecycle_configuration(Bucket="boot-state-once")["Rules"]
    assert lifecycle["NoncurrentVersionExpiration"]["NoncurrentDays"] == 30
    assert lifecycle["AbortIncompleteMultipartUpload"]["DaysAfterInitiation"] == 7
    policy = json.loads(s3.get_bucket_policy(Bucket="boot-state-once")["Policy"])
    assert [st["Sid"] for st in policy["Statement"]] == ["DenyBucketDeletion"]  # the emulator: no TLS statement
    tags = {t["Key"]: t["Value"] for t in s3.get_bucket_tagging(Bucket="boot-state-once")["TagSet"]}
    assert tags == STATE_BUCKET_TAGS and "environment" not in tags
    ownership = s3.get_bucket_ownership_controls(Bucket="boot-state-once")["OwnershipControls"]["Rules"]
    assert ownership == [{"ObjectOwnership": "BucketOwnerEnforced"}]

    again = ensure_state_bucket(env, aws.session(env), mode="configure", log=log)
    assert again[0] == "state bucket s3://boot-state-once exists; bringing its settings up to date"
    assert again[1:] == first[1:]
    checked = ensure_state_bucket(env, aws.session(env), mode="create-missing", log=log)
    assert checked == ["state bucket: s3://boot-state-once (account 123456789012, us-east-1)"]
    assert s3.get_bucket_versioning(Bucket="boot-state-once")["Status"] == "Enabled"


def test_the_s3_access_log_bucket_is_created_with_every_setting_once(
    emulator_port: str, client_for: Callable[[str], Any]
) -> None:
    from ops import aws
    from ops.bootstrap import SERVER_ACCESS_LOG_BUCKET_TAGS, ensure_prerequisites, ensure_server_access_log_bucket

    env = _env("boot-logs.test", backend="s3", bucket="boot-state-logs")
    env = env.model_copy(update={"access_logs": env.access_logs.model_copy(update={
        "server_access_log_bucket": "boot-s3-logs", "retention_days": 400})})  # fmt: skip
    log = io.StringIO()
    first = ensure_prerequisites(env, aws.session(env), log=log)  # the emulator: created when missing
    assert "created S3 access-log bucket s3://boot-s3-logs in us-east-1 (account 123456789012)" in first
    s3 = client_for("s3")
    (rule,) = s3.get_bucket_encryption(Bucket="boot-s3-logs")["ServerSideEncryptionConfiguration"]["Rules"]
    assert rule["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"] == "AES256"
    block = s3.get_public_access_block(Bucket="boot-s3-logs")["PublicAccessBlockConfiguration"]
    assert all(block[k] for k in ("BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets"))
    (lifecycle,) = s3.get_bucket_lifecycle_configuration(Bucket="boot-s3-logs")["Rules"]
    assert lifecycle["Expiration"]["Days"] == 400  # the longer of a year and access_logs.retention_days
    (allow,) = json.loads(s3.get_bucket_policy(Bucket="boot-s3-logs")["Policy"])["Statement"]  # emulator: no TLS deny
    assert allow["Principal"] == {"Service": "logging.s3.amazonaws.com"} and allow["Action"] == "s3:PutObject"
    assert allow["Condition"] == {"StringEquals": {"aws:SourceAccount": "123456789012"}}
    tags = {t["Key"]: t["Value"] for t in s3.get_bucket_tagging(Bucket="boot-s3-logs")["TagSet"]}
    assert tags == SERVER_ACCESS_LOG_BUCKET_TAGS
    # S3 accepts it as a logging target (moto checks the policy as S3 does)
    s3.create_bucket(Bucket="boot-logged")
    s3.put_bucket_logging(Bucket="boot-logged", BucketLoggingStatus={
        "LoggingEnabled": {"TargetBucket": "boot-s3-logs", "TargetPrefix": "boot-logged/"}})  # fmt: skip
    again = ensure_server_access_log_bucket(env, aws.session(env), mode="create-missing", log=log)
    assert again == ["S3 access-log bucket: s3://boot-s3-logs (account 123456789012, us-east-1)"]
    configured = ensure_server_access_log_bucket(env, aws.session(env), mode="configure", log=log)
    assert configured[0] == "S3 access-log bucket s3://boot-s3-logs exists; bringing its settings up to date"


def test_a_missing_s3_access_log_bucket_names_the_bootstrap_command(emulator_port: str) -> None:
    from ops import aws
    from ops.bootstrap import BootstrapError, ensure_server_access_log_bucket

    env = _env("boot-logs-missing.test", backend="s3", bucket="boot-state-x")
    with pytest.raises(BootstrapError, match=r"the S3 access-log bucket s3-access-logs-123456789012-us-east-1 does not"
                       r" exist in account 123456789012 \(region us-east-1\); create it once per account and region"
                       r" with `make bootstrap ENV=local`"):  # fmt: skip
        ensure_server_access_log_bucket(env, aws.session(env), mode="check", log=io.StringIO())


def test_a_real_account_s3_access_log_bucket_is_tls_only() -> None:
    from ops.bootstrap import server_access_log_bucket_policy

    (allow, tls) = server_access_log_bucket_policy("b", "123456789012")["Statement"]
    assert allow["Resource"] == "arn:aws:s3:::b/*" and allow["Effect"] == "Allow"
    assert tls["Condition"] == {"Bool": {"aws:SecureTransport": "false"}} and tls["Effect"] == "Deny"


def test_a_real_account_gets_the_tls_only_policy() -> None:
    from ops.bootstrap import state_bucket_policy

    (tls, deletion) = state_bucket_policy("b")["Statement"]
    assert tls["Condition"] == {"Bool": {"aws:SecureTransport": "false"}} and tls["Effect"] == "Deny"
    assert tls["Resource"] == ["arn:aws:s3:::b", "arn:aws:s3:::b/*"]
    assert (deletion["Action"], deletion["Effect"], deletion["Principal"]) == ("s3:DeleteBucket", "Deny", "*")


def test_a_missing_state_bucket_names_the_bootstrap_command(emulator_port: str) -> None:
    from ops import aws
    from ops.bootstrap import BootstrapError, ensure_state_bucket

    env = _env("boot-missing.test", backend="s3", bucket="boot-state-missing")
    with pytest.raises(BootstrapError, match=r"the state bucket boot-state-missing does not exist in account 123456789012"
                       r" \(region us-east-1\); create it once per account and region with `make bootstrap ENV=local`"):
        ensure_state_bucket(env, aws.session(env), mode="check", log=io.StringIO())


def test_the_default_bucket_name_derives_from_account_and_region() -> None:
    env = load_environment("prod")
    assert env.state_bucket == "tfstate-%s-%s" % (env.account_id, env.region)


def test_the_emulator_issues_dns_validated_certificates_at_once(patched: str, client_for: Callable[[str], Any]) -> None:
    """ops.emulator sets MOTO_ACM_VALIDATION_WAIT=0 unless given (moto's own default is 60 s)."""
    acm = client_for("acm")
    arn = acm.request_certificate(DomainName="app.boot-acm.test", ValidationMethod="DNS")["CertificateArn"]
    time.sleep(0.05)
    cert = acm.describe_certificate(CertificateArn=arn)["Certificate"]
    assert cert["Status"] == "ISSUED"
    (option,) = cert["DomainValidationOptions"]
    assert option["ResourceRecord"]["Type"] == "CNAME" and option["ValidationStatus"] == "SUCCESS"


def test_hosted_zones_are_notes_not_leftovers(patched: str, client_for: Callable[[str], Any]) -> None:
    """A zone tagged like the environment (e.g. created by the team with the same tags) is account
    setup: the destroy's tag sweep lists it as a note and does not fail on it."""
    from ops.destroy import find_tagged

    zone_arn = "arn:aws:route53:::hostedzone/Z0123456789BOOTSTRAP"

    class Tagging:
        def get_paginator(self, name: str) -> Any:
            assert name == "get_resources"

            class Pages:
                def paginate(self, **kwargs: Any) -> list[dict[str, Any]]:
                    return [{"ResourceTagMappingList": [{"ResourceARN": zone_arn}]}]

            return Pages()

    def client(name: str) -> Any:
        return Tagging() if name == "resourcegroupstaggingapi" else client_for(name)

    found = find_tagged(client, {"project": "flask-app", "environment": "boot"}, "flask-app-boot")
    zone = [item for item in found if item.identifier == zone_arn]
    assert len(zone) == 1 and zone[0].note and "account prerequisite" in zone[0].source
    assert [item for item in found if not item.note] == []
