"""Container definitions checked against the ECS API's own model (botocore ``RegisterTaskDefinition``).

A misspelled key, a wrong type or an unknown enum value in a synthesized container definition
fails here, before ``terraform apply`` would send it to ECS (the provider passes the JSON
through without checking it).
"""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from tests.ecs_shapes import container_definition_shape, register_task_definition_input, validate
from tests.service_stack import all_of, container_definitions, defaults_stack, full_stack, web_of

ENVS = ["local", "dev", "staging", "prod"]


def _workloads(env: str) -> list[Any]:
    from envconfig import load_environment

    return list(load_environment(env).workloads.values())


@pytest.mark.parametrize("env", ENVS)
def test_environment_container_definitions_match_the_ecs_model(env: str, synth_all: dict[str, dict[str, Any]]) -> None:
    tds = all_of(synth_all[env], "aws_ecs_task_definition")  # the web service's and each workload's
    assert len(tds) == 1 + len(_workloads(env))
    for td in tds:
        definitions = json.loads(td["container_definitions"])
        assert definitions[0]["name"] == "app"  # then the sidecars, if any (tests/test_sidecars.py)
        for definition in definitions:
            assert validate(definition, container_definition_shape()) == []


@pytest.mark.parametrize("build", [defaults_stack, full_stack], ids=["defaults", "all-options"])
def test_construct_variants_match_the_ecs_model(build: Any) -> None:
    (definition,) = container_definitions(build())
    assert validate(definition, container_definition_shape()) == []


def test_task_level_settings_match_the_ecs_model(synth_all: dict[str, dict[str, Any]]) -> None:
    """cpu/memory/networkMode/requiresCompatibilities/runtimePlatform, in the API's vocabulary."""
    shape = register_task_definition_input()
    for env in ENVS:
        (td,) = web_of(synth_all[env], "aws_ecs_task_definition")
        request = {
            "family": td["family"],
            "cpu": td["cpu"],
            "memory": td["memory"],
            "networkMode": td["network_mode"],
            "requiresCompatibilities": td["requires_compatibilities"],
            "runtimePlatform": {
                "operatingSystemFamily": td["runtime_platform"]["operating_system_family"],
                "cpuArchitecture": td["runtime_platform"]["cpu_architecture"],
            },
            "containerDefinitions": json.loads(td["container_definitions"]),
            "volumes": [{"name": v["name"]} for v in td["volume"]],
        }
        assert validate(request, shape) == [], env


# ---- the validator fails when it should ------------------------------------------------------


@pytest.fixture(scope="module")
def good() -> dict[str, Any]:
    (definition,) = container_definitions(full_stack())
    return dict(definition)


def test_a_misspelled_top_level_key_fails(good: dict[str, Any]) -> None:
    bad = copy.deepcopy(good)
    bad["readOnlyRootFilesystem"] = bad.pop("readonlyRootFilesystem")
    (problem,) = validate(bad, container_definition_shape())
    assert problem.startswith("$.readOnlyRootFilesystem: unknown key; allowed:") and "readonlyRootFilesystem" in problem


def test_a_misspelled_nested_key_fails(good: dict[str, Any]) -> None:
    bad = copy.deepcopy(good)
    bad["healthCheck"]["startPeriodSeconds"] = bad["healthCheck"].pop("startPeriod")
    assert validate(bad, container_definition_shape()) == [
        "$.healthCheck.startPeriodSeconds: unknown key; allowed: command, interval, retries, startPeriod, timeout"
    ]
    bad = copy.deepcopy(good)
    bad["portMappings"][0]["port"] = bad["portMappings"][0].pop("containerPort")
    assert validate(bad, container_definition_shape())[0].startswith("$.portMappings[0].port: unknown key")


def test_snake_case_keys_fail(good: dict[str, Any]) -> None:
    bad = copy.deepcopy(good)
    bad["stop_timeout"] = bad.pop("stopTimeout")
    assert validate(bad, container_definition_shape())[0].startswith("$.stop_timeout: unknown key")


def test_a_wrong_type_fails(good: dict[str, Any]) -> None:
    bad = copy.deepcopy(good)
    bad["stopTimeout"] = "30"
    assert validate(bad, container_definition_shape()) == ["$.stopTimeout: expected an integer, got '30'"]
    bad = copy.deepcopy(good)
    bad["essential"] = "true"
    assert validate(bad, container_definition_shape()) == ["$.essential: expected a boolean, got 'true'"]


def test_an_unknown_enum_value_fails(good: dict[str, Any]) -> None:
    bad = copy.deepcopy(good)
    bad["logConfiguration"]["logDriver"] = "cloudwatch"
    (problem,) = validate(bad, container_definition_shape())
    assert problem.startswith("$.logConfiguration.logDriver: 'cloudwatch' is not one of") and "awslogs" in problem


def test_a_missing_required_key_fails(good: dict[str, Any]) -> None:
    bad = copy.deepcopy(good)
    del bad["healthCheck"]["command"]
    assert validate(bad, container_definition_shape()) == ["$.healthCheck.command: required key is missing"]
    bad = copy.deepcopy(good)
    del bad["logConfiguration"]["logDriver"]
    assert "$.logConfiguration.logDriver: required key is missing" in validate(bad, container_definition_shape())
