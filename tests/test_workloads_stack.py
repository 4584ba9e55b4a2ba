"""All four workload kinds in one environment: what stacks/workloads.py wires, and that Terraform accepts it.

The shipped environments run a worker and a job; this test adds a web workload on the shared
ALB and a backend called by the web service, so every kind is synthesized, checked and validated.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import resources, run_terraform

ALL_KINDS = """
[environments.local.workloads.admin]
kind = "web"
paths = ["/admin/*"]
priority = 10
container = { environment = { FEATURE = "admin" } }
[environments.local.workloads.pricing]
kind = "backend"
callers = ["web", "worker"]
container = { command = ["python", "-m", "app.worker"], port = 8080 }
"""


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    import main
    from envconfig import DEFAULT_FILE

    work = tmp_path_factory.mktemp("all-kinds")
    config = work / "environments.toml"
    config.write_text(DEFAULT_FILE.read_text() + ALL_KINDS)
    main.build(str(work / "out"), config=config, only=["local"])
    return dict(json.loads((work / "out" / "stacks" / "local" / "cdk.tf.json").read_text()))


def _named(stack: dict[str, Any], rtype: str, workload: str) -> dict[str, dict[str, Any]]:
    return {n: b for n, b in resources(stack, rtype).items() if n.startswith("Workload-%s_" % workload)}


def test_a_web_workload_gets_a_rule_on_the_shared_load_balancer(stack: dict[str, Any]) -> None:
    assert len(resources(stack, "aws_lb")) == 1
    ((tg_name, tg),) = _named(stack, "aws_lb_target_group", "admin").items()
    assert tg["name"] == "flask-app-local-admin-tg" and tg["health_check"]["path"] == "/health"
    ((rule_name, rule),) = _named(stack, "aws_lb_listener_rule", "admin").items()  # HTTP only redirects
    assert rule["priority"] == 10 and rule["condition"] == [{"path_pattern": {"values": ["/admin/*"]}}]
    assert "aws_lb_listener.LoadBalancer_HttpsListener_" in rule["listener_arn"]
    ((_, service),) = _named(stack, "aws_ecs_service", "admin").items()
    assert service["load_balancer"][0]["target_group_arn"] == "${aws_lb_target_group.%s.arn}" % tg_name
    assert "aws_lb_listener_rule.%s" % rule_name in service["depends_on"]
    (container,) = json.loads(next(iter(_named(stack, "aws_ecs_task_definition", "admin").values()))["container_definitions"])
    assert {"name": "FEATURE", "value": "admin"} in container["environment"]
    assert container["logConfiguration"]["options"]["awslogs-stream-prefix"] == "admin"


def test_a_backend_is_reached_through_cloud_map_by_its_callers_only(stack: dict[str, Any]) -> None:
    ((_, registration),) = _named(stack, "aws_service_discovery_service", "pricing").items()
    assert registration["name"] == "pricing"
    (namespace,) = resources(stack, "aws_service_discovery_private_dns_namespace")  # the web service's, shared
    assert registration["dns_config"]["namespace_id"] == "${aws_service_discovery_private_dns_namespace.%s.id}" % namespace
    ((_, service),) = _named(stack, "aws_ecs_service", "pricing").items()
    assert "load_balancer" not in service and "service_discovery_service" in service["service_registries"]["registry_arn"]
    (group,) = service["network_configuration"]["security_groups"]
    ingress = [r for r in resources(stack, "aws_vpc_security_group_ingress_rule").values() if r["security_group_id"] == group]
    callers = {r["referenced_security_group_id"] for r in ingress}
    web_group = "${aws_security_group.Service_TaskSecurityGroup_AC06778A.id}"
    worker_group = next(iter(_named(stack, "aws_ecs_service", "worker").values()))["network_configuration"]["security_groups"][0]
    assert callers == {web_group, worker_group} and {(r["from_port"], r["to_port"]) for r in ingress} == {(8080, 8080)}
    egress = _named(stack, "aws_vpc_security_group_egress_rule", "pricing")
    callers_out = {r["security_group_id"] for n, r in egress.items() if "EgressFrom" in n}
    assert callers_out == {web_group, worker_group}  # each caller may now call out to the backend's port
    assert all(r["referenced_security_group_id"] == group for n, r in egress.items() if "EgressFrom" in n)


def test_every_workload_task_is_in_the_private_subnets_and_logs_to_the_app_group(stack: dict[str, Any]) -> None:
    (app_group,) = [n for n in resources(stack, "aws_cloudwatch_log_group") if n.startswith("Service_LogGroup_")]
    for name, td in resources(stack, "aws_ecs_task_definition").items():
        (container,) = json.loads(td["container_definitions"])
        assert container["logConfiguration"]["options"]["awslogs-group"] == "${aws_cloudwatch_log_group.%s.name}" % app_group, name
    assert len(resources(stack, "aws_cloudwatch_log_group")) == 3  # the app's, flow logs, WAF: no group per workload


def test_terraform_validates_all_four_kinds(stack: dict[str, Any], terraform: str, tmp_path: Path) -> None:
    (tmp_path / "cdk.tf.json").write_text(json.dumps(stack))
    init = run_terraform(terraform, tmp_path, "init", "-backend=false", "-input=false")
    assert init.returncode == 0, init.stdout + init.stderr
    result = run_terraform(terraform, tmp_path, "validate", "-json")
    report = json.loads(result.stdout)
    assert report["valid"] is True, report["diagnostics"]


@pytest.mark.parametrize("env", ["local", "prod"])
def test_the_web_service_may_send_to_the_workers_queue_and_the_worker_may_consume_it(
    env: str, synth_all: dict[str, dict[str, Any]]
) -> None:
    """``queue = "worker"``: the web task role sends to that queue only; the worker's role consumes it only."""
    stack = synth_all[env]
    (queue,) = [n for n in resources(stack, "aws_sqs_queue") if n.startswith("Workload-worker_Queue_")
                and "DeadLetter" not in n]  # fmt: skip
    documents = stack["data"]["aws_iam_policy_document"]
    web = {st["sid"]: st for st in documents[next(n for n in documents if n.startswith("Service_TaskPolicyDocument"))]["statement"]}
    assert web["SendToQueue"]["resources"] == ["${aws_sqs_queue.%s.arn}" % queue]
    assert "sqs:SendMessage" in web["SendToQueue"]["actions"] and "sqs:ReceiveMessage" not in web["SendToQueue"]["actions"]
    worker_doc = next(d for n, d in documents.items() if n.startswith("Workload-worker_Service_TaskPolicyDocument"))
    worker = {st["sid"]: st for st in worker_doc["statement"]}
    assert worker["ConsumeQueue"]["resources"] == ["${aws_sqs_queue.%s.arn}" % queue]
    assert "sqs:SendMessage" not in worker["ConsumeQueue"]["actions"]
    (td,) = [t for n, t in resources(stack, "aws_ecs_task_definition").items() if n.startswith("Service_TaskDefinition")]
    (container,) = [c for c in json.loads(td["container_definitions"]) if c["name"] == "app"]
    variables = {e["name"]: e["value"] for e in container["environment"]}
    assert variables["QUEUE_URL"] == "${aws_sqs_queue.%s.url}" % queue
