"""Sidecars: the rules (rules/container.py), the config (envconfig), the task construct (modules/task.py)
and prod's OpenTelemetry collector in the synthesized stack.

Every rule has a ``pytest.raises(match=...)`` test whose message names the field, the value and what is
allowed; the container definitions are checked against botocore's ECS model (tests/ecs_shapes.py).
"""

from __future__ import annotations

import copy
import dataclasses
import json
import re
import tomllib
from pathlib import Path
from typing import Any

import pytest

from envconfig import DEFAULT_FILE, ConfigError, load_environments
from modules.container import ContainerOptions, SidecarHealthCheck, SidecarOptions, SidecarPort
from modules.task import PolicyStatement
from rules.container import (
    APP_MIN_CPU_UNITS,
    APP_MIN_MEMORY_MIB,
    DEPENDENCY_CONDITIONS,
    image_reference_problem,
    needs_route_out,
    private_ecr_repository,
    sidecars_problem,
)
from tests.conftest import resources, synth_construct
from tests.ecs_shapes import container_definition_shape, ecs_model, register_task_definition_input, validate
from tests.service_stack import web_of

COLLECTOR_IMAGE = "public.ecr.aws/aws-observability/aws-otel-collector:v0.43.1"
PRIVATE_IMAGE = "210987654321.dkr.ecr.eu-west-1.amazonaws.com/tools/proxy@sha256:" + "a" * 64
METRICS_GROUP = "arn:aws:logs:ap-southeast-1:777788889999:log-group:/aws/ecs/application/metrics"

COLLECTOR = SidecarOptions(
    name="otel", image=COLLECTOR_IMAGE, cpu=256, memory_reservation_mib=256,
    command=("--config=/etc/ecs/ecs-default-config.yaml",),
    port_mappings=(SidecarPort(container_port=4317), SidecarPort(container_port=4318)), otlp_http_port=4318,
    app_depends_on="HEALTHY", health_check=SidecarHealthCheck(command=("CMD", "/healthcheck"), start_period_seconds=10),
    user="4317:4317",
    task_role_statements=(PolicyStatement(sid="XRayWrite", actions=("xray:PutTraceSegments",), resources=("*",)),),
)  # fmt: skip
PROXY = SidecarOptions(
    name="proxy", image=PRIVATE_IMAGE, cpu=0, memory_reservation_mib=64, essential=True, environment={"MODE": "edge"},
    port_mappings=(SidecarPort(container_port=9901, protocol="udp"),), readonly_root_filesystem=False,
)  # fmt: skip


def _sidecar(**overrides: Any) -> SidecarOptions:
    return dataclasses.replace(COLLECTOR, **overrides)


def _problem(*sidecars: SidecarOptions, cpu: int = 1024, memory_mib: int = 2048, app_port: int | None = 3000,
             app_environment: tuple[str, ...] = ()) -> str | None:  # fmt: skip
    return sidecars_problem(sidecars, cpu=cpu, memory_mib=memory_mib, app_port=app_port, app_environment=app_environment)


# ---- rules: image references ------------------------------------------------------------------


@pytest.mark.parametrize(
    "image",
    [COLLECTOR_IMAGE, PRIVATE_IMAGE, "localhost:5000/otel:1.2", "registry.example.com:8443/team/agent:v2@sha256:" + "0" * 64,
     "ghcr.io/open-telemetry/opentelemetry-collector-releases/opentelemetry-collector-contrib:0.110.0",
     "public.ecr.aws/x/y:latest@sha256:" + "f" * 64],
)  # fmt: skip
def test_full_pinned_image_references_are_accepted(image: str) -> None:
    assert image_reference_problem(image) is None


@pytest.mark.parametrize(
    ("image", "message"),
    [
        ("otel/opentelemetry-collector:0.110.0", r"image='otel/opentelemetry-collector:0.110.0' does not name its registry; allowed: <registry>/<repository>:<tag> and/or @sha256:<digest>"),
        ("aws-otel-collector:v0.43.1", r"image='aws-otel-collector:v0.43.1' does not name its registry; allowed: "),
        ("public.ecr.aws/aws-observability/aws-otel-collector", r"image='public.ecr.aws/aws-observability/aws-otel-collector' has no tag or digest; allowed: "),
        ("public.ecr.aws/aws-observability/aws-otel-collector:latest", r"uses the moving tag 'latest'; allowed: "),
        ("public.ecr.aws/Upper/Case:1", r"image='public.ecr.aws/Upper/Case:1' is not an image reference; allowed: "),
        ("public.ecr.aws/x/y:1 ", r"is not an image reference; allowed: .* \(at most 255 characters\)"),
        ("public.ecr.aws/" + "a" * 250 + ":1", r"is not an image reference; allowed: .* \(at most 255 characters\)"),
    ],
)  # fmt: skip
def test_image_references_that_are_refused(image: str, message: str) -> None:
    problem = image_reference_problem(image)
    assert problem is not None and re.search(message, problem), problem
    with pytest.raises(ValueError, match=r"TaskProps\.container\.sidecars\[otel\]\.image="):
        _task_props(container=ContainerOptions(cpu=1024, memory_mib=2048, sidecars=(_sidecar(image=image),)))


