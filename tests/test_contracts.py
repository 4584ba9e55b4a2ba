"""Contracts between the app, the image and the synthesized infrastructure, checked before any deploy.

* the container port in config, the port gunicorn binds (app settings / Dockerfile), the
  target-group port and the port of the task security-group rule are one number;
* the health-check path exists in the Flask app and answers 200 through its test client;
* every ``${...}`` reference in every synthesized stack resolves to a declared resource,
  data source, local or variable (and cross-stack outputs exist in the stack they name);
* the references between resources, and between stacks, have no cycles.
"""

from __future__ import annotations

import importlib
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from envconfig import load_environments
from tests.service_stack import all_of, web_of

ROOT = Path(__file__).resolve().parent.parent
ENVS = ["local", "dev", "staging", "prod"]


def _app_settings() -> Any:
    try:
        return importlib.import_module("app.settings")
    except ImportError as exc:  # pragma: no cover - the app is part of this repository
        pytest.skip("app.settings is not importable (%s); the port/health contracts need the Flask app" % exc)


@pytest.fixture(scope="module")
def configs() -> dict[str, Any]:
    return load_environments()


# ---- ports -----------------------------------------------------------------------------------


def _dockerfile_expose() -> list[int]:
    path = ROOT / "Dockerfile"
    if not path.is_file():
        pytest.skip("Dockerfile is missing; the EXPOSE port cannot be checked")
    return [int(p) for line in path.read_text().splitlines() if line.startswith("EXPOSE")
            for p in re.findall(r"\d+", line)]  # fmt: skip


def test_gunicorn_binds_the_app_default_port(monkeypatch: pytest.MonkeyPatch) -> None:
    settings = _app_settings()
    monkeypatch.delenv("PORT", raising=False)
    conf = importlib.reload(importlib.import_module("app.gunicorn_conf"))
    assert conf.bind == "0.0.0.0:%d" % settings.DEFAULT_PORT
    assert _dockerfile_expose() == [settings.DEFAULT_PORT]


@pytest.mark.parametrize("env", ENVS)
def test_the_four_ports_are_equal(env: str, configs: dict[str, Any], synth_all: dict[str, dict[str, Any]]) -> None:
    settings = _app_settings()
    stack = synth_all[env]
    config_port = configs[env].container.port
    (tg,) = web_of(stack, "aws_lb_target_group")
    task_rules = [r for r in web_of(stack, "aws_vpc_security_group_ingress_rule")
                  if "Service_TaskSecurityGroup" in r["security_group_id"]]  # fmt: skip
    sg_ports = {p for r in task_rules for p in (r["from_port"], r["to_port"])}
    (td,) = web_of(stack, "aws_ecs_task_definition")
    container = json.loads(td["container_definitions"])[0]  # the app container; sidecars follow it
    (mapping,) = container["portMappings"]
    env_port = {e["name"]: e["value"] for e in container["environment"]}["PORT"]
    (svc,) = web_of(stack, "aws_ecs_service")

    ports = {
        "config container.port": config_port,
        "app DEFAULT_PORT (gunicorn bind, Dockerfile EXPOSE)": settings.DEFAULT_PORT,
        "target group port": tg["port"],
        "task security group rule port": sg_ports.pop() if len(sg_ports) == 1 else sorted(sg_ports),
        "container portMappings": mapping["containerPort"],
        "container PORT env": int(env_port),
        "service load_balancer container_port": svc["load_balancer"][0]["container_port"],
    }
    assert len(set(map(str, ports.values()))) == 1, ports


def test_a_port_mismatch_would_be_caught() -> None:
    """The equality above is not vacuous: a stack with another port shows up as a different value."""
    from tests.service_stack import FULL_CONTAINER, full_stack

    (tg,) = all_of(full_stack(), "aws_lb_target_group")
    assert tg["port"] == FULL_CONTAINER.port != _app_settings().DEFAULT_PORT


# ---- health path -----------------------------------------------------------------------------


@pytest.mark.parametrize("env", ENVS)
def test_health_path_answers_200_in_the_flask_app(env: str, configs: dict[str, Any],
                                                  synth_all: dict[str, dict[str, Any]]) -> None:  # fmt: skip
    _app_settings()
    try:
        from app import create_app
    except ImportError as exc:  # pragma: no cover
        pytest.skip("app.create_app is not importable: %s" % exc)
    path = configs[env].container.health_check_path
    (tg,) = web_of(synth_all[env], "aws_lb_target_group")
    assert tg["health_check"]["path"] == path
    assert tg["health_check"]["matcher"] == "200"
    (td,) = web_of(synth_all[env], "aws_ecs_task_definition")
    container = json.loads(td["container_definitions"])[0]  # the app container; sidecars follow it
    assert path in container["healthCheck"]["command"][-1]
    response = create_app().test_client().get(path)
    assert response.status_code == 200, (path, response.status_code)


def test_a_missing_path_is_not_200() -> None:
    _app_settings()
    from app import create_app

    assert create_app().test_client().get("/no-such-health-path").status_code == 404


