"""rules/: the shared AWS facts, checked against AWS's own API models where those carry them."""

from __future__ import annotations

import re
from typing import Any

import pytest

from rules import dns, tags
from rules.container import RESERVED_ENV


@pytest.fixture(scope="module")
def ecs_model() -> Any:
    import botocore.session

    return botocore.session.get_session().get_service_model("ecs")


def test_tag_limits_are_the_api_models(ecs_model: Any) -> None:
    key, value, many = (ecs_model.shape_for(name).metadata for name in ("TagKey", "TagValue", "Tags"))
    assert (key["min"], key["max"]) == (1, tags.TAG_KEY_MAX)
    assert value["max"] == tags.TAG_VALUE_MAX
    assert many["max"] == tags.TAGS_PER_RESOURCE_MAX
    # ([\p{L}\p{Z}\p{N}_.:/=+\-@]*): letters, separators, numbers, then the punctuation.
    punctuation = re.fullmatch(r"\(\[\\p\{L\}\\p\{Z\}\\p\{N\}(.*)\]\*\)", key["pattern"])
    assert punctuation is not None, key["pattern"]
    assert punctuation.group(1).replace("\\", "") == tags.ALLOWED_PUNCTUATION


def test_no_resource_adds_more_tags_than_the_budget(synth_all: dict[str, dict[str, Any]]) -> None:
    """The count check of an environment's tags leaves room for RESOURCE_TAGS_MAX construct tags."""
    most = 0
    for stack in synth_all.values():
        for bodies in stack.get("resource", {}).values():
            for body in bodies.values():
                if isinstance(body.get("tags"), dict):
                    most = max(most, len(body["tags"]))
    assert 0 < most <= tags.RESOURCE_TAGS_MAX


def test_default_tags_put_the_environment_last() -> None:
    assert tags.default_tags("dev", "flask-app", {"team": "web"}) == {
        "project": tags.PROJECT_TAG, "environment": "dev", "managed-by": "cdktf", "app": "flask-app", "team": "web",
    }  # fmt: skip


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ({"team": "payments", "cost center": "42/a+b=c@d:e_f.g-h", "Ünïcode": "日本"}, []),
        ({"": "v"}, ["tags key '' is 0 characters; allowed: 1..128"]),
        ({"aws:x": "v"}, ["tags key 'aws:x' starts with 'aws:'; allowed: any other prefix (reserved for AWS)"]),
        ({"a#b": "v!"}, ["tags key 'a#b' contains '#'", "tags value 'v!' contains '!'"]),
        ({"project": "other"}, ["tags.project is set by the stacks on every resource"]),
    ],
    ids=["valid", "empty-key", "reserved-prefix", "bad-characters", "stack-key"],
)
def test_tag_problems(given: dict[str, str], expected: list[str]) -> None:
    problems = tags.tag_problems(given)
    assert len(problems) == len(expected), problems
    for problem, start in zip(problems, expected, strict=True):
        assert problem.startswith(start), problem


def test_tag_count_leaves_room_for_the_stacks_tags() -> None:
    room = tags.TAGS_PER_RESOURCE_MAX - tags.RESOURCE_TAGS_MAX - len(tags.STACK_TAG_KEYS)
    assert tags.tag_problems({"t%d" % i: "" for i in range(room)}) == []
    (problem,) = tags.tag_problems({"t%d" % i: "" for i in range(room + 1)})
    assert problem.startswith("tags has %d tags; allowed: at most %d" % (room + 1, room))


@pytest.mark.parametrize(
    ("name", "min_labels", "ok"),
    [
        ("app.example.com", 2, True),
        ("internal", 1, True),
        ("internal", 2, False),
        ("App.example.com", 2, False),
        ("app.example.com.", 2, False),
        ("-app.example.com", 2, False),
        ("a" * 64 + ".com", 2, False),
        (".".join(["a" * 63] * 4), 1, False),  # 255 characters
    ],
)
def test_dns_names(name: str, min_labels: int, ok: bool) -> None:
    assert dns.is_dns_name(name, min_labels=min_labels) is ok


@pytest.mark.parametrize(
    ("address", "ok"),
    [("oncall@example.com", True), ("a.b+c@Sub.Example.org", True), ("oncall at example.com", False),
     ("a@@example.com", False), ("a@localhost", False), ("a@-x.com", False)],
)  # fmt: skip
def test_email_addresses(address: str, ok: bool) -> None:
    assert dns.is_email_address(address) is ok


def test_reserved_names_are_what_the_task_definition_sets(synth_all: dict[str, dict[str, Any]]) -> None:
    import json

    from rules.container import OTLP_ENV, QUEUE_ENV

    body = synth_all["prod"]["resource"]["aws_ecs_task_definition"]["Service_TaskDefinition_4B51B9EA"]
    container = json.loads(body["container_definitions"])[0]
    set_by_the_service = {item["name"] for item in container["environment"]} - set(_configured_env("prod"))
    # prod's web service sends to a queue, and its task has an OpenTelemetry collector sidecar
    assert set_by_the_service == set(RESERVED_ENV) | set(QUEUE_ENV) | set(OTLP_ENV)


def _configured_env(name: str) -> dict[str, str]:
    from envconfig import load_environment

    return load_environment(name).container.environment


def test_listener_rule_priority_range_is_the_api_model() -> None:
    import botocore.session

    from rules.routing import RULE_PRIORITY_MAX, RULE_PRIORITY_MIN

    shape = botocore.session.get_session().get_service_model("elbv2").shape_for("RulePriority")
    assert (shape.metadata["min"], shape.metadata["max"]) == (RULE_PRIORITY_MIN, RULE_PRIORITY_MAX)


@pytest.mark.parametrize(
    ("a", "b", "overlap"),
    [("/api/*", "/api/v1/*", True), ("/api/*", "/web/*", False), ("/health", "/health", True),
     ("/health", "/ready", False), ("/api/x", "/api/*", True), ("*.example.com", "api.example.com", True),
     ("API.example.com", "api.example.com", True), ("a.example.com", "b.example.com", False)],
)  # fmt: skip
def test_pattern_overlap(a: str, b: str, overlap: bool) -> None:
    from rules.routing import patterns_overlap

    assert patterns_overlap(a, b) is overlap and patterns_overlap(b, a) is overlap
