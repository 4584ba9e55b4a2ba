"""NetworkLoadBalancer: its props' rules, and what it synthesizes for a TLS and a TCP listener."""

from __future__ import annotations

from typing import Any

import pytest

from modules.network_load_balancer import NetworkLoadBalancerProps
from tests.conftest import resources, synth_construct

CERT = "arn:aws:acm:us-east-1:123456789012:certificate/0123abcd-45ef-67ab-89cd-0123456789ab"
BASE: dict[str, Any] = dict(
    name="flask-app-prod-stream", vpc_id="vpc-0abc", public_subnet_ids=["subnet-a", "subnet-b"], target_port=3000,
    health_check_path="/health", certificate_arn=CERT,
)  # fmt: skip


def props(**overrides: Any) -> NetworkLoadBalancerProps:
    return NetworkLoadBalancerProps(**{**BASE, **overrides})


@pytest.fixture(scope="module")
def stacks() -> dict[str, dict[str, Any]]:
    from modules.network_load_balancer import NetworkLoadBalancer

    def tls(scope: Any) -> None:
        NetworkLoadBalancer(scope, "Nlb", props=props(
            access_log_bucket="flask-app-prod-lb-logs", deletion_protection=True, ingress_cidrs=("0.0.0.0/0", "198.51.100.0/24"),
            alarm_topic_arn="arn:aws:sns:us-east-1:123456789012:flask-app-prod-alarms"))  # fmt: skip

    def tcp(scope: Any) -> None:
        NetworkLoadBalancer(scope, "Nlb", props=props(protocol="TCP", certificate_arn=None, port=9000))

    return {"tls": synth_construct(tls), "tcp": synth_construct(tcp)}


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        (dict(name="flask-app-production-streaming"), r"^NetworkLoadBalancerProps\.name='flask-app-production-streaming': the name '.*-nlb' is 34 characters; allowed: at most 32$"),
        (dict(protocol="UDP"), r"^NetworkLoadBalancerProps\.protocol='UDP'; allowed: TCP, TLS$"),
        (dict(port=0), r"^NetworkLoadBalancerProps\.port=0; allowed: 1\.\.65535$"),
        (dict(target_port=70000), r"^NetworkLoadBalancerProps\.target_port=70000; allowed: 1\.\.65535$"),
        (dict(certificate_arn=None), r"^NetworkLoadBalancerProps\.certificate_arn is not set for protocol='TLS'; allowed: an ACM"),
        (dict(protocol="TCP"), r"^NetworkLoadBalancerProps\.certificate_arn='arn:.*' with protocol='TCP' \(nothing terminates"),
        (dict(certificate_arn="cert"), r"^NetworkLoadBalancerProps\.certificate_arn='cert' is not an ACM certificate ARN; allowed: arn:aws:acm:"),
        (dict(protocol="TCP", certificate_arn=None, access_log_bucket="logs"),
         r"^NetworkLoadBalancerProps\.access_log_bucket='logs' with protocol='TCP': an NLB logs TLS listeners only"),
        (dict(health_check_path="health"), r"^NetworkLoadBalancerProps\.health_check_path='health'; allowed: an absolute"),
        (dict(ingress_cidrs=()), r"^NetworkLoadBalancerProps\.ingress_cidrs=\(\); allowed: at least one"),
        (dict(ingress_cidrs=("10.0.0.1/8",)), r"^NetworkLoadBalancerProps\.ingress_cidrs\[0\]='10\.0\.0\.1/8'; allowed: an IPv4"),
        (dict(deregistration_delay_seconds=4000), r"^NetworkLoadBalancerProps\.deregistration_delay_seconds=4000; allowed: 0\.\.3600$"),
        (dict(public_subnet_ids=["subnet-a"]), r"^NetworkLoadBalancerProps\.public_subnet_ids has 1 subnet\(s\); allowed: at least 2"),
    ],
)  # fmt: skip
def test_props_rules(overrides: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        props(**overrides)


def test_a_tls_nlb_terminates_tls_logs_and_admits_only_the_configured_blocks(stacks: dict[str, dict[str, Any]]) -> None:
    stack = stacks["tls"]
    ((nlb_name, nlb),) = resources(stack, "aws_lb").items()
    assert (nlb["name"], nlb["load_balancer_type"], nlb["internal"]) == ("flask-app-prod-stream-nlb", "network", False)
    assert nlb["enable_deletion_protection"] is True and nlb["enable_cross_zone_load_balancing"] is True
    assert nlb["access_logs"] == {"bucket": "flask-app-prod-lb-logs", "enabled": True, "prefix": "flask-app-prod-stream-nlb"}
    assert nlb["enforce_security_group_inbound_rules_on_private_link_traffic"] == "on"
    ((group_name, group),) = resources(stack, "aws_security_group").items()
    assert nlb["security_groups"] == ["${aws_security_group.%s.id}" % group_name]
    assert group["name_prefix"] == "flask-app-prod-stream-nlb-" and group["lifecycle"]["create_before_destroy"] is True
    ingress = sorted((r["from_port"], r["to_port"], r["cidr_ipv4"]) for r in resources(stack, "aws_vpc_security_group_ingress_rule").values())
    assert ingress == [(443, 443, "0.0.0.0/0"), (443, 443, "198.51.100.0/24")]
    assert "aws_vpc_security_group_egress_rule" not in stack["resource"]  # the service adds its own
    ((tg_name, tg),) = resources(stack, "aws_lb_target_group").items()
    assert (tg["name"], tg["protocol"], tg["port"], tg["target_type"]) == ("flask-app-prod-stream-tg", "TCP", 3000, "ip")
    assert tg["health_check"]["protocol"] == "HTTP" and tg["health_check"]["matcher"] == "200"
    assert tg["deregistration_delay"] == "30" and tg["connection_termination"] is True
    ((_, listener),) = resources(stack, "aws_lb_listener").items()
    assert (listener["port"], listener["protocol"], listener["certificate_arn"]) == (443, "TLS", CERT)
    assert listener["ssl_policy"] == "ELBSecurityPolicy-TLS13-1-2-2021-06"
    assert listener["load_balancer_arn"] == "${aws_lb.%s.arn}" % nlb_name
    assert listener["default_action"] == [{"type": "forward", "target_group_arn": "${aws_lb_target_group.%s.arn}" % tg_name}]
    ((_, alarm),) = resources(stack, "aws_cloudwatch_metric_alarm").items()
    assert alarm["alarm_name"] == "flask-app-prod-stream-nlb-unhealthy-hosts"
    assert alarm["dimensions"] == {"LoadBalancer": "${aws_lb.%s.arn_suffix}" % nlb_name,
                                   "TargetGroup": "${aws_lb_target_group.%s.arn_suffix}" % tg_name}  # fmt: skip
    assert alarm["alarm_actions"] == alarm["ok_actions"] == ["arn:aws:sns:us-east-1:123456789012:flask-app-prod-alarms"]


def test_a_tcp_nlb_passes_the_bytes_through(stacks: dict[str, dict[str, Any]]) -> None:
    stack = stacks["tcp"]
    ((_, listener),) = resources(stack, "aws_lb_listener").items()
    assert (listener["port"], listener["protocol"]) == (9000, "TCP")
    assert "ssl_policy" not in listener and "certificate_arn" not in listener
    ((_, nlb),) = resources(stack, "aws_lb").items()
    assert "access_logs" not in nlb and nlb["enable_deletion_protection"] is False
    (rule,) = resources(stack, "aws_vpc_security_group_ingress_rule").values()
    assert (rule["from_port"], rule["cidr_ipv4"]) == (9000, "0.0.0.0/0")
    ((_, alarm),) = resources(stack, "aws_cloudwatch_metric_alarm").items()
    assert "alarm_actions" not in alarm