def test_app_timeouts_fit_the_infrastructure(configs: dict[str, Any]) -> None:
    """gunicorn drains within the ECS stop timeout, and keeps idle connections longer than the ALB."""
    settings = _app_settings()
    for env in ENVS:
        cfg = configs[env]
        assert cfg.container.stop_timeout_seconds > settings.GRACEFUL_TIMEOUT_SECONDS, env
        assert cfg.load_balancer.idle_timeout_seconds < settings.KEEPALIVE_SECONDS, env


# ---- references ------------------------------------------------------------------------------

_EXPR = re.compile(r"\$\{((?:[^{}\"]|\"(?:[^\"\\]|\\.)*\"|\{[^{}]*\})*)\}")
_STRING = re.compile(r"\"(?:[^\"\\]|\\.)*\"")
_REF = re.compile(r"(?<![\w.\-])([a-z][a-z0-9_]*)((?:\.[A-Za-z_][\w\-]*)+)(?!\s*\()")
_BUILTIN_ROOTS = {"count", "each", "self", "path", "terraform"}


def _strings(node: Any) -> Iterator[str]:
    if isinstance(node, str):
        yield node
    elif isinstance(node, dict):
        for key, value in node.items():
            if key != "//":
                yield from _strings(value)
    elif isinstance(node, list):
        for value in node:
            yield from _strings(value)


def references(node: Any) -> set[str]:
    """Addresses referenced from ``node``: ``type.name``, ``data.type.name``, ``var.x``, ``local.x``."""
    found: set[str] = set()
    for text in _strings(node):
        for expr in _EXPR.findall(text):
            for root, rest in _REF.findall(_STRING.sub('""', expr)):
                parts = rest.lstrip(".").split(".")
                if root in ("var", "local"):
                    found.add("%s.%s" % (root, parts[0]))
                elif root == "data":
                    found.add("data.%s" % ".".join(parts[:2]))
                elif root not in _BUILTIN_ROOTS:
                    found.add("%s.%s" % (root, parts[0]))
    return found


def declared(stack: dict[str, Any]) -> set[str]:
    out = {"%s.%s" % (t, n) for t, items in stack.get("resource", {}).items() for n in items}
    out |= {"data.%s.%s" % (t, n) for t, items in stack.get("data", {}).items() for n in items}
    out |= {"var.%s" % n for n in stack.get("variable", {})}
    out |= {"local.%s" % n for n in stack.get("locals", {})}
    return out