def test_which_images_need_a_route_out() -> None:
    assert needs_route_out(COLLECTOR_IMAGE, "ap-southeast-1")
    assert needs_route_out(PRIVATE_IMAGE, "ap-southeast-1")  # ECR of another region: not behind the endpoints
    assert not needs_route_out(PRIVATE_IMAGE, "eu-west-1")
    assert private_ecr_repository(PRIVATE_IMAGE) == ("210987654321", "eu-west-1", "tools/proxy")
    assert private_ecr_repository(COLLECTOR_IMAGE) is None


# ---- rules: one sidecar --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"name": "Otel"}, r"^sidecars\[Otel\]\.name='Otel'; allowed: \[a-z\]"),
        ({"name": "x" * 33}, r"\.name='x{33}'; allowed: .*1-32 lowercase letters"),
        ({"name": "app"}, r"^sidecars\[app\]\.name='app' is the app container's name; allowed: any other name"),
        ({"cpu": -1}, r"^sidecars\[otel\]\.cpu=-1; allowed: >= 0 cpu units"),
        ({"memory_reservation_mib": 4}, r"^sidecars\[otel\]\.memory_reservation_mib=4; allowed: >= 6"),
        ({"user": "0:0"}, r"^sidecars\[otel\]\.user='0:0' must be a numeric non-root uid\[:gid\]; allowed: e\.g\. '10001:10001'"),
        ({"user": "root"}, r"^sidecars\[otel\]\.user='root' must be a numeric non-root"),
        ({"app_depends_on": "READY"}, r"^sidecars\[otel\]\.app_depends_on='READY'; allowed: START, HEALTHY, COMPLETE, SUCCESS"),
        ({"health_check": None}, r"^sidecars\[otel\]\.app_depends_on='HEALTHY' needs a health check; allowed: set health_check, or START"),
        ({"app_depends_on": "COMPLETE", "essential": True}, r"^sidecars\[otel\]\.app_depends_on='COMPLETE' with essential=true: .*; allowed: essential=false, or START/HEALTHY"),
        ({"app_depends_on": "SUCCESS", "essential": True}, r"^sidecars\[otel\]\.app_depends_on='SUCCESS' with essential=true"),
        ({"health_check": SidecarHealthCheck(command=("/healthcheck",))}, r"^sidecars\[otel\]\.health_check\.command=\['/healthcheck'\]; allowed: \['CMD', <program>"),
        ({"health_check": SidecarHealthCheck(command=("CMD", "/hc"), interval_seconds=3)}, r"health_check\.interval_seconds=3; allowed: 5\.\.300"),
        ({"health_check": SidecarHealthCheck(command=("CMD", "/hc"), timeout_seconds=61)}, r"health_check\.timeout_seconds=61; allowed: 2\.\.60"),
        ({"health_check": SidecarHealthCheck(command=("CMD", "/hc"), retries=0)}, r"health_check\.retries=0; allowed: 1\.\.10"),
        ({"health_check": SidecarHealthCheck(command=("CMD", "/hc"), start_period_seconds=301)}, r"health_check\.start_period_seconds=301; allowed: 0\.\.300"),
        ({"health_check": SidecarHealthCheck(command=("CMD", "/hc"), interval_seconds=5, timeout_seconds=5)}, r"health_check\.timeout_seconds=5; allowed: less than health_check\.interval_seconds=5"),
        ({"environment": {"1BAD": "x"}}, r"^sidecars\[otel\]\.environment variable name '1BAD' is not valid; allowed: "),
        ({"port_mappings": (SidecarPort(container_port=70000),), "otlp_http_port": None}, r"port_mappings\[0\]\.container_port=70000; allowed: 1\.\.65535"),
        ({"port_mappings": (SidecarPort(container_port=4318, protocol="sctp"),)}, r"port_mappings\[0\]\.protocol='sctp'; allowed: tcp, udp"),
        ({"port_mappings": (SidecarPort(container_port=4318), SidecarPort(container_port=4318))}, r"port_mappings=\[4318, 4318\] repeat a port; allowed: each port once"),
        ({"otlp_http_port": 4319}, r"^sidecars\[otel\]\.otlp_http_port=4319 is not one of its port_mappings; allowed: 4317, 4318"),
    ],
)  # fmt: skip
def test_a_bad_sidecar_is_refused(overrides: dict[str, Any], message: str) -> None:
    problem = _problem(_sidecar(**overrides))
    assert problem is not None and re.search(message, problem), problem
    with pytest.raises(ValueError, match=r"^TaskProps\.container\.sidecars\[.*\(task app-test-web\)$"):
        _task_props(container=ContainerOptions(cpu=1024, memory_mib=2048, sidecars=(_sidecar(**overrides),)))


