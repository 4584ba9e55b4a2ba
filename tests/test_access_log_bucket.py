"""AccessLogBucket: the ALB access-log bucket (encryption, public access, ownership, versioning, lifecycle,
events, the ELB log-delivery and TLS-only policy), its validation, the ALB wired to it through the policy,
the config table and the shipped environments, and validity through the real Terraform provider schema.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from envconfig import ConfigError, load_environments
from envconfig.model import EnvironmentConfig
from rules.elb_logs import (
    ELB_ACCOUNT_BY_REGION,
    LOG_DELIVERY_SERVICE,
    SERVICE_PRINCIPAL_REGIONS,
    log_delivery_principal,
)
from tests.conftest import synth_construct
from tests.construct_validate import assert_valid
from tests.service_stack import by_id, policy_statements

ACCOUNT = "777788889999"
NAME = "flask-app-prod-alb-logs-777788889999"
FULL = dict(
    server_access_log_bucket="s3-access-logs-111122223333-us-east-1",prefix="edge/alb", retention_days=365, noncurrent_version_days=30, abort_incomplete_multipart_days=3,
            force_destroy=True)  # fmt: skip


def _props(**overrides: Any) -> Any:
    from modules.access_log_bucket import AccessLogBucketProps

    kwargs: dict[str, Any] = dict(bucket_name=NAME, region="us-east-1", account_id=ACCOUNT)
    kwargs.update(overrides)
    return AccessLogBucketProps(**kwargs)


@pytest.fixture(scope="module")
def stack() -> dict[str, Any]:
    """One stack: ``AccessLogBucket`` with defaults only (us-east-1) and ``FullLogBucket`` with every option."""
    from modules.access_log_bucket import AccessLogBucket

    def build(scope: Any) -> None:
        AccessLogBucket(scope, "AccessLogBucket", props=_props())
        AccessLogBucket(scope, "FullLogBucket", props=_props(bucket_name="flask-app-dev-alb-logs-111122223333", **FULL))

    return synth_construct(build)


def test_defaults_only_bucket_keeps_its_logs_on_destroy(stack: dict[str, Any]) -> None:
    bucket = by_id(stack, "aws_s3_bucket", "AccessLogBucket")  # cdktf drops the repeated "Bucket"
    assert bucket == {"bucket": NAME, "force_destroy": False}


def test_encryption_is_sse_s3_the_only_kind_alb_access_logs_support(stack: dict[str, Any]) -> None:
    encryption = by_id(stack, "aws_s3_bucket_server_side_encryption_configuration", "AccessLogBucket/Encryption")
    assert encryption["rule"] == [{"apply_server_side_encryption_by_default": {"sse_algorithm": "AES256"}}]


def test_public_access_blocked_acls_off_versioned_and_events_to_eventbridge(stack: dict[str, Any]) -> None:
    block = by_id(stack, "aws_s3_bucket_public_access_block", "AccessLogBucket/PublicAccessBlock")
    assert all(block[k] is True for k in ("block_public_acls", "block_public_policy", "ignore_public_acls",
                                          "restrict_public_buckets"))  # fmt: skip
    ownership = by_id(stack, "aws_s3_bucket_ownership_controls", "AccessLogBucket/Ownership")
    assert ownership["rule"] == {"object_ownership": "BucketOwnerEnforced"}
    versioning = by_id(stack, "aws_s3_bucket_versioning", "AccessLogBucket/Versioning")
    assert versioning["versioning_configuration"] == {"status": "Enabled"}
    assert by_id(stack, "aws_s3_bucket_notification", "AccessLogBucket/EventBridge")["eventbridge"] is True


def _lifecycle(stack: dict[str, Any], path: str) -> dict[str, Any]:
    (rule,) = by_id(stack, "aws_s3_bucket_lifecycle_configuration", path)["rule"]
    return dict(rule)


def test_lifecycle_defaults(stack: dict[str, Any]) -> None:
    rule = _lifecycle(stack, "AccessLogBucket/Lifecycle")
    assert rule["status"] == "Enabled" and rule["filter"] == [{"prefix": ""}]
    assert rule["expiration"] == [{"days": 90}]
    assert rule["noncurrent_version_expiration"] == [{"noncurrent_days": 7}]
    assert rule["abort_incomplete_multipart_upload"] == [{"days_after_initiation": 1}]


def test_lifecycle_and_force_destroy_come_from_the_props(stack: dict[str, Any]) -> None:
    rule = _lifecycle(stack, "FullLogBucket/Lifecycle")
    assert rule["expiration"] == [{"days": 365}]
    assert rule["noncurrent_version_expiration"] == [{"noncurrent_days": 30}]
    assert rule["abort_incomplete_multipart_upload"] == [{"days_after_initiation": 3}]
    assert by_id(stack, "aws_s3_bucket", "FullLogBucket")["force_destroy"] is True


def test_server_access_logs_go_to_the_given_bucket_under_the_buckets_name(stack: dict[str, Any]) -> None:
    logging = by_id(stack, "aws_s3_bucket_logging", "FullLogBucket/ServerAccessLogs")
    assert logging["target_bucket"] == "s3-access-logs-111122223333-us-east-1"
    assert logging["target_prefix"] == "flask-app-dev-alb-logs-111122223333/"
    assert logging["bucket"].startswith("${aws_s3_bucket.FullLogBucket_")
    # without a target bucket: no server access logs
    assert len(stack["resource"]["aws_s3_bucket_logging"]) == 1


def test_policy_lets_the_regions_elb_account_write_under_the_prefix_only(stack: dict[str, Any]) -> None:
    statements = policy_statements(stack, "AccessLogBucket/PolicyDocument")
    allow = statements["AllowElbLogDelivery"]
    assert allow["effect"] == "Allow" and allow["actions"] == ["s3:PutObject"]
    assert allow["principals"] == [{"type": "AWS", "identifiers": ["arn:aws:iam::127311923021:root"]}]
    (resource,) = allow["resources"]
    assert resource.endswith(".arn}/alb/AWSLogs/%s/*" % ACCOUNT) and "aws_s3_bucket.AccessLogBucket_" in resource
    full = policy_statements(stack, "FullLogBucket/PolicyDocument")["AllowElbLogDelivery"]
    assert full["resources"][0].endswith("/edge/alb/AWSLogs/%s/*" % ACCOUNT)


def test_policy_denies_every_request_without_tls(stack: dict[str, Any]) -> None:
    deny = policy_statements(stack, "AccessLogBucket/PolicyDocument")["DenyInsecureTransport"]
    assert deny["effect"] == "Deny" and deny["actions"] == ["s3:*"]
    assert deny["principals"] == [{"type": "AWS", "identifiers": ["*"]}]
    assert deny["condition"] == [{"test": "Bool", "variable": "aws:SecureTransport", "values": ["false"]}]
    bucket_arn = "${aws_s3_bucket.%s.arn}" % next(
        k for k in stack["resource"]["aws_s3_bucket"] if k.startswith("AccessLogBucket_")
    )
    assert deny["resources"] == [bucket_arn, bucket_arn + "/*"]


def test_policy_is_put_after_the_other_bucket_settings(stack: dict[str, Any]) -> None:
    policy = by_id(stack, "aws_s3_bucket_policy", "AccessLogBucket/Policy")
    assert policy["policy"].startswith("${data.aws_iam_policy_document.AccessLogBucket_PolicyDocument_")
    kinds = sorted(dep.split(".")[0] for dep in policy["depends_on"])
    assert kinds == ["aws_s3_bucket_ownership_controls", "aws_s3_bucket_public_access_block",
                     "aws_s3_bucket_server_side_encryption_configuration", "aws_s3_bucket_versioning"]  # fmt: skip


@pytest.mark.parametrize("region", ["us-east-1", "eu-west-1", "ap-southeast-1", "us-gov-west-1", "cn-north-1"])
def test_regions_before_august_2022_name_their_elb_account(region: str) -> None:
    partition = {"us-gov-west-1": "aws-us-gov", "cn-north-1": "aws-cn"}.get(region, "aws")
    assert log_delivery_principal(region) == ("AWS", "arn:%s:iam::%s:root" % (partition, ELB_ACCOUNT_BY_REGION[region]))


@pytest.mark.parametrize("region", ["ap-southeast-4", "eu-central-2", "il-central-1", "me-central-1", "ca-west-1"])
def test_newer_regions_use_the_log_delivery_service_principal(region: str) -> None:
    assert log_delivery_principal(region) == ("Service", LOG_DELIVERY_SERVICE)


def test_service_principal_in_the_bucket_policy_of_a_newer_region() -> None:
    from modules.access_log_bucket import AccessLogBucket

    stack = synth_construct(lambda s: AccessLogBucket(s, "AccessLogBucket", props=_props(region="ap-southeast-4")))
    allow = policy_statements(stack, "AccessLogBucket/PolicyDocument")["AllowElbLogDelivery"]
    assert allow["principals"] == [{"type": "Service", "identifiers": [LOG_DELIVERY_SERVICE]}]


def test_the_two_region_lists_do_not_overlap() -> None:
    assert not set(ELB_ACCOUNT_BY_REGION) & set(SERVICE_PRINCIPAL_REGIONS)
    assert all(len(a) == 12 and a.isdigit() for a in ELB_ACCOUNT_BY_REGION.values())


def test_every_region_of_the_principal_tables_is_an_aws_region() -> None:
    """Both tables against the regions botocore's endpoint data knows for Elastic Load Balancing."""
    import botocore.session

    session = botocore.session.get_session()
    known = {r for p in session.get_available_partitions() for r in session.get_available_regions("elbv2", p)}
    assert set(ELB_ACCOUNT_BY_REGION) | set(SERVICE_PRINCIPAL_REGIONS) <= known


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        (
            dict(region="xx-north-9"),
            r"^AccessLogBucketProps\.region: region 'xx-north-9' has no known Elastic Load"
            r" Balancing log-delivery principal; allowed: af-south-1, ap-east-1, ",
        ),
        (
            dict(bucket_name="Logs_Bucket"),
            r"^AccessLogBucketProps\.bucket_name: bucket name 'Logs_Bucket' is not valid",
        ),
        (dict(account_id="1234"), r"^AccessLogBucketProps\.account_id='1234'; allowed: 12 digits"),
        (
            dict(server_access_log_bucket=NAME),
            r"^AccessLogBucketProps\.server_access_log_bucket='%s': the bucket itself; allowed: another bucket" % NAME,
        ),
        (
            dict(server_access_log_bucket="Logs"),
            r"^AccessLogBucketProps\.server_access_log_bucket='Logs': bucket name 'Logs' is not valid",
        ),
        (
            dict(prefix="logs/AWSLogs"),
            r"^AccessLogBucketProps\.prefix='logs/AWSLogs' is not valid; allowed: .*not"
            r" containing 'AWSLogs'",
        ),
        (dict(prefix="/alb"), r"prefix='/alb' is not valid; allowed: .*not starting or ending with '/'"),
        (dict(retention_days=0), r"^AccessLogBucketProps\.retention_days=0; allowed: 1\.\.3650"),
        (dict(noncurrent_version_days=400), r"^AccessLogBucketProps\.noncurrent_version_days=400; allowed: 1\.\.365"),
        (
            dict(abort_incomplete_multipart_days=31),
            r"^AccessLogBucketProps\.abort_incomplete_multipart_days=31; allowed: 1\.\.30",
        ),
    ],
)
def test_props_are_checked(overrides: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        _props(**overrides)


# --- the load balancer's side ---------------------------------------------------------------------------


def test_alb_writes_access_logs_through_the_bucket_policy() -> None:
    from modules.access_log_bucket import AccessLogBucket
    from modules.load_balancer import LoadBalancer, LoadBalancerProps

    def build(scope: Any) -> None:
        logs = AccessLogBucket(scope, "AccessLogBucket", props=_props())
        LoadBalancer(scope, "LoadBalancer", props=LoadBalancerProps(
            name="flask-app-prod", alb_name="flask-app-prod-alb", vpc_id="vpc-1", public_subnet_ids=["s-1", "s-2"],
            access_logs_bucket=logs.delivery_bucket, access_logs_prefix=logs.prefix))  # fmt: skip

    stack = synth_construct(build)
    alb = by_id(stack, "aws_lb", "LoadBalancer/LoadBalancer")
    policy_id = next(iter(stack["resource"]["aws_s3_bucket_policy"]))
    # The bucket name read from the policy: Terraform creates the ALB only after the policy is in place.
    assert alb["access_logs"] == {"bucket": "${aws_s3_bucket_policy.%s.bucket}" % policy_id, "prefix": "alb",
                                  "enabled": True}  # fmt: skip


def test_alb_without_a_bucket_has_no_access_logs() -> None:
    from modules.load_balancer import LoadBalancer, LoadBalancerProps

    stack = synth_construct(lambda s: LoadBalancer(s, "LoadBalancer", props=LoadBalancerProps(
        name="app-test", alb_name="app-test-alb", vpc_id="vpc-1", public_subnet_ids=["s-1", "s-2"])))  # fmt: skip
    assert "access_logs" not in by_id(stack, "aws_lb", "LoadBalancer/LoadBalancer")


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        (
            dict(access_logs_prefix="alb"),
            r"^LoadBalancerProps\.access_logs_prefix='alb' without access_logs_bucket;"
            r" allowed: both, or neither",
        ),
        (
            dict(access_logs_bucket="logs", access_logs_prefix="AWSLogs"),
            r"^LoadBalancerProps\.access_logs_prefix='AWSLogs' is not valid; allowed: ",
        ),
    ],
)
def test_load_balancer_access_log_props_are_checked(overrides: dict[str, Any], message: str) -> None:
    from modules.load_balancer import LoadBalancerProps

    with pytest.raises(ValueError, match=message):
        LoadBalancerProps(name="app-test", alb_name="app-test-alb", vpc_id="vpc-1", public_subnet_ids=["s-1", "s-2"],
                          **overrides)  # fmt: skip


