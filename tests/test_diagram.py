"""ops.diagram: the model drawn from the synthesized stacks, the plan's marks, the rendering, and the
checked-in picture of prod (docs/diagram/), which fails here when it is stale.

Refresh the picture after an intended change with ``make diagram ENV=prod DOCS=1``.
"""

from __future__ import annotations

import html
import io
import json
import random
import shutil
import struct
import zlib
from pathlib import Path
from typing import Any

import pytest

from ops import diagram
from tests.conftest import resources

ROOT = Path(__file__).resolve().parent.parent
PLANS = ROOT / "tests" / "fixtures" / "plans"
DOT = shutil.which("dot")
needs_dot = pytest.mark.skipif(
    DOT is None, reason="graphviz is not installed (no `dot` on PATH): apt-get install -y graphviz"
)


def env_graph(synth_all: dict[str, dict[str, Any]], env: str) -> diagram.Graph:
    docs = [synth_all["%s-registry" % env], synth_all[env]]
    return diagram.build(diagram.resources_from_stacks(docs), title="%s (synthesized stacks)" % env)


def node_of(graph: diagram.Graph, rtype: str, name: str) -> diagram.Node:
    owner = graph.owner("%s.%s" % (rtype, name))
    assert isinstance(owner, diagram.Node), "%s.%s is drawn by %r" % (rtype, name, owner)
    return owner


def edges_from(graph: diagram.Graph, source: str) -> dict[str, str]:
    return {e.target: e.label for e in graph.edges if e.source == source}