def test_the_dependency_conditions_are_the_ecs_models() -> None:
    assert set(DEPENDENCY_CONDITIONS) == set(ecs_model().shape_for("ContainerCondition").enum)


# ---- rules: the sidecars of one task ---------------------------------------------------------------


def test_good_sidecars_pass() -> None:
    assert _problem(COLLECTOR, PROXY) is None
    assert _problem() is None


@pytest.mark.parametrize(
    ("sidecars", "kwargs", "message"),
    [
        ((COLLECTOR, _sidecar(otlp_http_port=None, port_mappings=())), {},
         r"^sidecars names \['otel', 'otel'\] repeat 'otel'; allowed: a name of its own for each container in the task$"),
        (tuple(_sidecar(name="s%d" % i, cpu=0, memory_reservation_mib=6, port_mappings=(), otlp_http_port=None,
                        app_depends_on=None) for i in range(10)), {},
         r"^sidecars has 10 entries; allowed: at most 9 \(a task holds 10 containers, one is the app\)$"),
        ((_sidecar(port_mappings=(SidecarPort(container_port=3000),), otlp_http_port=None),), {},
         r"^sidecars\[otel\]\.port_mappings container_port=3000 is also used by the app container \(port\); .*allowed: a"
         r" port no other container of the task uses$"),
        ((COLLECTOR, dataclasses.replace(PROXY, port_mappings=(SidecarPort(container_port=4317),))), {},
         r"^sidecars\[proxy\]\.port_mappings container_port=4317 is also used by sidecars\[otel\]"),
        ((COLLECTOR, _sidecar(name="otel2", port_mappings=(SidecarPort(container_port=14318),), otlp_http_port=14318)), {},
         r"^sidecars otel, otel2 all set otlp_http_port; allowed: one OTLP receiver per task$"),
        ((COLLECTOR,), {"app_environment": ("LOG_LEVEL", "OTEL_SERVICE_NAME")},
         r"^environment\.OTEL_SERVICE_NAME is set, but sidecars\[otel\] receives OTLP .*; allowed: any name except"
         r" OTEL_EXPORTER_OTLP_ENDPOINT, OTEL_SERVICE_NAME$"),
        ((COLLECTOR, dataclasses.replace(PROXY, cpu=256)), {"cpu": 512, "memory_mib": 1024},
         r"^sidecars\[\*\]\.cpu=512 in total \(otel=256, proxy=256\) with cpu=512 leaves the app container 0 cpu units;"
         r" allowed: at most 384 in total \(cpu=512 minus the app container's minimum of 128\), or a larger task$"),
        ((_sidecar(cpu=1024),), {},
         r"^sidecars\[\*\]\.cpu=1024 in total \(otel=1024\) with cpu=1024 leaves the app container 0 cpu units; allowed:"
         r" at most 896 in total \(cpu=1024 minus the app container's minimum of 128\), or a larger task$"),
        ((_sidecar(memory_reservation_mib=1900),), {},
         r"^sidecars\[\*\]\.memory_reservation_mib=1900 in total \(otel=1900\) with memory_mib=2048 leaves the app"
         r" container 148 MiB; allowed: at most 1792 in total \(memory_mib=2048 minus the app container's minimum of"
         r" 256\), or a larger task$"),
    ],
)  # fmt: skip
def test_sidecars_that_do_not_fit_together_are_refused(sidecars: tuple[SidecarOptions, ...], kwargs: dict[str, Any],
                                                       message: str) -> None:  # fmt: skip
    problem = _problem(*sidecars, **kwargs)
    assert problem is not None and re.search(message, problem), problem


