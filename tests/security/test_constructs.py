"""The constructs the security gate added or changed: log encryption key, WAF, pinned AZs.

Properties per construct (including a defaults-only case) and validation; the snapshots and
``terraform validate`` of every environment cover them as part of the stacks.
"""

from __future__ import annotations

import dataclasses
import fnmatch
import json
from typing import Any

import pytest

from envconfig.model import NetworkConfig
from stacks.props import network_props
from tests.conftest import resources, synth_construct

ENVS = ["local", "dev", "staging", "prod"]


def _key_stack(**overrides: Any) -> dict[str, Any]:
    from modules.log_encryption import LogEncryptionKey, LogEncryptionKeyProps

    props = {"name": "flask-app-dev", "region": "eu-west-1", "log_group_patterns": ("/ecs/flask-app-dev/*",)}
    props.update(overrides)
    return synth_construct(lambda s: LogEncryptionKey(s, "LogEncryptionKey", props=LogEncryptionKeyProps(**props)))


def test_log_key_defaults_rotation_and_policy() -> None:
    (key,) = resources(_key_stack(), "aws_kms_key").values()
    assert key["enable_key_rotation"] is True and key["deletion_window_in_days"] == 30
    policy = json.loads(key["policy"])
    admin, logs = policy["Statement"]
    assert admin["Sid"] == "KeyAdministration" and admin["Principal"]["AWS"].endswith(":root")
    assert logs["Principal"] == {"Service": "logs.eu-west-1.amazonaws.com"}
    (pattern,) = logs["Condition"]["StringLike"]["kms:EncryptionContext:aws:logs:arn"]
    assert pattern.endswith(":logs:eu-west-1:${data.aws_caller_identity.LogEncryptionKey_CallerIdentity_8DC8C3D8"
                            ".account_id}:log-group:/ecs/flask-app-dev/*")  # fmt: skip
    for st in policy["Statement"]:
        assert not [a for a in st["Action"] if "*" in a]
        assert st["Principal"] != "*"


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"log_group_patterns": ()}, "log_group_patterns is empty"),
        ({"log_group_patterns": ("*",)}, "log_group_patterns contains '\\*'"),
        ({"deletion_window_days": 3}, "deletion_window_days=3; allowed: 7..30"),
    ],
)
def test_log_key_props_validation(overrides: dict[str, Any], message: str) -> None:
    from modules.log_encryption import LogEncryptionKeyProps

    props = {"name": "x-y", "region": "us-east-1", "log_group_patterns": ("/ecs/x-y/*",), **overrides}
    with pytest.raises(ValueError, match=message):
        LogEncryptionKeyProps(**props)


def _waf_stack(**overrides: Any) -> dict[str, Any]:
    from modules.waf import WebAcl, WebAclProps

    props = {"name": "flask-app-dev", "alb_arn": "arn:aws:elasticloadbalancing:eu-west-1:123456789012:loadbalancer/app/x/1",
             "log_retention_days": 365}  # fmt: skip
    props.update(overrides)
    return synth_construct(lambda s: WebAcl(s, "WebAcl", props=WebAclProps(**props)))


def test_waf_defaults() -> None:
    out = _waf_stack()
    (acl,) = resources(out, "aws_wafv2_web_acl").values()
    assert acl["scope"] == "REGIONAL" and acl["default_action"] == {"allow": {}}
    groups = [r["statement"]["managed_rule_group_statement"]["name"] for r in acl["rule"]]
    assert groups == ["AWSManagedRulesAmazonIpReputationList", "AWSManagedRulesAnonymousIpList",
                      "AWSManagedRulesCommonRuleSet", "AWSManagedRulesKnownBadInputsRuleSet"]  # fmt: skip
    assert sorted(r["priority"] for r in acl["rule"]) == [0, 1, 2, 3]
    counted = {r["name"]: [o["name"] for o in r["statement"]["managed_rule_group_statement"].get("rule_action_override", [])]
               for r in acl["rule"]}  # fmt: skip
    assert counted["AWSManagedRulesCommonRuleSet"] == ["SizeRestrictions_BODY"]
    assert counted["AWSManagedRulesKnownBadInputsRuleSet"] == []
    (group,) = resources(out, "aws_cloudwatch_log_group").values()
    assert group["name"] == "aws-waf-logs-flask-app-dev" and group["retention_in_days"] == 365
    assert "kms_key_id" not in group  # defaults-only: CloudWatch Logs' own encryption
    (logging,) = resources(out, "aws_wafv2_web_acl_logging_configuration").values()
    assert [f["single_header"]["name"] for f in logging["redacted_fields"]] == ["authorization", "cookie"]
    (assoc,) = resources(out, "aws_wafv2_web_acl_association").values()
    assert assoc["resource_arn"].startswith("arn:aws:elasticloadbalancing:")


