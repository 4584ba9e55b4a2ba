"""LoadBalancer construct: ALB, security group, target group, listeners, DNS alias, validation."""

from __future__ import annotations

import json
from typing import Any

import pytest

from envconfig.model import LoadBalancerConfig
from tests.service_stack import CERT_ARN, SUBNETS, all_of, by_id, defaults_stack, full_stack


@pytest.fixture(scope="module")
def defaults() -> dict[str, Any]:
    return defaults_stack()


@pytest.fixture(scope="module")
def full() -> dict[str, Any]:
    return full_stack()


def test_defaults_only_alb(defaults: dict[str, Any]) -> None:
    alb = by_id(defaults, "aws_lb", "LoadBalancer/LoadBalancer")
    assert alb["name"] == "app-test-alb"
    assert alb["internal"] is False and alb["load_balancer_type"] == "application"
    assert alb["subnets"] == SUBNETS
    assert alb["drop_invalid_header_fields"] is True
    assert alb["idle_timeout"] == 60
    assert alb["enable_deletion_protection"] is False
    assert len(alb["security_groups"]) == 1 and "LoadBalancer_SecurityGroup" in alb["security_groups"][0]


def test_defaults_only_security_group_opens_http_to_the_configured_cidrs(defaults: dict[str, Any]) -> None:
    rules = [r for r in all_of(defaults, "aws_vpc_security_group_ingress_rule")
             if "LoadBalancer_SecurityGroup" in r["security_group_id"]]  # fmt: skip
    assert [(r["from_port"], r["to_port"], r["cidr_ipv4"]) for r in rules] == [(80, 80, "0.0.0.0/0")]
    egress = [r for r in all_of(defaults, "aws_vpc_security_group_egress_rule")
              if "LoadBalancer_SecurityGroup" in r["security_group_id"]]  # fmt: skip
    assert len(egress) == 1 and "Service_TaskSecurityGroup" in egress[0]["referenced_security_group_id"]
    sg = by_id(defaults, "aws_security_group", "LoadBalancer/SecurityGroup")
    assert sg["name_prefix"] == "app-test-alb-" and "name" not in sg and sg["tags"]["Name"] == "app-test-alb"
    assert sg["lifecycle"] == {"create_before_destroy": True} and "ingress" not in sg and "egress" not in sg


def test_defaults_only_target_group(defaults: dict[str, Any]) -> None:
    tg = by_id(defaults, "aws_lb_target_group", "LoadBalancer/TargetGroup")
    assert tg["name"] == "app-test-tg"
    assert (tg["target_type"], tg["port"], tg["protocol"]) == ("ip", 3000, "HTTP")
    assert tg["deregistration_delay"] == "30"  # not AWS's 300
    assert tg["health_check"] == {
        "enabled": True, "path": "/health", "port": "traffic-port", "protocol": "HTTP", "matcher": "200",
        "interval": 10, "timeout": 5, "healthy_threshold": 2, "unhealthy_threshold": 3,
    }  # fmt: skip


def test_defaults_only_http_listener_forwards(defaults: dict[str, Any]) -> None:
    (listener,) = all_of(defaults, "aws_lb_listener")
    assert (listener["port"], listener["protocol"]) == (80, "HTTP")
    (action,) = listener["default_action"]
    assert action["type"] == "forward" and "aws_lb_target_group" in action["target_group_arn"]
    assert "aws_route53_record" not in defaults["resource"]


def test_https_listener_with_tls13_policy_and_http_redirect(full: dict[str, Any]) -> None:
    http = by_id(full, "aws_lb_listener", "LoadBalancer/HttpListener")
    (redirect,) = http["default_action"]
    assert redirect["type"] == "redirect"
    assert redirect["redirect"] == {"port": "443", "protocol": "HTTPS", "status_code": "HTTP_301"}
    https = by_id(full, "aws_lb_listener", "LoadBalancer/HttpsListener")
    assert (https["port"], https["protocol"]) == (443, "HTTPS")
    assert https["ssl_policy"] == "ELBSecurityPolicy-TLS13-1-2-2021-06"
    # the requested certificate, through its validation: the listener waits until ACM issued it
    assert https["certificate_arn"].startswith("${aws_acm_certificate_validation.LoadBalancer_Certificate_Validation_")
    assert https["certificate_arn"].endswith(".certificate_arn}")
    assert https["default_action"][0]["type"] == "forward"
    assert "aws_lb_target_group" in https["default_action"][0]["target_group_arn"]