def test_the_app_keeps_its_minimum_exactly() -> None:
    fits = _sidecar(cpu=1024 - APP_MIN_CPU_UNITS, memory_reservation_mib=2048 - APP_MIN_MEMORY_MIB)
    assert _problem(fits) is None
    assert _problem(dataclasses.replace(fits, cpu=fits.cpu + 1)) is not None
    assert _problem(dataclasses.replace(fits, memory_reservation_mib=fits.memory_reservation_mib + 1)) is not None


def test_a_worker_without_a_port_may_run_a_sidecar_on_3000() -> None:
    assert _problem(_sidecar(port_mappings=(SidecarPort(container_port=3000),), otlp_http_port=None), app_port=None) is None


# ---- the task construct -----------------------------------------------------------------------------


class _Registry:
    repository_arn = "arn:aws:ecr:us-east-1:123456789012:repository/app-test"
    repository_url = "123456789012.dkr.ecr.us-east-1.amazonaws.com/app-test"


def _task_props(**overrides: Any) -> Any:
    from modules.task import TaskProps

    kwargs: dict[str, Any] = dict(
        name="app-test-web", family="app-test-web", app_name="app", env_name="dev", region="us-east-1",
        log_retention_days=14, registry=_Registry(), image_tag="0a1b2c3", vpc_id="vpc-1",
        container=ContainerOptions(cpu=1024, memory_mib=2048, sidecars=(COLLECTOR, PROXY)),
        log_group_path="/ecs/app-test/web", log_stream_prefix="web",
    )  # fmt: skip
    kwargs.update(overrides)
    return TaskProps(**kwargs)


def test_task_props_refuse_sidecars_larger_than_the_task() -> None:
    with pytest.raises(ValueError, match=r"^TaskProps\.container\.sidecars\[\*\]\.cpu=1280 in total \(otel=256,"
                       r" proxy=1024\) with cpu=1024 leaves the app container 0 cpu units; allowed: at most 896 in total"
                       r" \(cpu=1024 minus the app container's minimum of 128\), or a larger task \(task app-test-web\)$"):  # fmt: skip
        _task_props(container=ContainerOptions(cpu=1024, memory_mib=2048,
                                               sidecars=(COLLECTOR, dataclasses.replace(PROXY, cpu=1024))))  # fmt: skip


def test_task_props_refuse_duplicate_names() -> None:
    with pytest.raises(ValueError, match=r"^TaskProps\.container\.sidecars names \['otel', 'otel'\] repeat 'otel';"
                       r" allowed: a name of its own for each container in the task \(task app-test-web\)$"):  # fmt: skip
        _task_props(container=ContainerOptions(cpu=1024, memory_mib=2048,
                                               sidecars=(COLLECTOR, dataclasses.replace(PROXY, name="otel"))))  # fmt: skip


def test_task_props_refuse_a_sid_twice() -> None:
    with pytest.raises(ValueError, match=r"^TaskProps\.task_role_statements and container\.sidecars\[\*\]\."
                       r"task_role_statements repeat the sid 'XRayWrite'; allowed: a sid of its own"):  # fmt: skip
        _task_props(task_role_statements=(PolicyStatement(sid="XRayWrite", actions=("s3:GetObject",), resources=("*",)),))


def test_task_props_refuse_otel_variables_next_to_a_collector() -> None:
    with pytest.raises(ValueError, match=r"^TaskProps\.container\.environment\.OTEL_EXPORTER_OTLP_ENDPOINT is set, but"
                       r" sidecars\[otel\] receives OTLP"):  # fmt: skip
        _task_props(container=ContainerOptions(cpu=1024, memory_mib=2048, sidecars=(COLLECTOR,),
                                               environment={"OTEL_EXPORTER_OTLP_ENDPOINT": "http://x:4318"}))  # fmt: skip


@pytest.fixture(scope="module")
def task_stack() -> dict[str, Any]:
    from constructs import Construct

    from modules.task import FargateTask

    return synth_construct(lambda stack: FargateTask(Construct(stack, "Web"), props=_task_props()))


def _definitions(stack: dict[str, Any]) -> dict[str, dict[str, Any]]:
    (td,) = resources(stack, "aws_ecs_task_definition").values()
    return {d["name"]: d for d in json.loads(td["container_definitions"])}


