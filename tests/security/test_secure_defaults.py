"""Secure defaults, verified on the synthesized JSON of every environment.

* tasks run in private subnets without public IPs, unless the environment opts in
  (``network.tasks_in_public_subnets``, which the config model forbids in production);
* the task security group admits traffic only from other security groups, on the container
  port: the ALB's, plus the groups listed in ``service.discovery_client_security_group_ids``
  (none in the shipped environments);
* every environment serves HTTPS (TLS 1.3 policy) with a DNS-validated certificate, and port 80
  only redirects to it;
* the ALB drops invalid header fields;
* ECR scans on push and its tags are immutable;
* every log group has a retention period CloudWatch supports, and a KMS key;
* no environment variable with a secret-looking name is passed in plain ``environment``: such
  values come through ``secrets`` (an ARN), never as text in the task definition.
"""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from envconfig import load_environments
from rules.logs import LOG_RETENTION_DAYS
from tests.conftest import own, resources

ENVS = ["local", "dev", "staging", "prod"]
CONFIGS = load_environments()
#: Parts of a variable name that mark it as a credential (split on "_"), or a suffix like "APIKEY".
SECRET_WORDS = {"PASSWORD", "PASSWD", "PWD", "SECRET", "TOKEN", "KEY", "APIKEY", "CREDENTIAL", "CREDENTIALS",
                "PRIVATE", "AUTH", "CERT", "PASSPHRASE", "SESSION", "COOKIE", "SIGNATURE", "DSN"}  # fmt: skip
SECRET_SUFFIX = re.compile(r"(PASSWORD|PASSWD|SECRET|TOKEN|APIKEY|ACCESSKEY|PRIVATEKEY)$")


def looks_secret(name: str) -> bool:
    upper = name.upper()
    return bool(SECRET_WORDS & set(upper.split("_"))) or bool(SECRET_SUFFIX.search(upper.replace("_", "")))


def ref_id(value: str) -> str:
    """``${aws_security_group.X.id}`` -> ``aws_security_group.X``."""
    match = re.fullmatch(r"\$\{([a-z0-9_]+\.[A-Za-z0-9_-]+)\.[a-z_]+\}", value)
    assert match, value
    return match.group(1)


def _one(stack: dict[str, Any], rtype: str) -> dict[str, Any]:
    """The one resource of ``rtype`` of the environment's own web service (not of a further workload)."""
    (body,) = own(stack, rtype).values()
    return body