def web_service(stack: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    [(name, body)] = [(n, b) for n, b in resources(stack, "aws_ecs_service").items() if not n.startswith("Workload-")]
    return name, body


def png_size(path: Path) -> tuple[int, int]:
    """Width and height from a PNG's IHDR chunk, after checking the signature and the chunk's CRC."""
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "%s is not a PNG" % path
    length, kind = struct.unpack(">I4s", data[8:16])
    assert kind == b"IHDR" and length == 13
    body = data[16:29]
    (crc,) = struct.unpack(">I", data[29:33])
    assert zlib.crc32(kind + body) == crc, "%s: IHDR checksum mismatch" % path
    width, height = struct.unpack(">II", body[:8])
    return width, height


# ---------------------------------------------------------------------------------------------
# The model of prod, from its synthesized stacks
# ---------------------------------------------------------------------------------------------


def test_prod_request_path_route53_alb_service_container_log_group(synth_all: dict[str, dict[str, Any]]) -> None:
    prod = synth_all["prod"]
    graph = env_graph(synth_all, "prod")
    [(alb_name, alb)] = resources(prod, "aws_lb").items()
    [record_name] = [n for n, b in resources(prod, "aws_route53_record").items() if "alias" in b]
    service_name, service = web_service(prod)
    task_ref = service["task_definition"].split(".")[1]
    definitions = json.loads(resources(prod, "aws_ecs_task_definition")[task_ref]["container_definitions"])
    group_ref = definitions[0]["logConfiguration"]["options"]["awslogs-group"].split(".")[1]

    record_node = node_of(graph, "aws_route53_record", record_name)
    alb_node = node_of(graph, "aws_lb", alb_name)
    service_node = node_of(graph, "aws_ecs_service", service_name)
    log_node = node_of(graph, "aws_cloudwatch_log_group", group_ref)
    assert edges_from(graph, "clients") == {record_node.id: "DNS"}
    assert edges_from(graph, record_node.id) == {alb_node.id: "alias"}
    # the ALB forwards to the service only; its own alarms (ELB 5xx, ...) notify the alarm topic, and it
    # writes access logs to its bucket
    others = {"sns": ("alarm", "alarms"), "s3": ("access logs",)}
    edges = edges_from(graph, alb_node.id)
    forwards = {t: label for t, label in edges.items() if graph.nodes[t].kind not in others}
    assert forwards == {service_node.id: "HTTPS :443"}
    assert all(label.endswith(others[graph.nodes[t].kind]) for t, label in edges.items() if t not in forwards)
    assert (
        alb.get("name") in alb_node.label and "HTTPS :443" in alb_node.label and "HTTP :80 -> HTTPS" in alb_node.label
    )
    [app] = [t for t, label in edges_from(graph, service_node.id).items() if label == "runs"]
    assert graph.nodes[app].label.startswith(definitions[0]["name"])
    prefix = definitions[0]["logConfiguration"]["options"]["awslogs-stream-prefix"]
    assert edges_from(graph, app)[log_node.id] == "logs (%s/...)" % prefix
    assert resources(prod, "aws_cloudwatch_log_group")[group_ref]["name"] in log_node.label
    # the WAF filters the ALB and logs to its own group
    [(acl_name, _)] = resources(prod, "aws_wafv2_web_acl").items()
    assert edges_from(graph, node_of(graph, "aws_wafv2_web_acl", acl_name).id)[alb_node.id] == "filters"


def test_prod_sidecars_are_marked_and_every_container_is_drawn(synth_all: dict[str, dict[str, Any]]) -> None:
    prod = synth_all["prod"]
    graph = env_graph(synth_all, "prod")
    for name, task in resources(prod, "aws_ecs_task_definition").items():
        definitions = json.loads(task["container_definitions"])
        cluster_id = diagram._node_id("cluster", "aws_ecs_task_definition.%s" % name)
        drawn = sorted(n.label for n in graph.nodes.values() if n.cluster == cluster_id)
        assert len(drawn) == len(definitions), name
        sidecars = [label for label in drawn if "(sidecar)" in label]
        assert len(sidecars) == len(definitions) - 1, (name, drawn)
        assert task["family"] in graph.clusters[cluster_id].label


def test_prod_network_has_one_cluster_per_zone_with_its_subnets_and_nat(synth_all: dict[str, dict[str, Any]]) -> None:
    prod = synth_all["prod"]
    graph = env_graph(synth_all, "prod")
    subnets = resources(prod, "aws_subnet")
    zones = sorted({body["availability_zone"] for body in subnets.values()})
    assert len(zones) >= 2
    for zone in zones:
        cluster_id = diagram._node_id("cluster", "az", zone)
        inside = sorted(n.kind for n in graph.nodes.values() if n.cluster == cluster_id)
        expected = [s["tags"]["Tier"] + "_subnet" for s in subnets.values() if s["availability_zone"] == zone]
        nats = [
            n
            for n, b in resources(prod, "aws_nat_gateway").items()
            if subnets[b["subnet_id"].split(".")[1]]["availability_zone"] == zone
        ]
        assert inside == sorted([*expected, *["nat"] * len(nats)]), zone
    endpoints = {n.label.split("\n")[0] for n in graph.nodes.values() if n.kind == "endpoint"}
    assert endpoints == {b["service_name"].split(".", 3)[-1] for b in resources(prod, "aws_vpc_endpoint").values()}


def test_prod_queues_jobs_registry_and_autoscaling(synth_all: dict[str, dict[str, Any]]) -> None:
    prod = synth_all["prod"]
    graph = env_graph(synth_all, "prod")
    queues = resources(prod, "aws_sqs_queue")
    for name, body in queues.items():
        if "redrive_policy" in body:
            dlq = json.loads(body["redrive_policy"])
            target = node_of(graph, "aws_sqs_queue", dlq["deadLetterTargetArn"].split(".")[1])
            assert (
                edges_from(graph, node_of(graph, "aws_sqs_queue", name).id)[target.id]
                == "after %d receives" % (dlq["maxReceiveCount"])
            )
            assert "(dead-letter)" in target.label
    for name, schedule in resources(prod, "aws_scheduler_schedule").items():
        node = node_of(graph, "aws_scheduler_schedule", name)
        assert schedule["schedule_expression"] in node.label
        task = schedule["target"]["ecs_parameters"]["task_definition_arn"].split(".")[1]
        assert graph.nodes[diagram._node_id("aws_ecs_task_definition.%s" % task, "app")].id in edges_from(
            graph, node.id
        )
    [(repo, _)] = resources(synth_all["prod-registry"], "aws_ecr_repository").items()
    images = edges_from(graph, node_of(graph, "aws_ecr_repository", repo).id)
    assert len(images) == len(resources(prod, "aws_ecs_task_definition")) and set(images.values()) == {"image"}
    for name, target in resources(prod, "aws_appautoscaling_target").items():
        node = node_of(graph, "aws_appautoscaling_target", name)
        assert "%s..%s" % (target["min_capacity"], target["max_capacity"]) in node.label
        assert list(edges_from(graph, node.id).values()) == ["scales"]


def test_every_managed_resource_is_drawn_by_exactly_one_part(synth_all: dict[str, dict[str, Any]]) -> None:
    docs = [synth_all["prod-registry"], synth_all["prod"]]
    addresses = [r.address for r in diagram.resources_from_stacks(docs)]
    graph = env_graph(synth_all, "prod")
    drawn = [a for part in [*graph.nodes.values(), *graph.clusters.values()] for a in part.resources]
    assert sorted(drawn) == sorted(addresses)


def test_staging_draws_ec2_capacity_and_codedeploy(synth_all: dict[str, dict[str, Any]]) -> None:
    staging = synth_all["staging"]
    graph = env_graph(synth_all, "staging")
    [(asg_name, asg)] = resources(staging, "aws_autoscaling_group").items()
    asg_node = node_of(graph, "aws_autoscaling_group", asg_name)
    assert "%s..%s instances" % (asg["min_size"], asg["max_size"]) in asg_node.label
    service_name, _ = web_service(staging)
    service_node = node_of(graph, "aws_ecs_service", service_name)
    [(group_name, _)] = resources(staging, "aws_codedeploy_deployment_group").items()
    assert edges_from(graph, node_of(graph, "aws_codedeploy_deployment_group", group_name).id) == {
        service_node.id: "releases"
    }
    # the green target group and the test listener belong to the ALB's node
    [(alb_name, _)] = resources(staging, "aws_lb").items()
    alb_node = node_of(graph, "aws_lb", alb_name)
    for name in resources(staging, "aws_lb_target_group"):
        assert "aws_lb_target_group.%s" % name in alb_node.resources


def test_an_nlb_workload_gets_its_own_load_balancer_node() -> None:
    stack = {
        "resource": {
            "aws_lb": {"Nlb": {"name": "app-stream", "load_balancer_type": "network", "internal": False}},
            "aws_lb_target_group": {"Tg": {"port": 9000, "protocol": "TCP"}},
            "aws_lb_listener": {
                "Listener": {
                    "load_balancer_arn": "${aws_lb.Nlb.arn}",
                    "port": 8443,
                    "protocol": "TLS",
                    "default_action": [{"type": "forward", "target_group_arn": "${aws_lb_target_group.Tg.arn}"}],
                }
            },
            "aws_ecs_service": {
                "Svc": {"name": "app-stream", "load_balancer": [{"target_group_arn": "${aws_lb_target_group.Tg.arn}"}]}
            },
        }
    }
    graph = diagram.build(diagram.resources_from_stacks([stack]), title="nlb")
    nlb = node_of(graph, "aws_lb", "Nlb")
    assert nlb.kind == "nlb" and "TLS :8443" in nlb.label
    assert edges_from(graph, nlb.id) == {node_of(graph, "aws_ecs_service", "Svc").id: "TLS :8443"}


def test_the_model_is_deterministic(synth_all: dict[str, dict[str, Any]]) -> None:
    docs = [synth_all["prod-registry"], synth_all["prod"]]
    found = diagram.resources_from_stacks(docs)
    shuffled = list(found)
    random.Random(7).shuffle(shuffled)
    first = diagram.build(found, title="prod").to_json()
    assert diagram.build(shuffled, title="prod").to_json() == first
    assert env_graph(synth_all, "prod").to_json() == env_graph(synth_all, "prod").to_json()


# ---------------------------------------------------------------------------------------------
# The checked-in picture of prod (docs/diagram/): stale = fail
# ---------------------------------------------------------------------------------------------


def test_checked_in_prod_model_is_up_to_date(synth_all: dict[str, dict[str, Any]]) -> None:
    checked_in = (diagram.DOCS_DIR / "prod.json").read_text()
    assert env_graph(synth_all, "prod").to_json() == checked_in, (
        "docs/diagram/prod.* is stale: the synthesized prod stacks draw another picture; "
        "run `make diagram ENV=prod DOCS=1` and commit docs/diagram/"
    )


def test_checked_in_prod_pictures_show_the_alb_service_and_log_group(synth_all: dict[str, dict[str, Any]]) -> None:
    prod = synth_all["prod"]
    width, height = png_size(diagram.DOCS_DIR / "prod.png")
    assert width > 500 and height > 500
    svg = html.unescape((diagram.DOCS_DIR / "prod.svg").read_text())  # dot writes "-" as &#45;
    _, service = web_service(prod)
    [alb] = resources(prod, "aws_lb").values()
    groups = [g["name"] for g in resources(prod, "aws_cloudwatch_log_group").values() if g["name"].startswith("/ecs/")]
    for name in (alb["name"], service["name"], *groups):
        assert name in svg, name
    assert "data:image/png;base64," in svg and ".venv" not in svg, "the SVG's icons are embedded, not file paths"


@needs_dot
def test_rendering_prod_gives_a_png_that_opens_and_an_svg_that_names_its_parts(
    synth_all: dict[str, dict[str, Any]], tmp_path: Path
) -> None:
    prod = synth_all["prod"]
    graph = env_graph(synth_all, "prod")
    files = diagram.write(graph, tmp_path, "prod")
    assert sorted(p.name for p in files) == ["prod.json", "prod.png", "prod.svg"]
    assert (tmp_path / "prod.json").read_text() == graph.to_json()
    try:
        from PIL import Image
    except ImportError:
        width, height = png_size(tmp_path / "prod.png")
    else:
        with Image.open(tmp_path / "prod.png") as image:
            image.verify()
            width, height = image.size
    assert width > 500 and height > 500
    svg = html.unescape((tmp_path / "prod.svg").read_text())
    _, service = web_service(prod)
    [alb] = resources(prod, "aws_lb").values()
    for name in (alb["name"], service["name"], "/ecs/"):
        assert name in svg, name
    # the same model renders the same SVG (stable node ids, sorted order)
    diagram.render(graph, tmp_path / "again", "prod")
    assert html.unescape((tmp_path / "again" / "prod.svg").read_text()) == svg


# ---------------------------------------------------------------------------------------------
# Plans: created, changed, replaced and destroyed parts marked
# ---------------------------------------------------------------------------------------------


def fixture_plan(case: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((PLANS / ("%s.json" % case)).read_text())
    return data


def test_a_real_plan_marks_replaced_updated_and_unchanged_parts() -> None:
    plan = fixture_plan("replace_stateful")
    graph = diagram.mark(diagram.build(diagram.resources_from_plan(plan), title="fixture"), diagram.plan_actions(plan))
    by_address = {rc["address"]: rc["change"]["actions"] for rc in plan["resource_changes"] if rc["mode"] == "managed"}
    assert by_address["aws_ecr_repository.app"] == ["delete", "create"]
    ecr = graph.owner("aws_ecr_repository.app")
    assert ecr is not None and ecr.change == "replace" and ecr.changed == ("replace aws_ecr_repository.app",)
    vpc = graph.owner("aws_vpc.main")
    assert isinstance(vpc, diagram.Cluster) and vpc.change == "replace"
    assert by_address["aws_internet_gateway.main"] == ["update"]
    igw = graph.owner("aws_internet_gateway.main")
    assert igw is not None and igw.change == "update"
    assert by_address["aws_ecs_cluster.main[0]"] == ["no-op"]
    cluster = graph.owner("aws_ecs_cluster.main[0]")
    assert cluster is not None and cluster.change is None
    # the ALB is updated and its security group replaced: the strongest shows, both are listed
    alb = graph.owner("aws_lb.main")
    assert alb is not None and alb.change == "replace"
    assert diagram.change_label(alb) == "-/+ replace 1, ~ update 1"
    marked = diagram.changed_nodes(graph)
    unchanged = [p.id for p in [*graph.nodes.values(), *graph.clusters.values()] if p.resources and p.id not in marked]
    assert cluster.id in unchanged


def test_a_destroy_plan_marks_every_part_destroyed() -> None:
    plan = fixture_plan("destroy_all")
    graph = diagram.mark(diagram.build(diagram.resources_from_plan(plan), title="fixture"), diagram.plan_actions(plan))
    for rc in plan["resource_changes"]:
        owner = graph.owner(rc["address"])
        assert owner is not None and owner.change == "destroy", rc["address"]


def test_plan_marks_on_prod_and_a_removed_resource_gets_its_own_node(synth_all: dict[str, dict[str, Any]]) -> None:
    prod = synth_all["prod"]
    service_name, service = web_service(prod)
    task = resources(prod, "aws_ecs_task_definition")[service["task_definition"].split(".")[1]]
    role_ref = task["task_role_arn"].split(".")[1]
    [(alb_name, _)] = resources(prod, "aws_lb").items()
    changes = [
        ("aws_ecs_service.%s" % service_name, ["update"]),
        ("aws_iam_role.%s" % role_ref, ["create"]),
        ("aws_lb.%s" % alb_name, ["create", "delete"]),
        ("aws_s3_bucket.Gone_1234ABCD", ["delete"]),
    ]
    plan = {
        "resource_changes": [
            {"address": a, "mode": "managed", "type": a.split(".")[0], "change": {"actions": acts}}
            for a, acts in changes
        ]
    }
    graph = diagram.mark(env_graph(synth_all, "prod"), diagram.plan_actions(plan))
    assert node_of(graph, "aws_ecs_service", service_name).change == "update"
    assert node_of(graph, "aws_lb", alb_name).change == "replace"
    role_owner = graph.owner("aws_iam_role.%s" % role_ref)
    assert role_owner is not None and role_owner.change == "create"
    removed = graph.owner("aws_s3_bucket.Gone_1234ABCD")
    assert isinstance(removed, diagram.Node) and removed.change == "destroy"
    assert graph.clusters[str(removed.cluster)].label == "not in the configuration"
    assert len(diagram.changed_nodes(graph)) == 4


@needs_dot
def test_write_plan_diagram_renders_the_marks_and_links_them(synth_dir: Path, tmp_path: Path) -> None:
    plan = {
        "resource_changes": [
            {"address": rc, "mode": "managed", "change": {"actions": ["create", "delete"]}}
            for rc in [
                "aws_lb.%s" % n
                for n in resources(json.loads((synth_dir / "stacks/prod/cdk.tf.json").read_text()), "aws_lb")
            ]
        ]
    }
    log = io.StringIO()
    note = diagram.write_plan_diagram("prod", synth_dir, tmp_path, {"prod": plan}, log=log)
    assert note.startswith("Diagram of this plan: [diagram.svg](diagram.svg)")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["diagram.json", "diagram.png", "diagram.svg"]
    svg = html.unescape((tmp_path / "diagram.svg").read_text())
    assert "[-/+ replace 1]" in svg and diagram.ACTION_STYLE["replace"][1].lower() in svg.lower()
    png_size(tmp_path / "diagram.png")
    assert "diagram: %s" % (tmp_path / "diagram.svg") in log.getvalue()


def test_without_graphviz_make_plan_skips_the_diagram_in_one_line(
    synth_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(diagram.shutil, "which", lambda name: None)
    (tmp_path / "diagram.svg").write_text("an old diagram")  # a previous plan's picture does not survive
    log = io.StringIO()
    note = diagram.write_plan_diagram("prod", synth_dir, tmp_path, {}, log=log)
    [line] = log.getvalue().splitlines()
    assert line.startswith("   diagram: skipped: graphviz is not installed: the `dot` program is not on PATH")
    assert "apt-get install -y graphviz" in line
    assert note.startswith("Diagram of the plan skipped: graphviz is not installed")
    assert not (tmp_path / "diagram.svg").exists()


def test_make_diagram_without_graphviz_fails_naming_dot_and_the_install(
    synth_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(diagram.shutil, "which", lambda name: None)
    code = diagram.main(["--env", "prod", "--out", str(synth_dir), "--dir", str(tmp_path), "--no-synth"])
    assert code == 1
    err = capsys.readouterr().err
    assert "graphviz is not installed: the `dot` program is not on PATH" in err
    assert "apt-get install -y graphviz" in err
    assert list(tmp_path.iterdir()) == []


def test_make_diagram_of_an_unknown_environment_names_the_known_ones(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert diagram.main(["--env", "nope", "--dir", str(tmp_path), "--no-synth"]) == 1
    assert "nope" in capsys.readouterr().err


@needs_dot
def test_make_diagram_writes_the_three_files(
    synth_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert diagram.main(["--env", "staging", "--out", str(synth_dir), "--dir", str(tmp_path), "--no-synth"]) == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["staging.json", "staging.png", "staging.svg"]
    assert capsys.readouterr().out.rstrip().splitlines()[-1].startswith("diagram of staging: ")


def test_alarms_point_from_what_they_watch_to_the_topic_they_notify() -> None:
    topic = "${aws_sns_topic.Alerts.arn}"
    stack = {
        "resource": {
            "aws_sns_topic": {"Alerts": {"name": "app-alarms"}},
            "aws_sns_topic_subscription": {"Mail": {"topic_arn": topic, "protocol": "email", "endpoint": "a@b.c"}},
            "aws_ecs_service": {"Svc": {"name": "app-web"}},
            "aws_sqs_queue": {"Work": {"name": "app-work"}},
            "aws_cloudwatch_metric_alarm": {
                "Cpu": {"dimensions": {"ServiceName": "${aws_ecs_service.Svc.name}"}, "alarm_actions": [topic]},
                "Memory": {"dimensions": {"ServiceName": "${aws_ecs_service.Svc.name}"}, "alarm_actions": [topic]},
                "Age": {"dimensions": {"QueueName": "${aws_sqs_queue.Work.name}"}, "alarm_actions": [topic]},
            },
        }
    }
    graph = diagram.build(diagram.resources_from_stacks([stack]), title="alarms")
    sns = node_of(graph, "aws_sns_topic", "Alerts")
    assert sns.kind == "sns" and "email" in sns.label
    assert "aws_sns_topic_subscription.Mail" in sns.resources
    service, queue = node_of(graph, "aws_ecs_service", "Svc"), node_of(graph, "aws_sqs_queue", "Work")
    assert edges_from(graph, service.id) == {sns.id: "2 alarms"}
    assert edges_from(graph, queue.id) == {sns.id: "1 alarm"}
    assert graph.owner("aws_cloudwatch_metric_alarm.Age") == queue


def test_prod_failed_deployment_rule_points_to_the_alarm_topic(synth_all: dict[str, dict[str, Any]]) -> None:
    prod = synth_all["prod"]
    graph = env_graph(synth_all, "prod")
    [(topic_name, _)] = resources(prod, "aws_sns_topic").items()
    topic = node_of(graph, "aws_sns_topic", topic_name)
    rules = [(n, b) for n, b in resources(prod, "aws_cloudwatch_event_rule").items()
             if "ECS Deployment State Change" in b.get("event_pattern", "")]  # fmt: skip
    assert len(rules) == 1, rules
    rule = node_of(graph, "aws_cloudwatch_event_rule", rules[0][0])
    assert rule.kind == "event_rule" and "ECS Deployment State Change" in rule.label
    assert edges_from(graph, rule.id) == {topic.id: "events"}
    assert not [n for n in graph.nodes.values() if n.kind == "other"], "prod has parts the picture does not place"


def test_prod_alb_writes_access_logs_to_its_bucket(synth_all: dict[str, dict[str, Any]]) -> None:
    prod = synth_all["prod"]
    graph = env_graph(synth_all, "prod")
    [(alb_name, _)] = resources(prod, "aws_lb").items()
    [(bucket_name, bucket)] = resources(prod, "aws_s3_bucket").items()
    node = node_of(graph, "aws_s3_bucket", bucket_name)
    assert node.kind == "s3" and bucket["bucket"] in node.label
    [lifecycle] = resources(prod, "aws_s3_bucket_lifecycle_configuration").values()
    assert "kept %s days" % lifecycle["rule"][0]["expiration"][0]["days"] in node.label
    assert edges_from(graph, node_of(graph, "aws_lb", alb_name).id)[node.id] == "access logs"
    assert all(graph.owner("aws_s3_bucket_%s.%s" % (kind, name)) == node
               for kind in ("policy", "versioning", "lifecycle_configuration")
               for name in resources(prod, "aws_s3_bucket_%s" % kind))  # fmt: skip