def test_sidecar_container_definitions_match_the_ecs_model(task_stack: dict[str, Any]) -> None:
    (td,) = resources(task_stack, "aws_ecs_task_definition").values()
    definitions = json.loads(td["container_definitions"])
    assert [d["name"] for d in definitions] == ["app", "otel", "proxy"]
    for definition in definitions:
        assert validate(definition, container_definition_shape()) == [], definition["name"]
    request = {
        "family": td["family"], "cpu": td["cpu"], "memory": td["memory"], "networkMode": td["network_mode"],
        "requiresCompatibilities": td["requires_compatibilities"], "containerDefinitions": definitions,
        "volumes": [{"name": v["name"]} for v in td["volume"]],
    }  # fmt: skip
    assert validate(request, register_task_definition_input()) == []
    assert (td["cpu"], td["memory"]) == ("1024", "2048")  # the task size stays the task size
    assert [v["name"] for v in td["volume"]] == ["tmp", "otel-tmp"]  # proxy writes its own root filesystem


def test_depends_on_sizes_logs_and_user(task_stack: dict[str, Any]) -> None:
    defs = _definitions(task_stack)
    app, otel, proxy = defs["app"], defs["otel"], defs["proxy"]
    assert app["dependsOn"] == [{"containerName": "otel", "condition": "HEALTHY"}]
    assert otel["healthCheck"] == {"command": ["CMD", "/healthcheck"], "interval": 30, "timeout": 5, "retries": 3,
                                   "startPeriod": 10}  # fmt: skip
    assert (app["cpu"], otel["cpu"], proxy["cpu"]) == (768, 256, 0)  # the app reserves what the sidecars leave
    assert "memory" not in app and "memoryReservation" not in app
    assert (otel["memoryReservation"], proxy["memoryReservation"]) == (256, 64)
    assert (otel["essential"], proxy["essential"]) == (False, True)
    for name, definition in (("otel", otel), ("proxy", proxy)):
        options = definition["logConfiguration"]["options"]
        assert options["awslogs-stream-prefix"] == "web-%s" % name
        assert options["awslogs-group"] == app["logConfiguration"]["options"]["awslogs-group"]
        assert "stopTimeout" not in definition and "secrets" not in definition
    assert (otel["user"], proxy["user"]) == ("4317:4317", "10001:10001")
    assert otel["readonlyRootFilesystem"] is True
    assert otel["mountPoints"] == [{"sourceVolume": "otel-tmp", "containerPath": "/tmp", "readOnly": False}]
    assert proxy["readonlyRootFilesystem"] is False and "mountPoints" not in proxy
    assert proxy["portMappings"] == [{"containerPort": 9901, "protocol": "udp"}]
    assert proxy["environment"] == [{"name": "MODE", "value": "edge"}]
    assert otel["command"] == ["--config=/etc/ecs/ecs-default-config.yaml"]
    env = {e["name"]: e["value"] for e in app["environment"]}
    assert env["OTEL_EXPORTER_OTLP_ENDPOINT"] == "http://localhost:4318"
    assert env["OTEL_SERVICE_NAME"] == "app-test-web"  # the task family


def test_grants_of_sidecars(task_stack: dict[str, Any]) -> None:
    documents = {name: {s["sid"]: s for s in doc["statement"]}
                 for name, doc in task_stack["data"]["aws_iam_policy_document"].items()}  # fmt: skip
    (task,) = [d for n, d in documents.items() if n.startswith("Web_TaskPolicyDocument")]
    assert task["XRayWrite"]["actions"] == ["xray:PutTraceSegments"]
    (execution,) = [d for n, d in documents.items() if n.startswith("Web_ExecutionPolicyDocument")]
    # the private image's repository may be pulled; the public collector image needs no grant
    app_repository, proxy_repository = execution["EcrPull"]["resources"]
    assert app_repository == _Registry.repository_arn
    assert re.fullmatch(r"arn:\$\{data\.aws_partition\.Web_Partition_[0-9A-F]{8}\.partition\}:ecr:eu-west-1:"
                        r"210987654321:repository/tools/proxy", proxy_repository), proxy_repository


def test_without_sidecars_nothing_changes(task_stack: dict[str, Any]) -> None:
    from constructs import Construct

    from modules.task import FargateTask

    plain = synth_construct(lambda stack: FargateTask(Construct(stack, "Web"), props=_task_props(
        container=ContainerOptions(cpu=1024, memory_mib=2048))))  # fmt: skip
    (app,) = _definitions(plain).values()
    assert "cpu" not in app and "dependsOn" not in app
    assert not [e for e in app["environment"] if e["name"].startswith("OTEL_")]
    (td,) = resources(plain, "aws_ecs_task_definition").values()
    assert td["volume"] == [{"name": "tmp"}]


# ---- the config -------------------------------------------------------------------------------------


def _shipped() -> dict[str, Any]:
    with DEFAULT_FILE.open("rb") as handle:
        return tomllib.load(handle)