def test_terraform_validate(terraform: str, tmp_path: Path, stack: dict[str, Any]) -> None:
    assert_valid(terraform, tmp_path, stack)


# --- config ---------------------------------------------------------------------------------------------


def _env(**kwargs: Any) -> EnvironmentConfig:
    base: dict[str, Any] = dict(name="dev", app_name="flask-app", region="us-east-1", account_id="123456789012")
    base.update(kwargs)
    return EnvironmentConfig(**base)


def test_config_defaults_on_with_force_destroy_outside_production() -> None:
    env = _env()
    assert env.access_logs.enabled and env.access_logs.prefix == "alb"
    assert (env.access_logs.retention_days, env.access_logs.noncurrent_version_days) == (90, 7)
    assert env.access_log_bucket == "flask-app-dev-alb-logs-123456789012"
    assert env.server_access_log_bucket == "s3-access-logs-123456789012-us-east-1"
    assert _env(access_logs={"server_access_log_bucket": "org-s3-logs"}).server_access_log_bucket == "org-s3-logs"
    assert env.access_log_force_destroy is True


def test_production_keeps_the_bucket_on_destroy_unless_set_and_refuses_force_destroy() -> None:
    prod = dict(name="prod", production=True, deletion_protection=True, load_balancer={"certificate_arn": (
        "arn:aws:acm:us-east-1:123456789012:certificate/0123abcd-45ef-67ab-89cd-0123456789ab")})  # fmt: skip
    assert _env(**prod).access_log_force_destroy is False
    with pytest.raises(
        ValueError, match=r"access_logs\.force_destroy=true in a production environment; allowed: false"
    ):
        _env(**prod, access_logs={"force_destroy": True})


