"""ops.deploy step 3: which ops.image steps run (in-process) for the emulator and for real environments."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest

from envconfig import load_environment
from ops import deploy, image


@pytest.fixture
def calls(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, dict[str, Any]]]:
    """Every ops.image build/push deploy asks for, with its arguments (nothing runs Docker)."""
    made: list[tuple[str, dict[str, Any]]] = []

    def fake_build(**kwargs: Any) -> str:
        made.append(("build", kwargs))
        return "sha256:0"

    def fake_resolve(**kwargs: Any) -> image.Target:
        made.append(("resolve_target", kwargs))
        if kwargs["registry"]:
            return image.Target(repository="%s/%s" % (kwargs["registry"], kwargs["name"]), source="REGISTRY")
        return image.Target(repository="123456789012.dkr.ecr.ap-southeast-1.amazonaws.com/x", source="test",
                            ecr_region="ap-southeast-1")  # fmt: skip

    def fake_push(**kwargs: Any) -> str:
        made.append(("push", {**kwargs, "target": kwargs["target"].repository}))
        return "sha256:1"

    monkeypatch.setattr(image, "build", fake_build)
    monkeypatch.setattr(image, "resolve_target", fake_resolve)
    monkeypatch.setattr(image, "push", fake_push)
    for variable in ("IMAGE_NAME", "BASE_IMAGE", "REGISTRY_USER", "REGISTRY_PASSWORD"):
        monkeypatch.delenv(variable, raising=False)
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
    assert calls == [("build", {"name": "flask-app", "tag": "abc1234", "base_image": None, "platform": "linux/amd64"})]
    assert smoked == ["flask-app:abc1234"]
    assert notes == ["image not pushed: the emulator's ECR is not a registry; pass REGISTRY=host:port to push"]
    calls.clear()
    assert deploy.build_and_push(load_environment("local"), "abc1234", "127.0.0.1:5000", io.StringIO()) == []
    assert [c[0] for c in calls] == ["build", "resolve_target", "push"]
    assert calls[1][1] == {"env_name": "local", "name": "flask-app", "registry": "127.0.0.1:5000", "out_dir": deploy.DEFAULT_OUT}
    assert calls[2][1] == {"name": "flask-app", "tag": "abc1234", "target": "127.0.0.1:5000/flask-app", "env_name": "local",
                           "registry_user": None, "registry_password": None}  # fmt: skip


def test_real_environment_builds_and_pushes_to_its_ecr_repository(calls: list[Any]) -> None:
    out = Path("/tmp/out")
    assert deploy.build_and_push(load_environment("dev"), "abc1234", None, io.StringIO(), out) == []
    assert [c[0] for c in calls] == ["build", "resolve_target", "push"]
    assert calls[0][1] == {"name": "flask-app", "tag": "abc1234", "base_image": None, "platform": "linux/amd64"}
    assert calls[1][1] == {"env_name": "dev", "name": "flask-app", "registry": None, "out_dir": out}
    assert calls[2][1]["env_name"] == "dev" and calls[2][1]["tag"] == "abc1234"
    assert calls[2][1]["target"] == "123456789012.dkr.ecr.ap-southeast-1.amazonaws.com/x"


def test_production_never_builds_a_dirty_tree(monkeypatch: pytest.MonkeyPatch) -> None:
    asked: list[bool] = []

    def fake_tag(root: Path = image.REPO_ROOT, *, allow_dirty: bool = False) -> str:
        asked.append(allow_dirty)
        return "abc1234"

    monkeypatch.setattr(image, "image_tag", fake_tag)
    assert deploy.image_tag(load_environment("prod"), None) == "abc1234"
    assert deploy.image_tag(load_environment("dev"), None) == "abc1234"
    assert asked == [False, True]  # prod: the dirty-tree check stops the tag; dev: a '-dirty-<hash>' tag


def test_the_tag_comes_from_ops_image_and_its_errors_name_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    def dirty(root: Path = image.REPO_ROOT, *, allow_dirty: bool = False) -> str:
        raise image.ImageError("the build inputs differ from HEAD (abc1234): app/x.py; commit them")

    monkeypatch.setattr(image, "image_tag", dirty)
    with pytest.raises(deploy.DeployError, match=r"^cannot compute the image tag for ENV=prod: the build inputs differ"):
        deploy.image_tag(load_environment("prod"), None)


def test_image_tag_prefers_the_explicit_tag() -> None:
    assert deploy.image_tag(load_environment("prod"), "3f9c2ab") == "3f9c2ab"