def _load(doc: dict[str, Any], tmp_path: Path, env: str) -> Any:
    from tests.badinput.tomlgen import dumps

    path = tmp_path / "environments.toml"
    path.write_text(dumps(doc))
    return load_environments(path, only=[env])[env]


def _otel(doc: dict[str, Any]) -> dict[str, Any]:
    """prod's collector table, to change in place."""
    sidecar: dict[str, Any] = doc["environments"]["prod"]["container"]["sidecars"][0]
    return sidecar


def _healthy_without_check(doc: dict[str, Any]) -> None:
    del _otel(doc)["health_check"]
    _otel(doc)["app_depends_on"] = "HEALTHY"


def _prod_environment(doc: dict[str, Any], **variables: str) -> None:
    doc["environments"]["prod"]["container"].setdefault("environment", {}).update(variables)


def test_the_shipped_config_round_trips_and_only_prod_has_a_sidecar(tmp_path: Path) -> None:
    configs = load_environments()
    assert {name: len(c.container.sidecars) for name, c in configs.items()} == {"local": 0, "dev": 0, "staging": 0, "prod": 1}
    assert all(not w.container.sidecars for c in configs.values() for w in c.workloads.values())
    assert _load(_shipped(), tmp_path, "prod") == configs["prod"]


@pytest.mark.parametrize(
    ("mutate", "env", "message"),
    [
        (lambda d: _otel(d).update(cpu=1000), "prod",
         r"prod\.container: sidecars\[\*\]\.cpu=1000 in total \(otel=1000\) with cpu=1024 leaves the app container 24 cpu"
         r" units; allowed: at most 896 in total"),
        (lambda d: d["environments"]["prod"]["workloads"]["worker"]["container"].update(
            sidecars=[{"name": "otel", "image": COLLECTOR_IMAGE, "cpu": 200, "memory_reservation_mib": 64}]), "prod",
         r"prod\.workloads\.worker\.container: sidecars\[\*\]\.cpu=200 in total \(otel=200\) with cpu=256 leaves the app"
         r" container 56 cpu units; allowed: at most 128 in total"),
        (lambda d: d["environments"]["prod"]["container"]["sidecars"].append(dict(_otel(d))), "prod",
         r"prod\.container: sidecars names \['otel', 'otel'\] repeat 'otel'"),
        (lambda d: _otel(d).update(image="otel/collector:1"), "prod",
         r"prod\.container: sidecars\[otel\]\.image='otel/collector:1' does not name its registry; allowed:"),
        (lambda d: _otel(d).update(app_depends_on="READY"), "prod",
         r"prod\.container\.sidecars\.0\.app_depends_on='READY' is not an allowed value; allowed: 'START', 'HEALTHY',"
         r" 'COMPLETE' or 'SUCCESS'"),
        (_healthy_without_check, "prod",
         r"prod\.container: sidecars\[otel\]\.app_depends_on='HEALTHY' needs a health check; allowed: set health_check,"
         r" or START"),
        (lambda d: _otel(d).update(user="0"), "prod",
         r"prod\.container: sidecars\[otel\]\.user='0' must be a numeric non-root uid\[:gid\]"),
        (lambda d: _otel(d).update(environment={"API_TOKEN": "x"}), "prod",
         r"prod\.container: sidecars\[otel\]\.environment\.API_TOKEN looks like a secret; allowed: a name that does not"
         r" hold a credential"),
        (lambda d: _prod_environment(d, OTEL_SERVICE_NAME="x"), "prod",
         r"prod\.container: environment\.OTEL_SERVICE_NAME is set, but sidecars\[otel\] receives OTLP"),
        (lambda d: _otel(d)["task_role_statements"][0].update(sid="ReadAssets"), "prod",
         r"prod: container\.sidecars\[\*\]\.task_role_statements repeat the sid 'ReadAssets' of"
         r" service\.task_role_statements or of each other; allowed: a sid of its own"),
        (lambda d: _otel(d).update(colour="blue"), "prod",
         r"prod: container\.sidecars\.0\.colour='blue' is not a known field"),
    ],
)  # fmt: skip
def test_bad_sidecar_config_is_refused_naming_env_and_workload(mutate: Any, env: str, message: str, tmp_path: Path) -> None:
    doc = copy.deepcopy(_shipped())
    mutate(doc)
    with pytest.raises(ConfigError, match=message):
        _load(doc, tmp_path, env)


def _no_route(doc: dict[str, Any], image: str) -> None:
    dev = doc["environments"]["dev"]
    dev["network"].update(nat_mode="none", tasks_in_public_subnets=False, vpc_endpoints=True)
    dev["container"] = {"sidecars": [{"name": "otel", "image": image, "cpu": 128, "memory_reservation_mib": 64}]}


