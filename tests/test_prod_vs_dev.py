"""What differs between prod and dev in the synthesized stacks, and why (each difference is intended)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from envconfig import load_environments
from tests.service_stack import all_of, web_of


@pytest.fixture(scope="module")
def prod(synth_all: dict[str, dict[str, Any]]) -> dict[str, Any]:
    return synth_all["prod"]


@pytest.fixture(scope="module")
def dev(synth_all: dict[str, dict[str, Any]]) -> dict[str, Any]:
    return synth_all["dev"]


def _one(stack: dict[str, Any], rtype: str) -> dict[str, Any]:
    (body,) = web_of(stack, rtype)
    return body


def test_every_alb_is_deletion_protected_prod_cannot_turn_it_off(prod: dict[str, Any], dev: dict[str, Any]) -> None:
    # on unless set (make destroy turns it off first); the config model refuses it off in production only
    assert _one(prod, "aws_lb")["enable_deletion_protection"] is True
    assert _one(dev, "aws_lb")["enable_deletion_protection"] is True


def test_prod_tasks_are_private_dev_tasks_are_public_without_nat(prod: dict[str, Any], dev: dict[str, Any]) -> None:
    p = _one(prod, "aws_ecs_service")["network_configuration"]
    d = _one(dev, "aws_ecs_service")["network_configuration"]
    assert p["assign_public_ip"] is False and all("PrivateSubnet" in s for s in p["subnets"])
    assert d["assign_public_ip"] is True and all("PublicSubnet" in s for s in d["subnets"])
    assert len(all_of(prod, "aws_nat_gateway")) == 3
    assert all_of(dev, "aws_nat_gateway") == []


def test_only_dev_prints_the_public_subnet_warning() -> None:
    from stacks.service import public_subnet_warning

    configs = load_environments()
    warning = public_subnet_warning(configs["dev"])
    assert warning is not None and "PUBLIC subnets" in warning and "NAT" in warning and warning.startswith("warning: dev:")
    assert [public_subnet_warning(configs[e]) for e in ("local", "staging", "prod")] == [None, None, None]


def test_prod_spans_three_azs_dev_two(prod: dict[str, Any], dev: dict[str, Any]) -> None:
    assert len(_one(prod, "aws_ecs_service")["network_configuration"]["subnets"]) == 3
    assert len(_one(dev, "aws_ecs_service")["network_configuration"]["subnets"]) == 2
    assert len(_one(prod, "aws_lb")["subnets"]) == 3 and len(_one(dev, "aws_lb")["subnets"]) == 2


def test_prod_is_on_demand_dev_is_spot(prod: dict[str, Any], dev: dict[str, Any]) -> None:
    assert _one(prod, "aws_ecs_service")["capacity_provider_strategy"] == [
        {"base": 0, "capacity_provider": "FARGATE", "weight": 1}]
    assert _one(dev, "aws_ecs_service")["capacity_provider_strategy"] == [
        {"base": 0, "capacity_provider": "FARGATE_SPOT", "weight": 1}]


def test_prod_tasks_are_bigger_and_more_numerous(prod: dict[str, Any], dev: dict[str, Any]) -> None:
    p, d = _one(prod, "aws_ecs_task_definition"), _one(dev, "aws_ecs_task_definition")
    assert (p["cpu"], p["memory"]) == ("1024", "2048") and (d["cpu"], d["memory"]) == ("256", "512")
    assert _one(prod, "aws_ecs_service")["desired_count"] == 3 and _one(dev, "aws_ecs_service")["desired_count"] == 1
    pt, dt = _one(prod, "aws_appautoscaling_target"), _one(dev, "aws_appautoscaling_target")
    assert (pt["min_capacity"], pt["max_capacity"]) == (3, 12) and (dt["min_capacity"], dt["max_capacity"]) == (1, 2)


def test_prod_scales_on_requests_and_schedules_the_festival(prod: dict[str, Any], dev: dict[str, Any]) -> None:
    def metrics(stack: dict[str, Any]) -> set[str]:
        return {p["target_tracking_scaling_policy_configuration"]["predefined_metric_specification"]["predefined_metric_type"]
                for p in web_of(stack, "aws_appautoscaling_policy")}  # fmt: skip

    assert "ALBRequestCountPerTarget" in metrics(prod) and "ALBRequestCountPerTarget" not in metrics(dev)
    assert len(all_of(prod, "aws_appautoscaling_scheduled_action")) == 2
    assert all_of(dev, "aws_appautoscaling_scheduled_action") == []


def test_prod_keeps_logs_longer(prod: dict[str, Any], dev: dict[str, Any]) -> None:
    def retention(stack: dict[str, Any]) -> int:
        (group,) = [g for g in web_of(stack, "aws_cloudwatch_log_group") if g["name"].startswith("/ecs/")]
        return int(group["retention_in_days"])

    assert (retention(prod), retention(dev)) == (90, 7)


def test_prod_rolls_back_on_alarms_and_registers_in_cloud_map(prod: dict[str, Any], dev: dict[str, Any]) -> None:
    p, d = _one(prod, "aws_ecs_service"), _one(dev, "aws_ecs_service")
    assert p["alarms"]["rollback"] is True and "alarms" not in d
    assert "service_registries" in p and "service_registries" not in d
    assert p["deployment_circuit_breaker"] == d["deployment_circuit_breaker"] == {"enable": True, "rollback": True}


def test_prod_has_vpc_endpoints_dev_does_not(prod: dict[str, Any], dev: dict[str, Any]) -> None:
    assert len(all_of(prod, "aws_vpc_endpoint")) == 4 and all_of(dev, "aws_vpc_endpoint") == []


def test_both_serve_https_at_their_own_name_with_a_certificate_of_their_own(
    prod: dict[str, Any], dev: dict[str, Any]
) -> None:
    """TLS does not depend on the environment; only the name on the certificate and the alias does."""
    names = {}
    for env, stack in (("prod", prod), ("dev", dev)):
        (cert,) = all_of(stack, "aws_acm_certificate")
        (alias,) = [r for r in all_of(stack, "aws_route53_record") if r.get("type") == "A"]
        assert cert["domain_name"] == alias["name"]
        names[env] = cert["domain_name"]
        (zone,) = stack["data"]["aws_route53_zone"].values()
        assert (zone["name"], zone["private_zone"]) == ("flask-app.example.com", False)
        assert stack["output"]["service_url"]["value"] == "https://%s" % cert["domain_name"]
    assert names == {"prod": "flask-app.example.com", "dev": "dev.flask-app.example.com"}


def test_what_stays_the_same(prod: dict[str, Any], dev: dict[str, Any]) -> None:
    """The security posture and the app contract do not depend on the environment."""
    for stack in (prod, dev):
        listeners = {body["port"]: body for body in all_of(stack, "aws_lb_listener")}
        assert listeners[80]["default_action"][0]["type"] == "redirect"
        assert listeners[443]["ssl_policy"] == "ELBSecurityPolicy-TLS13-1-2-2021-06"
        assert "aws_acm_certificate_validation." in listeners[443]["certificate_arn"]
        container = json.loads(_one(stack, "aws_ecs_task_definition")["container_definitions"])[0]  # the app's
        assert container["readonlyRootFilesystem"] is True and container["user"] == "10001:10001"
        assert container["portMappings"][0]["containerPort"] == 3000
        assert _one(stack, "aws_lb")["drop_invalid_header_fields"] is True
        assert _one(stack, "aws_ecs_service")["lifecycle"] == {"ignore_changes": ["desired_count"]}
        rules = [r for r in all_of(stack, "aws_vpc_security_group_ingress_rule")
                 if "Service_TaskSecurityGroup" in r["security_group_id"]]  # fmt: skip
        assert rules and all("referenced_security_group_id" in r and "cidr_ipv4" not in r for r in rules)


def test_the_only_setting_level_differences_are_the_intended_ones() -> None:
    """A diff of the two configs: a new difference must be added here on purpose."""
    configs = load_environments()
    prod, dev = configs["prod"].model_dump(), configs["dev"].model_dump()

    def flat(d: dict[str, Any], prefix: str = "") -> dict[str, Any]:
        out: dict[str, Any] = {}
        for k, v in d.items():
            if isinstance(v, dict) and k not in ("environment", "secrets", "tags", "workloads"):
                out.update(flat(v, prefix + k + "."))
            else:
                out[prefix + k] = v
        return out

    fp, fd = flat(prod), flat(dev)
    differing = sorted(k for k in fp if fp[k] != fd.get(k))
    assert differing == sorted([
        "name", "account_id", "assume_role.role_arn", "assume_role.external_id", "production",
        "network.vpc_cidr", "network.az_count", "network.nat_mode", "network.vpc_endpoints",
        "network.tasks_in_public_subnets",
        "container.cpu", "container.memory_mib", "container.sidecars",  # prod's web task runs an OpenTelemetry collector
        "scaling.desired_count", "scaling.min_capacity", "scaling.max_capacity", "scaling.fargate_spot_percent",
        "scaling.requests_per_target", "scaling.scheduled_actions",
        "service.service_discovery_namespace", "service.deployment_alarms",
        "load_balancer.domain_name",
        "logging.retention_days",
        "access_logs.retention_days",  # prod keeps ALB access logs a year, dev a week
        "registry.force_delete", "registry.keep_last_images", "registry.untagged_expiry_days",
        "queue", "workloads",  # prod runs a worker and a nightly job; dev runs the web service alone
        "alarms.emails",  # prod's alarms notify someone (a placeholder to replace); dev's no one
    ])  # fmt: skip