def test_domain_without_certificate_arn_requests_one_in_the_looked_up_zone(full: dict[str, Any]) -> None:
    zone = by_id(full, "aws_route53_zone", "LoadBalancer/HostedZone", data=True)
    assert zone == {"name": "example.com", "private_zone": False}
    cert = by_id(full, "aws_acm_certificate", "LoadBalancer/Certificate/Certificate")
    assert (cert["domain_name"], cert["validation_method"]) == ("app.example.com", "DNS")
    record = by_id(full, "aws_route53_record", "LoadBalancer/Certificate/ValidationRecord")
    assert record["zone_id"] == "${data.aws_route53_zone.LoadBalancer_HostedZone_93EB9157.zone_id}"
    assert "aws_route53_zone" not in full["resource"]  # looked up, never created


def test_certificate_arn_with_a_domain_uses_the_arn_and_requests_nothing() -> None:
    synthesized = _synth(LoadBalancerConfig(certificate_arn=CERT_ARN, domain_name="app.example.com",
                                            hosted_zone_name="example.com"))  # fmt: skip
    assert "aws_acm_certificate" not in synthesized["resource"]
    assert "aws_acm_certificate_validation" not in synthesized["resource"]
    https = by_id(synthesized, "aws_lb_listener", "LoadBalancer/HttpsListener")
    assert https["certificate_arn"] == CERT_ARN
    (alias,) = all_of(synthesized, "aws_route53_record")
    assert alias["name"] == "app.example.com" and "data.aws_route53_zone." in alias["zone_id"]
    http = by_id(synthesized, "aws_lb_listener", "LoadBalancer/HttpListener")
    assert http["default_action"][0]["type"] == "redirect"  # redirect is on by default with TLS


def test_certificate_arn_without_a_domain_looks_up_no_zone() -> None:
    synthesized = _synth(LoadBalancerConfig(certificate_arn=CERT_ARN))
    assert "data" not in synthesized or "aws_route53_zone" not in synthesized["data"]
    assert "aws_route53_record" not in synthesized["resource"]
    https = by_id(synthesized, "aws_lb_listener", "LoadBalancer/HttpsListener")
    assert https["certificate_arn"] == CERT_ARN


def test_security_group_opens_80_and_443_per_cidr_with_a_certificate(full: dict[str, Any]) -> None:
    rules = [r for r in all_of(full, "aws_vpc_security_group_ingress_rule")
             if "LoadBalancer_SecurityGroup" in r["security_group_id"]]  # fmt: skip
    assert sorted((r["from_port"], r["cidr_ipv4"]) for r in rules) == [
        (80, "198.51.100.0/24"), (80, "203.0.113.0/24"), (443, "198.51.100.0/24"), (443, "203.0.113.0/24"),
    ]  # fmt: skip


def test_tuned_settings_come_from_config(full: dict[str, Any]) -> None:
    alb = by_id(full, "aws_lb", "LoadBalancer/LoadBalancer")
    assert alb["idle_timeout"] == 30 and alb["enable_deletion_protection"] is True
    tg = by_id(full, "aws_lb_target_group", "LoadBalancer/TargetGroup")
    assert tg["port"] == 8080 and tg["deregistration_delay"] == "15"
    hc = tg["health_check"]
    assert (hc["path"], hc["interval"], hc["timeout"], hc["healthy_threshold"], hc["unhealthy_threshold"]) == (
        "/healthz", 6, 4, 3, 4,
    )  # fmt: skip


def test_route53_alias_when_zone_and_domain_are_set(full: dict[str, Any]) -> None:
    record = by_id(full, "aws_route53_record", "LoadBalancer/AliasRecord")
    assert (record["name"], record["type"]) == ("app.example.com", "A")
    assert record["zone_id"] == "${data.aws_route53_zone.LoadBalancer_HostedZone_93EB9157.zone_id}"
    alias = record["alias"]
    assert "aws_lb.LoadBalancer" in alias["name"] and alias["name"].endswith(".dns_name}")
    assert alias["zone_id"].endswith(".zone_id}") and alias["evaluate_target_health"] is True


