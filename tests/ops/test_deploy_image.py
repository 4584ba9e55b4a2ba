"""ops.deploy step 3: which make targets run for the emulator and for real environments."""

from __future__ import annotations

import io
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest

from envconfig import load_environment
from ops import deploy


@pytest.fixture
def calls(monkeypatch: pytest.MonkeyPatch) -> list[tuple[list[str], dict[str, str]]]:
    made: list[tuple[list[str], dict[str, str]]] = []

    def fake_make(args: list[str], extra_env: Mapping[str, str], log: Any) -> None:
        made.append((list(args), dict(extra_env)))

    monkeypatch.setattr(deploy, "_make", fake_make)
    return made


def test_emulator_without_docker_skips_the_image_loudly(calls: list[Any], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(deploy, "docker_available", lambda timeout=10.0: False)
    log = io.StringIO()
    notes = deploy.build_and_push(load_environment("local"), "abc1234", None, log)
    assert calls == []
    assert len(notes) == 1 and notes[0].startswith("image NOT built or run: no Docker engine answers")
    assert "SKIPPED: image NOT built" in log.getvalue()


def test_emulator_with_docker_builds_runs_and_pushes_only_to_a_given_registry(
    calls: list[Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(deploy, "docker_available", lambda timeout=10.0: True)
    smoked: list[str] = []
    monkeypatch.setattr(deploy, "smoke_test_container", lambda image, env, log, timeout=60.0: smoked.append(image))
    notes = deploy.build_and_push(load_environment("local"), "abc1234", None, io.StringIO())
    assert [c[0] for c in calls] == [["build", "ALLOW_DIRTY=1", "IMAGE_TAG=abc1234"]]
    assert smoked == ["flask-app:abc1234"]
    assert notes == ["image not pushed: the emulator's ECR is not a registry; pass REGISTRY=host:port to push"]
    calls.clear()
    assert deploy.build_and_push(load_environment("local"), "abc1234", "127.0.0.1:5000", io.StringIO()) == []
    assert [c[0] for c in calls] == [
        ["build", "ALLOW_DIRTY=1", "IMAGE_TAG=abc1234"],
        ["push", "REGISTRY=127.0.0.1:5000", "IMAGE_TAG=abc1234"],
    ]


def test_real_environment_builds_and_pushes_to_its_ecr_repository(calls: list[Any]) -> None:
    out = Path("/tmp/out")
    assert deploy.build_and_push(load_environment("dev"), "abc1234", None, io.StringIO(), out) == []
    assert [c[0] for c in calls] == [
        ["build", "ALLOW_DIRTY=1", "IMAGE_TAG=abc1234"],
        ["push", "ENV=dev", "IMAGE_TAG=abc1234", "OUT=/tmp/out"],
    ]


def test_production_never_builds_a_dirty_tree(calls: list[Any]) -> None:
    deploy.build_and_push(load_environment("prod"), "abc1234", None, io.StringIO())
    assert next(c[0] for c in calls) == ["build", "IMAGE_TAG=abc1234"]
    assert all("ALLOW_DIRTY" not in env for _, env in calls)


def test_image_tag_prefers_the_explicit_tag() -> None:
    assert deploy.image_tag(load_environment("prod"), "3f9c2ab") == "3f9c2ab"