def test_waf_rejects_unsupported_retention() -> None:
    from modules.waf import WebAclProps

    with pytest.raises(ValueError, match=r"WebAclProps\.log_retention_days=400000 is not a CloudWatch retention"):
        WebAclProps(name="x-y", alb_arn="arn", log_retention_days=400000)


def test_network_pins_zone_names() -> None:
    from modules.network import Network

    out = synth_construct(lambda s: Network(s, "Network", props=network_props(
        NetworkConfig(az_count=3), name="x-dev", region="ap-southeast-1")))  # fmt: skip
    (azs,) = out["data"]["aws_availability_zones"].values()
    assert azs["filter"] == [{"name": "zone-name", "values": ["ap-southeast-1a", "ap-southeast-1b", "ap-southeast-1c"]}]
    assert azs["lifecycle"]["postcondition"][0]["condition"] == "${length(self.names) == 3}"
    zones = sorted(s["availability_zone"] for s in resources(out, "aws_subnet").values())
    assert zones == sorted(["ap-southeast-1a", "ap-southeast-1b", "ap-southeast-1c"] * 2)


@pytest.mark.parametrize(
    ("zones", "message"),
    [(("ap-southeast-1a",), "has 1 names; allowed: exactly az_count=2"),
     (("ap-southeast-1a", "us-east-1b"), "contains 'us-east-1b'; allowed: zone names of region ap-southeast-1")],
)  # fmt: skip
def test_network_zone_names_validation(zones: tuple[str, ...], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        dataclasses.replace(network_props(NetworkConfig(), name="x", region="ap-southeast-1"), availability_zones=zones)


@pytest.mark.parametrize("env", ENVS)
def test_every_encrypted_log_group_is_allowed_by_the_key_policy(env: str, synth_all: dict[str, Any]) -> None:
    """The key policy names log groups by pattern; a renamed group would fail to create."""
    stack = synth_all[env]
    (key,) = [k for name, k in resources(stack, "aws_kms_key").items() if name.startswith("LogEncryptionKey_")]
    statement = next(s for s in json.loads(key["policy"])["Statement"] if s["Sid"] == "CloudWatchLogs")
    patterns = [
        p.split(":log-group:", 1)[1] for p in statement["Condition"]["StringLike"]["kms:EncryptionContext:aws:logs:arn"]
    ]
    groups = resources(stack, "aws_cloudwatch_log_group").values()
    assert len(groups) >= 3  # service, flow logs, WAF (and one per further workload)
    for group in groups:
        assert group["kms_key_id"] == "${aws_kms_key.%s.arn}" % next(
            n for n in resources(stack, "aws_kms_key") if n.startswith("LogEncryptionKey_")), group["name"]
        assert any(fnmatch.fnmatchcase(group["name"], p) for p in patterns), (group["name"], patterns)


@pytest.mark.parametrize("env", ENVS)
def test_security_logs_kept_a_year(env: str, synth_all: dict[str, Any]) -> None:
    groups = {g["name"]: g for g in resources(synth_all[env], "aws_cloudwatch_log_group").values()}
    for name, group in groups.items():
        if name.startswith(("/vpc/", "aws-waf-logs-")):
            assert group["retention_in_days"] >= 365, name