def test_http_forwards_when_a_certificate_is_set_and_redirect_is_turned_off() -> None:
    from cdktf import TerraformStack, Testing

    from modules.listener_target import ListenerTarget
    from modules.load_balancer import LoadBalancer

    stack = TerraformStack(Testing.app(), "test")
    cfg = LoadBalancerConfig(certificate_arn=CERT_ARN, redirect_http_to_https=False)
    lb = LoadBalancer(stack, "LoadBalancer", props=_props(config=cfg))
    assert lb.https and len(lb.listeners) == 2 and [r.port for r in lb.forwarding_refs] == [80, 443]
    assert lb.service_url.startswith("https://")
    ListenerTarget(lb, load_balancer=lb, props=_target())
    synthesized = json.loads(Testing.synth(stack))
    for listener_id in ("LoadBalancer/HttpListener", "LoadBalancer/HttpsListener"):
        (action,) = by_id(synthesized, "aws_lb_listener", listener_id)["default_action"]
        assert action["type"] == "forward" and "aws_lb_target_group.LoadBalancer_TargetGroup_" in action["target_group_arn"]


def test_service_url_prefers_the_domain() -> None:
    from cdktf import TerraformStack, Testing

    from modules.load_balancer import LoadBalancer

    stack = TerraformStack(Testing.app(), "test")
    cfg = LoadBalancerConfig(domain_name="app.example.com", hosted_zone_name="example.com")
    lb = LoadBalancer(stack, "LoadBalancer", props=_props(config=cfg))
    assert lb.service_url == "https://app.example.com" and lb.https and lb.certificate is not None
    plain = LoadBalancer(stack, "Plain", props=_props(alb_name="x-alb"))
    assert plain.service_url.startswith("http://") and not plain.https
    assert plain.certificate is None and plain.certificate_arn is None


def _synth(config: LoadBalancerConfig) -> dict[str, Any]:
    from cdktf import TerraformStack, Testing

    from modules.load_balancer import LoadBalancer

    stack = TerraformStack(Testing.app(), "test")
    LoadBalancer(stack, "LoadBalancer", props=_props(config=config))
    return dict(json.loads(Testing.synth(stack)))


# ---- validation: one test per rule -----------------------------------------------------------


def _props(*, config: LoadBalancerConfig | None = None, **overrides: Any) -> Any:
    """Props as the stack makes them from a ``load_balancer`` config table (defaults unless given)."""
    from modules.load_balancer import LoadBalancerProps
    from stacks.props import load_balancer_options

    options = load_balancer_options(config or LoadBalancerConfig())
    kwargs: dict[str, Any] = dict(name="app-test", alb_name="app-test-alb", vpc_id="vpc-1", public_subnet_ids=SUBNETS)
    kwargs.update({f: getattr(options, f) for f in type(options).__dataclass_fields__}, **overrides)
    return LoadBalancerProps(**kwargs)


def _target(**overrides: Any) -> Any:
    """Target props as the web service makes them from a default ``load_balancer`` table (defaults unless given)."""
    from modules.listener_target import TargetProps
    from stacks.props import target_options

    options = target_options(LoadBalancerConfig())
    kwargs: dict[str, Any] = dict(target_group_name="app-test-tg", port=3000, health_check_path="/health")
    kwargs.update({f: getattr(options, f) for f in type(options).__dataclass_fields__}, **overrides)
    return TargetProps(**kwargs)


def test_props_defaults_are_the_config_defaults() -> None:
    from modules.listener_target import TargetProps
    from modules.load_balancer import LoadBalancerProps

    plain = LoadBalancerProps(name="app-test", alb_name="app-test-alb", vpc_id="vpc-1", public_subnet_ids=SUBNETS)
    assert plain == _props(redirect_http_to_https=None)
    assert not plain.tls and not plain.redirects_http and not plain.creates_certificate
    assert TargetProps(target_group_name="app-test-tg", port=3000, health_check_path="/health") == _target()


def test_domain_without_zone_is_rejected() -> None:
    with pytest.raises(ValueError, match=r"domain_name='app\.example\.com' and hosted_zone_name=None; allowed: both or neither"):
        _props(domain_name="app.example.com")


def test_redirect_without_tls_is_rejected() -> None:
    with pytest.raises(ValueError, match=r"redirect_http_to_https=True needs TLS; allowed: set certificate_arn"):
        _props(redirect_http_to_https=True)


def test_alb_name_over_32_characters_is_rejected() -> None:
    name = "a" * 33
    with pytest.raises(ValueError, match=r"LoadBalancerProps\.alb_name='a{33}' is 33 characters; allowed: at most 32"):
        _props(alb_name=name)


def test_target_group_name_over_32_characters_is_rejected() -> None:
    with pytest.raises(ValueError, match=r"TargetProps\.target_group_name='b{40}' is 40 characters; allowed: at most 32"):
        _target(target_group_name="b" * 40)


