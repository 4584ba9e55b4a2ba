"""All four workload kinds in one environment: what stacks/workloads.py wires, and that Terraform accepts it.

The shipped environments run a worker and a job; this test adds a web workload on the shared
ALB, a web workload behind an NLB of its own and a backend called by the web service, so every
kind (and both load balancers) is synthesized, checked and validated.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import resources, run_terraform

CERT = "arn:aws:acm:ap-southeast-1:123456789012:certificate/0123abcd-45ef-67ab-89cd-0123456789ab"
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
[environments.local.workloads.stream]
kind = "web"
nlb = { port = 8443, certificate_arn = "%s", ingress_cidrs = ["198.51.100.0/24"] }
""" % CERT
NLB_ONLY = """
[environments.local.workloads.stream]
kind = "web"
nlb = { protocol = "TCP", port = 9000 }
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
    assert [n for n in resources(stack, "aws_lb") if not n.startswith("Workload-stream_")] == ["LoadBalancer_10456B95"]
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


# ---- a web workload behind an NLB of its own ------------------------------------------------------


def test_a_web_workload_with_nlb_gets_its_own_tls_listener_target_group_and_security_group(stack: dict[str, Any]) -> None:
    ((nlb_name, nlb),) = _named(stack, "aws_lb", "stream").items()
    assert nlb["load_balancer_type"] == "network" and nlb["name"] == "flask-app-local-stream-nlb"
    assert nlb["internal"] is False and nlb["enable_cross_zone_load_balancing"] is True
    (nlb_group,) = nlb["security_groups"]
    ((_, listener),) = _named(stack, "aws_lb_listener", "stream").items()
    assert (listener["port"], listener["protocol"], listener["certificate_arn"]) == (8443, "TLS", CERT)
    assert listener["ssl_policy"] == "ELBSecurityPolicy-TLS13-1-2-2021-06"
    ((tg_name, tg),) = _named(stack, "aws_lb_target_group", "stream").items()
    assert (tg["protocol"], tg["port"], tg["target_type"]) == ("TCP", 3000, "ip")
    assert (tg["health_check"]["protocol"], tg["health_check"]["path"]) == ("HTTP", "/health")
    assert listener["default_action"] == [{"type": "forward", "target_group_arn": "${aws_lb_target_group.%s.arn}" % tg_name}]
    ingress = [r for r in resources(stack, "aws_vpc_security_group_ingress_rule").values() if r["security_group_id"] == nlb_group]
    assert [(r["from_port"], r.get("cidr_ipv4")) for r in ingress] == [(8443, "198.51.100.0/24")]
    ((_, service),) = _named(stack, "aws_ecs_service", "stream").items()
    assert service["load_balancer"] == [{"target_group_arn": "${aws_lb_target_group.%s.arn}" % tg_name,
                                         "container_name": "app", "container_port": 3000}]  # fmt: skip
    assert any(d.startswith("aws_lb_listener.Workload-stream_") for d in service["depends_on"])
    (task_group,) = service["network_configuration"]["security_groups"]
    into_tasks = [r for r in resources(stack, "aws_vpc_security_group_ingress_rule").values() if r["security_group_id"] == task_group]
    assert [(r["referenced_security_group_id"], r["from_port"]) for r in into_tasks] == [(nlb_group, 3000)]
    out_of_nlb = [r for r in resources(stack, "aws_vpc_security_group_egress_rule").values() if r["security_group_id"] == nlb_group]
    assert [(r["referenced_security_group_id"], r["from_port"]) for r in out_of_nlb] == [(task_group, 3000)]
    assert len(resources(stack, "aws_lb")) == 2  # the shared ALB is untouched beside it
    assert not _named(stack, "aws_lb_listener_rule", "stream")
    ((_, alarm),) = _named(stack, "aws_cloudwatch_metric_alarm", "stream").items()
    assert alarm["namespace"] == "AWS/NetworkELB" and alarm["metric_name"] == "UnHealthyHostCount"
    assert alarm["dimensions"]["LoadBalancer"] == "${aws_lb.%s.arn_suffix}" % nlb_name
    ((_, scaling),) = _named(stack, "aws_appautoscaling_policy", "stream").items()
    assert scaling["target_tracking_scaling_policy_configuration"]["predefined_metric_specification"][
        "predefined_metric_type"] == "ECSServiceAverageCPUUtilization"  # fmt: skip
    assert stack["output"]["workloads"]["value"]["stream"]["service_url"] == (
        "https://${aws_lb.%s.dns_name}:8443" % nlb_name
    )


def test_a_tcp_nlb_passes_bytes_through(tmp_path: Path) -> None:
    import main
    from envconfig import DEFAULT_FILE

    config = tmp_path / "environments.toml"
    config.write_text(DEFAULT_FILE.read_text() + NLB_ONLY)
    main.build(str(tmp_path / "out"), config=config, only=["local"])
    stack = json.loads((tmp_path / "out" / "stacks" / "local" / "cdk.tf.json").read_text())
    ((_, listener),) = _named(stack, "aws_lb_listener", "stream").items()
    assert (listener["port"], listener["protocol"]) == (9000, "TCP")
    assert "certificate_arn" not in listener and "ssl_policy" not in listener
    assert stack["output"]["workloads"]["value"]["stream"]["service_url"].startswith("http://${aws_lb.")