def test_a_sidecar_image_outside_ecr_needs_a_route_out(tmp_path: Path) -> None:
    doc = copy.deepcopy(_shipped())
    _no_route(doc, COLLECTOR_IMAGE)
    with pytest.raises(ConfigError, match=(
        r"dev: container\.sidecars\[otel\]\.image='public\.ecr\.aws/aws-observability/aws-otel-collector:v0\.43\.1' is"
        r" pulled from outside this region's ECR, but network\.nat_mode='none' with tasks_in_public_subnets=false gives"
        r" the tasks no route out; allowed: nat_mode 'single' or 'per_az', tasks_in_public_subnets=true, or an image in"
        r" ECR of ap-southeast-1")):  # fmt: skip
        _load(doc, tmp_path, "dev")
    doc = copy.deepcopy(_shipped())
    _no_route(doc, "111122223333.dkr.ecr.ap-southeast-1.amazonaws.com/otel:v1")  # reached through the endpoints
    assert _load(doc, tmp_path, "dev").container.sidecars[0].name == "otel"
    doc = copy.deepcopy(_shipped())
    doc["environments"]["dev"]["container"] = {
        "sidecars": [{"name": "otel", "image": COLLECTOR_IMAGE, "cpu": 128, "memory_reservation_mib": 64}]}
    assert _load(doc, tmp_path, "dev").network.nat_mode == "none"  # dev's tasks are in public subnets


def test_a_workloads_sidecar_is_translated_and_needs_a_route_out_too(tmp_path: Path) -> None:
    doc = copy.deepcopy(_shipped())
    _no_route(doc, COLLECTOR_IMAGE)
    doc["environments"]["dev"]["container"] = {}
    doc["environments"]["dev"]["workloads"] = {"worker": {
        "kind": "worker", "container": {"command": ["python", "-m", "app.worker"], "sidecars": [
            {"name": "otel", "image": COLLECTOR_IMAGE, "cpu": 64, "memory_reservation_mib": 64}]},
        "queue": {}}}  # fmt: skip
    with pytest.raises(ConfigError, match=r"dev: workloads\.worker\.container\.sidecars\[otel\]\.image=.* no route out"):
        _load(doc, tmp_path, "dev")


def test_a_workloads_sidecar_reaches_its_task_definition_and_roles(tmp_path: Path) -> None:
    """Through the stacks (main.build): a further workload's sidecar, its grants and its image's repository."""
    import main
    from tests.badinput.tomlgen import dumps

    doc = copy.deepcopy(_shipped())
    doc["environments"]["prod"]["workloads"]["worker"]["container"]["sidecars"] = [{
        "name": "agent", "image": "777788889999.dkr.ecr.ap-southeast-1.amazonaws.com/tools/agent:1.0", "cpu": 64,
        "memory_reservation_mib": 64, "app_depends_on": "START",
        "task_role_statements": [{"sid": "ReadAgentConfig", "actions": ["s3:GetObject"],
                                  "resources": ["arn:aws:s3:::flask-app-agent/*"]}],
    }]  # fmt: skip
    config = tmp_path / "environments.toml"
    config.write_text(dumps(doc))
    main.build(str(tmp_path / "out"), only=["prod"], config=config)
    stack = json.loads((tmp_path / "out" / "stacks" / "prod" / "cdk.tf.json").read_text())
    (td,) = [t for n, t in resources(stack, "aws_ecs_task_definition").items() if n.startswith("Workload-worker_")]
    app, agent = json.loads(td["container_definitions"])
    assert (app["name"], agent["name"], app["cpu"], agent["cpu"]) == ("app", "agent", 192, 64)
    assert app["dependsOn"] == [{"containerName": "agent", "condition": "START"}]
    assert not [e for e in app["environment"] if e["name"].startswith("OTEL_")]  # not an OTLP receiver
    assert agent["logConfiguration"]["options"]["awslogs-stream-prefix"] == "worker-agent"
    documents = stack["data"]["aws_iam_policy_document"]
    (task,) = [d for n, d in documents.items() if n.startswith("Workload-worker_Service_TaskPolicyDocument")]
    assert [st["sid"] for st in task["statement"]] == ["ConsumeQueue", "ReadAgentConfig"]  # the sidecar's come last
    (execution,) = [d for n, d in documents.items() if n.startswith("Workload-worker_Service_ExecutionPolicyDocument")]
    (pull,) = [st for st in execution["statement"] if st["sid"] == "EcrPull"]
    assert pull["resources"][1].endswith(":ecr:ap-southeast-1:777788889999:repository/tools/agent")