def test_target_port_out_of_range_is_rejected() -> None:
    with pytest.raises(ValueError, match=r"TargetProps\.port=70000; allowed: 1\.\.65535"):
        _target(port=70000)


def test_relative_health_check_path_is_rejected() -> None:
    with pytest.raises(ValueError, match=r"TargetProps\.health_check_path='health'; allowed: an absolute path"):
        _target(health_check_path="health")


@pytest.mark.parametrize(
    ("routing", "message"),
    [
        (dict(paths=("/api/*",)), r"priority=None with hosts/paths set; allowed: 1\.\.50000"),
        (dict(priority=5), r"priority=5 without hosts or paths; allowed: no priority for the listener's default"),
        (dict(paths=("/a",), priority=0), r"priority=0; allowed: 1\.\.50000"),
        (dict(paths=("/a", "/b", "/c"), hosts=("a.example.com", "b.example.com", "c.example.com"), priority=1),
         r"6 host/path values; allowed: at most 5 per listener rule"),
        (dict(paths=("api/*",), priority=1), r"paths value 'api/\*'; allowed: a path pattern starting with '/'"),
        (dict(hosts=("api example.com",), priority=1), r"hosts value 'api example.com' contains  ; allowed: letters"),
        (dict(paths=("/" + "a" * 128,), priority=1), r"paths value '/a+' is 129 characters; allowed: 1\.\.128"),
    ],
)  # fmt: skip
def test_routing_rules_are_checked(routing: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=r"TargetProps\." + message):
        _target(**routing)


def test_a_second_default_target_is_rejected() -> None:
    from cdktf import TerraformStack, Testing
    from constructs import Construct

    from modules.listener_target import ListenerTarget
    from modules.load_balancer import LoadBalancer

    stack = TerraformStack(Testing.app(), "test")
    lb = LoadBalancer(stack, "LoadBalancer", props=_props())
    ListenerTarget(lb, load_balancer=lb, props=_target())
    with pytest.raises(ValueError, match=r"already forwards by default to another target group; allowed: one default"):
        ListenerTarget(Construct(stack, "Other"), load_balancer=lb, props=_target(target_group_name="other-tg"))


def test_routed_targets_get_one_rule_per_forwarding_listener_and_no_target_means_404() -> None:
    from cdktf import TerraformStack, Testing
    from constructs import Construct

    from modules.listener_target import ListenerTarget
    from modules.load_balancer import LoadBalancer

    stack = TerraformStack(Testing.app(), "test")
    lb = LoadBalancer(stack, "LoadBalancer", props=_props(certificate_arn=CERT_ARN, redirect_http_to_https=True))
    api = ListenerTarget(Construct(stack, "Api"), load_balancer=lb,
                         props=_target(target_group_name="api-tg", hosts=("api.example.com",), paths=("/v1/*",),
                                       priority=10))  # fmt: skip
    synthesized = json.loads(Testing.synth(stack))
    assert len(api.rules) == 1  # HTTP only redirects: the rule sits on the HTTPS listener
    rule = by_id(synthesized, "aws_lb_listener_rule", "Api/Rule443")
    assert rule["priority"] == 10 and "aws_lb_listener.LoadBalancer_HttpsListener_" in rule["listener_arn"]
    assert rule["condition"] == [{"host_header": {"values": ["api.example.com"]}}, {"path_pattern": {"values": ["/v1/*"]}}]
    (action,) = rule["action"]
    assert action["type"] == "forward" and "aws_lb_target_group.Api_TargetGroup_" in action["target_group_arn"]
    (default,) = by_id(synthesized, "aws_lb_listener", "LoadBalancer/HttpsListener")["default_action"]
    assert default["type"] == "fixed-response" and default["fixed_response"]["status_code"] == "404"


def test_a_single_public_subnet_is_rejected() -> None:
    with pytest.raises(ValueError, match=r"public_subnet_ids has 1 subnet\(s\); allowed: at least 2"):
        _props(public_subnet_ids=SUBNETS[:1])


def test_environment_names_are_checked_by_the_naming_helper() -> None:
    from rules.naming import LIMITS, physical_name

    assert physical_name("flask-app", "staging", "alb", limit=LIMITS["alb"]) == "flask-app-staging-alb"
    with pytest.raises(ValueError, match=r"is 36 characters; allowed: at most 32"):
        physical_name("a-very-long-application-name", "prod", "tg", limit=LIMITS["target_group"])
