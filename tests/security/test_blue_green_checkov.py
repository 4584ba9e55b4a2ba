"""The security gate on the blue/green release constructs before any stack wires them in: a ``BlueGreen``
next to the ``Service`` it releases (``deployment_controller="CODE_DEPLOY"``), the load balancer given as
literal ARNs so the scan is about the new resources. Secure defaults are read from the synthesized JSON
(always); checkov runs over that JSON with an empty allow-list (in ``make security``, like the other
scanner tests) and finds nothing (``EXPECTED``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.conftest import resources, synth_construct
from tests.security.scanners import checkov_without_exceptions

ACCOUNT = "123456789012"
ALB_ARN = "arn:aws:elasticloadbalancing:us-east-1:%s:loadbalancer/app/flask-app-prod-alb/0123456789abcdef" % ACCOUNT
LISTENER_ARN = (
    "arn:aws:elasticloadbalancing:us-east-1:%s:listener/app/flask-app-prod-alb/0123456789abcdef/0a1b2c3d" % ACCOUNT
)
BLUE_ARN = "arn:aws:elasticloadbalancing:us-east-1:%s:targetgroup/flask-app-prod-tg/0123456789abcdef" % ACCOUNT
CERT_ARN = "arn:aws:acm:us-east-1:%s:certificate/0a1b2c3d-0000-1111-2222-333344445555" % ACCOUNT
KEY_ARN = "arn:aws:kms:us-east-1:%s:key/0123abcd-45ef-67ab-89cd-0123456789ab" % ACCOUNT
ALB_SG = "sg-0123456789abcdef0"
SUBNETS = ["subnet-0aaaaaaaaaaaaaaaa", "subnet-0bbbbbbbbbbbbbbbb"]


@pytest.fixture(scope="module")
def stack() -> dict[str, Any]:
    from modules.blue_green import BlueGreen, BlueGreenProps
    from modules.listener_target import TargetProps
    from modules.registry import Registry, RegistryProps
    from modules.service import Service, ServiceOptions, ServiceProps
    from rules.releases import TrafficShift

    def build(scope: Any) -> None:
        registry = Registry(scope, "Registry", props=RegistryProps(name="flask-app-prod"))
        service = Service(scope, "Service", props=ServiceProps(
            name="flask-app-prod", service_name="flask-app-prod-web", app_name="flask-app", env_name="prod",
            region="us-east-1", desired_count=2, log_retention_days=365, log_kms_key_arn=KEY_ARN, registry=registry,
            image_tag="0a1b2c3", vpc_id="vpc-0123456789abcdef0", subnet_ids=SUBNETS, alb_security_group_id=ALB_SG,
            target_group_arn=BLUE_ARN, service=ServiceOptions(deployment_controller="CODE_DEPLOY")))  # fmt: skip
        BlueGreen(scope, "BlueGreen", props=BlueGreenProps(
            name="flask-app-prod", cluster_name=service.cluster.cluster_name, service_name=service.service_name,
            vpc_id="vpc-0123456789abcdef0", alb_arn=ALB_ARN, alb_security_group_id=ALB_SG,
            production_listener_arns=(LISTENER_ARN,), blue_target_group_arn=BLUE_ARN,
            blue_target=TargetProps(target_group_name="flask-app-prod-tg", port=3000, health_check_path="/health"),
            test_listener_port=8443, test_ingress_cidrs=("10.20.0.0/16",), certificate_arn=CERT_ARN,
            traffic=TrafficShift("canary", percent=20, minutes=10), alarm_names=("flask-app-prod-5xx",)))  # fmt: skip

    return synth_construct(build)


# ---- secure defaults, from the JSON ---------------------------------------------------------------


def test_the_test_port_is_open_to_the_listed_block_only(stack: dict[str, Any]) -> None:
    rules = [r for r in resources(stack, "aws_vpc_security_group_ingress_rule").values() if r["from_port"] == 8443]
    assert [(r["cidr_ipv4"], r["to_port"], r["security_group_id"]) for r in rules] == [("10.20.0.0/16", 8443, ALB_SG)]


def test_the_codedeploy_role_trusts_codedeploy_of_this_account_only(stack: dict[str, Any]) -> None:
    (trust,) = [d for name, d in stack["data"]["aws_iam_policy_document"].items() if name.startswith("BlueGreen_")]
    (statement,) = trust["statement"]
    assert statement["principals"] == [{"type": "Service", "identifiers": ["codedeploy.amazonaws.com"]}]
    assert statement["actions"] == ["sts:AssumeRole"]
    (condition,) = statement["condition"]
    assert (condition["test"], condition["variable"]) == ("StringEquals", "aws:SourceAccount")
    (attachment,) = resources(stack, "aws_iam_role_policy_attachment").values()
    assert attachment["policy_arn"].endswith(":iam::aws:policy/AWSCodeDeployRoleForECS")  # nothing broader


def test_the_test_listener_speaks_tls_with_the_project_policy(stack: dict[str, Any]) -> None:
    from modules.load_balancer import TLS_POLICY

    (listener,) = resources(stack, "aws_lb_listener").values()
    assert (listener["protocol"], listener["ssl_policy"], listener["certificate_arn"]) == (
        "HTTPS",
        TLS_POLICY,
        CERT_ARN,
    )


# ---- checkov, with an empty allow-list ----------------------------------------------------------------


#: Nothing fails: both target groups speak HTTP to the tasks behind listeners Terraform knows (the production
#: listener forwards to blue, the HTTPS test listener to green), which is what CKV_AWS_378 asks.
EXPECTED: list[str] = []


def test_checkov_finds_nothing(tools_python: Path, stack: dict[str, Any], tmp_path: Path) -> None:
    """Empty allow-list: every check that applies to these resources passes (security/run_checkov.py)."""
    new = checkov_without_exceptions(tools_python, stack, "bluegreen", tmp_path)
    assert new == EXPECTED, "\n".join(new)