def test_config_translates_to_the_constructs_options() -> None:
    from stacks.props import container_options

    prod = load_environments()["prod"]
    (otel,) = container_options(prod.container).sidecars
    assert otel.name == "otel" and otel.image == COLLECTOR_IMAGE
    assert (otel.cpu, otel.memory_reservation_mib, otel.essential, otel.app_depends_on) == (256, 256, False, "START")
    assert [p.container_port for p in otel.port_mappings] == [4317, 4318] and otel.otlp_http_port == 4318
    assert otel.health_check is not None and otel.health_check.command == ("CMD", "/healthcheck")
    assert [st.sid for st in otel.task_role_statements] == ["XRayWrite", "EmfLogGroup", "EmfLogStreams"]


# ---- prod: the OpenTelemetry collector in the synthesized stack -------------------------------------


def _prod_web(synth_all: dict[str, dict[str, Any]]) -> tuple[dict[str, Any], dict[str, dict[str, Any]]]:
    (td,) = web_of(synth_all["prod"], "aws_ecs_task_definition")
    return td, {d["name"]: d for d in json.loads(td["container_definitions"])}


def test_prods_web_task_runs_the_collector(synth_all: dict[str, dict[str, Any]]) -> None:
    td, defs = _prod_web(synth_all)
    assert list(defs) == ["app", "otel"]
    for definition in defs.values():
        assert validate(definition, container_definition_shape()) == []
    otel, app = defs["otel"], defs["app"]
    assert otel["image"] == COLLECTOR_IMAGE and otel["essential"] is False
    assert otel["command"] == ["--config=/etc/ecs/ecs-default-config.yaml"]
    assert (td["cpu"], td["memory"], app["cpu"], otel["cpu"], otel["memoryReservation"]) == ("1024", "2048", 768, 256, 256)
    assert app["dependsOn"] == [{"containerName": "otel", "condition": "START"}]
    assert otel["logConfiguration"]["options"]["awslogs-stream-prefix"] == "web-otel"
    assert (otel["user"], otel["readonlyRootFilesystem"]) == ("4317:4317", True)
    env = {e["name"]: e["value"] for e in app["environment"]}
    assert (env["OTEL_EXPORTER_OTLP_ENDPOINT"], env["OTEL_SERVICE_NAME"]) == ("http://localhost:4318", "flask-app-prod-web")
    snapshot = (Path(__file__).parent / "snapshots" / "prod.json").read_text()
    assert snapshot.count(COLLECTOR_IMAGE) == 1


def test_prods_task_role_may_write_traces_and_emf_metrics_only(synth_all: dict[str, dict[str, Any]]) -> None:
    documents = synth_all["prod"]["data"]["aws_iam_policy_document"]
    (task,) = [d for n, d in documents.items() if n.startswith("Service_TaskPolicyDocument")]
    statements = {s["sid"]: (s["actions"], s["resources"]) for s in task["statement"]}
    # the queue grants of `queue = "worker"` are checked in tests/test_workloads_stack.py
    statements = {sid: st for sid, st in statements.items() if sid not in ("SendToQueue", "ReadDeadLetterQueue")}
    assert statements == {
        "ReadAssets": (["s3:GetObject"], ["arn:aws:s3:::flask-app-assets/*"]),
        "XRayWrite": (["xray:PutTraceSegments", "xray:PutTelemetryRecords", "xray:GetSamplingRules",
                       "xray:GetSamplingTargets", "xray:GetSamplingStatisticSummaries"], ["*"]),
        "EmfLogGroup": (["logs:CreateLogGroup"], [METRICS_GROUP]),
        "EmfLogStreams": (["logs:CreateLogStream", "logs:PutLogEvents"], [METRICS_GROUP + ":log-stream:*"]),
    }  # fmt: skip
    (execution,) = [d for n, d in documents.items() if n.startswith("Service_ExecutionPolicyDocument")]
    (pull,) = [s for s in execution["statement"] if s["sid"] == "EcrPull"]
    assert len(pull["resources"]) == 1  # the app's repository only: public.ecr.aws needs no grant


def test_only_prods_web_task_has_a_sidecar(synth_all: dict[str, dict[str, Any]]) -> None:
    for env in ("local", "dev", "staging", "prod"):
        for name, td in resources(synth_all[env], "aws_ecs_task_definition").items():
            count = len(json.loads(td["container_definitions"]))
            assert count == (2 if (env, name.startswith("Service_")) == ("prod", True) else 1), (env, name)