def test_force_destroy_can_be_turned_off_outside_production() -> None:
    assert _env(access_logs={"force_destroy": False}).access_log_force_destroy is False


def test_unknown_region_is_refused_while_access_logs_are_on() -> None:
    with pytest.raises(
        ValueError,
        match=r"access_logs\.enabled=true: region 'xx-north-9' has no known Elastic Load"
        r" Balancing log-delivery principal; allowed: .*; or access_logs\.enabled=false",
    ):
        _env(region="xx-north-9")
    assert not _env(region="xx-north-9", access_logs={"enabled": False}).access_logs.enabled


def test_an_app_name_that_makes_no_bucket_name_is_refused() -> None:
    with pytest.raises(
        ValueError,
        match=r"app_name='xn--shop': the access-log bucket name 'xn--shop-dev-alb-logs-123456789012'"
        r" is not valid; allowed: 3\.\.63 .*not starting with xn--",
    ):
        _env(app_name="xn--shop")


def write_config(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "environments.toml"
    path.write_text('[defaults]\napp_name = "flask-app"\nregion = "us-east-1"\naccount_id = "123456789012"\n' + body)
    return path


@pytest.mark.parametrize(
    ("table", "message"),
    [
        (
            'prefix = "AWSLogs/alb"',
            r"dev\.access_logs\.prefix: prefix='AWSLogs/alb' is not valid;"
            r" allowed: .*not containing 'AWSLogs'",
        ),
        ("retention_days = 0", r"dev\.access_logs\.retention_days=0: .*; allowed: >= 1"),
        ("noncurrent_version_days = 366", r"dev\.access_logs\.noncurrent_version_days=366: .*; allowed: <= 365"),
        (
            "abort_incomplete_multipart_days = 0",
            r"dev\.access_logs\.abort_incomplete_multipart_days=0: .*; allowed: >= 1",
        ),
        ("bucket = 'mine'", r"dev: access_logs\.bucket='mine' is not a known field"),
        (
            "server_access_log_bucket = 'Org_Logs'",
            r"dev: access_logs\.server_access_log_bucket: bucket name 'Org_Logs' is not valid; allowed: 3\.\.63",
        ),
    ],
)
def test_config_errors_name_the_environment_field_and_value(tmp_path: Path, table: str, message: str) -> None:
    path = write_config(tmp_path, "[environments.dev.access_logs]\n%s\n" % table)
    with pytest.raises(ConfigError, match=message):
        load_environments(path)


def test_shipped_environments_all_write_access_logs() -> None:
    envs = load_environments()
    assert all(env.access_logs.enabled for env in envs.values())
    assert envs["prod"].access_logs.retention_days == 365 and envs["dev"].access_logs.retention_days == 7
    assert [n for n, e in envs.items() if e.access_log_force_destroy] == ["local", "dev", "staging"]