def _containers(stack: dict[str, Any]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for td in resources(stack, "aws_ecs_task_definition").values():
        out.extend(json.loads(td["container_definitions"]))
    return out


@pytest.mark.parametrize("env", ENVS)
def test_tasks_private_without_public_ip_unless_opted_in(env: str, synth_all: dict[str, Any]) -> None:
    stack = synth_all[env]
    opted_in = CONFIGS[env].network.tasks_in_public_subnets
    networks = [s["network_configuration"] for s in resources(stack, "aws_ecs_service").values()]
    networks += [s["target"]["ecs_parameters"]["network_configuration"]
                 for s in resources(stack, "aws_scheduler_schedule").values()]  # fmt: skip
    assert len(networks) == 1 + len(CONFIGS[env].workloads)  # every service and every job
    for net in networks:
        subnets = {ref_id(s) for s in net["subnets"]}
        tiers = {resources(stack, "aws_subnet")[name.split(".", 1)[1]]["tags"]["Tier"] for name in subnets}
        assert net["assign_public_ip"] is opted_in
        assert tiers == ({"public"} if opted_in else {"private"})
    for subnet in resources(stack, "aws_subnet").values():
        assert subnet.get("map_public_ip_on_launch") in (None, False)
    if CONFIGS[env].production:
        assert not opted_in


def test_only_dev_opts_into_public_tasks() -> None:
    assert [e for e in ENVS if CONFIGS[e].network.tasks_in_public_subnets] == ["dev"]


@pytest.mark.parametrize("env", ENVS)
def test_task_security_group_admits_only_security_groups(env: str, synth_all: dict[str, Any]) -> None:
    stack = synth_all[env]
    service = _one(stack, "aws_ecs_service")
    (task_sg,) = [ref_id(s) for s in service["network_configuration"]["security_groups"]]
    alb_sgs = {ref_id(s) for s in _one(stack, "aws_lb")["security_groups"]}
    port = CONFIGS[env].container.port
    rules = [r for r in resources(stack, "aws_vpc_security_group_ingress_rule").values()
             if ref_id(r["security_group_id"]) == task_sg]  # fmt: skip
    sources = set()
    for rule in rules:
        assert set(rule) & {"cidr_ipv4", "cidr_ipv6", "prefix_list_id"} == set(), rule
        assert (rule["from_port"], rule["to_port"], rule["ip_protocol"]) == (port, port, "tcp"), rule
        sources.add(ref_id(rule["referenced_security_group_id"]))
    # no inline or legacy rules that could add other sources
    assert "ingress" not in resources(stack, "aws_security_group")[task_sg.split(".", 1)[1]]
    assert not resources(stack, "aws_security_group_rule")
    assert alb_sgs <= sources
    assert sources - alb_sgs == set(CONFIGS[env].service.discovery_client_security_group_ids)
    # the stack creates no security group other than the ALB's, the tasks' and the VPC endpoints'
    assert not [n for n in resources(stack, "aws_security_group") if n.startswith("Discovery_")]
    # a worker's and a job's tasks admit nothing: they call out, nobody calls them
    for name, workload in CONFIGS[env].workloads.items():
        if workload.kind in ("worker", "job"):
            groups = {"aws_security_group.%s" % n for n in resources(stack, "aws_security_group")
                      if n.startswith("Workload-%s_" % name)}  # fmt: skip
            assert len(groups) == 1, (name, groups)
            assert not [r for r in resources(stack, "aws_vpc_security_group_ingress_rule").values()
                        if ref_id(r["security_group_id"]) in groups], name  # fmt: skip


@pytest.mark.parametrize("env", ENVS)
def test_https_with_tls13_and_port_80_only_redirects(env: str, synth_all: dict[str, Any]) -> None:
    stack = synth_all[env]
    listeners = {body["port"]: body for body in resources(stack, "aws_lb_listener").values()}
    release = CONFIGS[env].release
    # A blue/green environment adds its test listener, HTTPS like the production one.
    assert sorted(listeners) == sorted([80, 443, *([release.test_listener_port] if release.blue_green else [])])
    for port in sorted(set(listeners) - {80}):
        assert listeners[port]["protocol"] == "HTTPS", port
        assert listeners[port]["ssl_policy"] == "ELBSecurityPolicy-TLS13-1-2-2021-06", port
        assert listeners[port]["certificate_arn"].startswith("${aws_acm_certificate_validation."), port
    (redirect,) = listeners[80]["default_action"]
    assert redirect == {"type": "redirect", "redirect": {"port": "443", "protocol": "HTTPS", "status_code": "HTTP_301"}}
    (cert,) = resources(stack, "aws_acm_certificate").values()
    assert cert["domain_name"] == CONFIGS[env].load_balancer.domain_name and cert["validation_method"] == "DNS"


@pytest.mark.parametrize("env", ENVS)
def test_alb_drops_invalid_headers(env: str, synth_all: dict[str, Any]) -> None:
    alb = _one(synth_all[env], "aws_lb")
    assert alb["drop_invalid_header_fields"] is True
    assert alb["load_balancer_type"] == "application"


@pytest.mark.parametrize("env", ENVS)
def test_ecr_scans_on_push_and_tags_are_immutable(env: str, synth_all: dict[str, Any]) -> None:
    repo = _one(synth_all["%s-registry" % env], "aws_ecr_repository")
    assert repo["image_scanning_configuration"] == {"scan_on_push": True}
    assert repo["image_tag_mutability"] == "IMMUTABLE"


@pytest.mark.parametrize("stack_name", sorted([*ENVS, *("%s-registry" % e for e in ENVS)]))
def test_every_log_group_has_retention_and_a_key(stack_name: str, synth_all: dict[str, Any]) -> None:
    groups = resources(synth_all[stack_name], "aws_cloudwatch_log_group")
    for name, group in groups.items():
        assert group.get("retention_in_days") in LOG_RETENTION_DAYS, (stack_name, name)
        assert str(group.get("kms_key_id", "")).startswith("${aws_kms_key."), (stack_name, name)
    if not stack_name.endswith("-registry"):
        assert groups, "the service stack has log groups"


@pytest.mark.parametrize("env", ENVS)
def test_no_secret_looking_plain_environment_variables(env: str, synth_all: dict[str, Any]) -> None:
    containers = _containers(synth_all[env])
    assert containers
    for container in containers:
        plain = [item["name"] for item in container.get("environment", [])]
        assert plain or container["name"] != "app", "the app gets at least PORT/APP_ENV"
        leaked = [name for name in plain if looks_secret(name)]
        assert leaked == [], "%s: %s look like secrets; pass them through container.secrets" % (env, leaked)
        for secret in container.get("secrets", []):
            assert re.match(r"^arn:aws[a-z-]*:(ssm|secretsmanager):", secret["valueFrom"]), secret


@pytest.mark.parametrize(
    ("name", "secret"),
    [("DB_PASSWORD", True), ("API_KEY", True), ("GITHUB_TOKEN", True), ("STRIPE_SECRET", True),
     ("SENTRYAPIKEY", True), ("AWS_SECRET_ACCESS_KEY", True), ("SESSION_SECRET", True), ("JWT_SIGNATURE", True),
     ("LOG_LEVEL", False), ("PORT", False), ("APP_ENV", False), ("KEYBOARD_LAYOUT", False), ("TOKENIZER", False)],
)  # fmt: skip
def test_secret_name_detector(name: str, secret: bool) -> None:
    assert looks_secret(name) is secret