def dependency_graph(stack: dict[str, Any]) -> dict[str, set[str]]:
    """Address -> addresses it references (expressions and ``depends_on``)."""
    graph: dict[str, set[str]] = {}
    for section, prefix in (("resource", ""), ("data", "data.")):
        for rtype, items in stack.get(section, {}).items():
            for name, body in items.items():
                deps = references(body) | set(body.get("depends_on", []))
                graph["%s%s.%s" % (prefix, rtype, name)] = deps
    for name, value in stack.get("locals", {}).items():
        graph["local.%s" % name] = references(value)
    for name in stack.get("variable", {}):
        graph["var.%s" % name] = set()
    return graph


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One cycle as a list of nodes, or None (iterative DFS, white/grey/black)."""
    state: dict[str, int] = {}
    for start in sorted(graph):
        if state.get(start):
            continue
        stack: list[tuple[str, Iterator[str]]] = [(start, iter(sorted(graph.get(start, ()))))]
        path = [start]
        state[start] = 1
        while stack:
            node, children = stack[-1]
            child = next(children, None)
            if child is None:
                state[node] = 2
                stack.pop()
                path.pop()
                continue
            if state.get(child) == 1:
                return [*path[path.index(child):], child]
            if not state.get(child):
                state[child] = 1
                path.append(child)
                stack.append((child, iter(sorted(graph.get(child, ())))))
    return None


def test_reference_parser_on_known_expressions() -> None:
    body = {
        "a": "${aws_lb.LoadBalancer_1.arn_suffix}/${aws_lb_target_group.Tg_2.arn_suffix}",
        "b": "${data.terraform_remote_state.cross-stack-reference-input-x.outputs.cross-stack-output-y}:${var.image_tag}",
        "c": '${var.image_tag != "latest" && length(var.image_tag) > 0}',
        "d": '${jsonencode({"a" = local.x})}',
        "e": "${element(data.aws_availability_zones.Azs_3.names, 0)}",
        "f": '["arn:aws:s3:::assets/*", "not.a.ref"]',
    }
    assert references(body) == {
        "aws_lb.LoadBalancer_1", "aws_lb_target_group.Tg_2", "data.terraform_remote_state.cross-stack-reference-input-x",
        "var.image_tag", "local.x", "data.aws_availability_zones.Azs_3",
    }  # fmt: skip


def test_cycle_finder_finds_and_clears() -> None:
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": set()}) is None
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]


def test_every_stack_was_synthesized(synth_all: dict[str, dict[str, Any]]) -> None:
    assert sorted(synth_all) == sorted(ENVS + ["%s-registry" % e for e in ENVS])


@pytest.mark.parametrize("stack_name", sorted(ENVS + ["%s-registry" % e for e in ENVS]))
def test_every_reference_resolves(stack_name: str, synth_all: dict[str, dict[str, Any]]) -> None:
    stack = synth_all[stack_name]
    known = declared(stack)
    used = set().union(*dependency_graph(stack).values()) | references(stack.get("output", {}))
    missing = sorted(used - known)
    assert not missing, "unresolved references in %s: %s" % (stack_name, missing)
    assert used, "no references found at all in %s: the parser is broken" % stack_name


@pytest.mark.parametrize("stack_name", sorted(ENVS + ["%s-registry" % e for e in ENVS]))
def test_no_dependency_cycles(stack_name: str, synth_all: dict[str, dict[str, Any]]) -> None:
    cycle = find_cycle(dependency_graph(synth_all[stack_name]))
    assert cycle is None, "dependency cycle in %s: %s" % (stack_name, " -> ".join(cycle or []))


@pytest.mark.parametrize("env", ENVS)
def test_cross_stack_references_name_existing_outputs(env: str, synth_all: dict[str, dict[str, Any]]) -> None:
    """``terraform_remote_state`` reads outputs that the registry stack really declares, and only one way."""
    stack = synth_all[env]
    remote = stack["data"]["terraform_remote_state"]
    used = {
        (name, output)
        for text in _strings({k: v for k, v in stack.items() if k != "data"})
        for name, output in re.findall(r"data\.terraform_remote_state\.([\w\-]+)\.outputs\.([\w\-]+)", text)
    }
    assert used, "the service stack does not read the registry stack"
    for name, output in used:
        config = remote[name]["config"]
        path = config.get("path") or config["key"]  # local or S3 backend
        source = Path(path).name.removesuffix(".tfstate")
        assert source == "%s-registry" % env, (name, path)
        assert output in synth_all[source]["output"], (output, sorted(synth_all[source]["output"]))
    # the registry stack never reads the service stack: the stack graph has no cycle
    assert "terraform_remote_state" not in synth_all["%s-registry" % env].get("data", {})


# ---- workloads -----------------------------------------------------------------------------


def test_shipped_workload_commands_are_modules_of_the_image() -> None:
    from envconfig import load_environments
    from envconfig.contracts import module_file

    for env in load_environments().values():
        for name, workload in env.workloads.items():
            module = workload.container.command[2]
            assert module_file(ROOT, module) is not None, (env.name, name, module)


@pytest.mark.parametrize(
    ("workload", "message"),
    [
        ({"kind": "worker", "queue": {}, "container": {"command": ["python", "-m", "app.wroker"]}},
         r"local\.workloads\.extra\.container\.command runs python -m app\.wroker, which the image does not hold"),
        ({"kind": "web", "paths": ["/x/*"], "priority": 3, "container": {"port": 8080}},
         r"local\.workloads\.extra\.container\.port=8080: the image's web server listens on 3000"),
        ({"kind": "web", "paths": ["/x/*"], "priority": 3, "container": {"health_check_path": "/healthz"}},
         r"local\.workloads\.extra\.container\.health_check_path='/healthz' is not a path the app serves"),
        ({"kind": "worker", "queue": {}, "container": {"command": ["python", "-m", "app.worker"],
                                                       "stop_timeout_seconds": 10}},
         r"local\.workloads\.extra\.container\.stop_timeout_seconds=10 leaves the app no time to finish"),
    ],
)  # fmt: skip
def test_workload_contract_problems(workload: dict[str, Any], message: str) -> None:
    import re

    from envconfig import load_environments
    from envconfig.contracts import check_app_contract
    from envconfig.model import WorkloadConfig

    env = load_environments(only=["local"])["local"]
    changed = env.model_copy(update={"workloads": {**env.workloads, "extra": WorkloadConfig.model_validate(workload)}})
    problems = check_app_contract({"local": changed}, ROOT)
    assert [p for p in problems if re.search(message, p)], problems
    assert check_app_contract({"local": env}, ROOT) == []


def test_the_queue_variables_the_stack_sets_are_the_ones_the_app_reads() -> None:
    """QUEUE_URL / DLQ_URL: set by stacks/workloads.py (rules.container.QUEUE_ENV), read by app/queue.py."""
    from envconfig.contracts import load_app_settings
    from rules.container import QUEUE_ENV
    from stacks.workloads import queue_environment

    settings = load_app_settings(ROOT)
    assert QUEUE_ENV == (settings.QUEUE_URL_VARIABLE, settings.DLQ_URL_VARIABLE)

    class _Queue:
        queue_url, dlq_url = "https://sqs/q", "https://sqs/q-dlq"

    assert queue_environment(_Queue()) == {"QUEUE_URL": "https://sqs/q", "DLQ_URL": "https://sqs/q-dlq"}  # type: ignore[arg-type]
