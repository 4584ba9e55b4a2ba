"""ops.image: deploy tag rules, repository URL resolution, digest parsing, wheel cache.

The real build/push/pull is proven by `make test-image` (scripts/image/test_image.sh)
against a real dockerd and registry; these tests cover the decisions around it.
"""

from __future__ import annotations

import re
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from ops import image


def _git(repo: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True)


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    _git(tmp_path, "init", "-q")
    _git(tmp_path, "config", "user.email", "ci@example.com")
    _git(tmp_path, "config", "user.name", "ci")
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "main.py").write_text("x = 1\n")
    (tmp_path / "Dockerfile").write_text("FROM scratch\n")
    (tmp_path / "README.md").write_text("readme\n")
    _git(tmp_path, "add", ".")
    _git(tmp_path, "commit", "-q", "-m", "init")
    return tmp_path


def _head(repo: Path) -> str:
    return subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=repo, check=True,
                          capture_output=True, text=True).stdout.strip()


def test_tag_is_the_short_sha_of_a_clean_tree(repo: Path) -> None:
    assert image.image_tag(repo) == _head(repo)


def test_changes_outside_the_build_inputs_do_not_make_the_tree_dirty(repo: Path) -> None:
    (repo / "README.md").write_text("changed\n")
    (repo / "notes.txt").write_text("untracked\n")
    assert image.image_tag(repo) == _head(repo)


def test_a_modified_build_input_is_refused(repo: Path) -> None:
    (repo / "app" / "main.py").write_text("x = 2\n")
    with pytest.raises(image.ImageError, match=r"build inputs differ from HEAD .*app/main.py.*ALLOW_DIRTY=1"):
        image.image_tag(repo)


def test_an_untracked_file_under_app_is_refused(repo: Path) -> None:
    (repo / "app" / "new.py").write_text("y = 1\n")
    with pytest.raises(image.ImageError, match=r"app/new.py"):
        image.image_tag(repo)


def test_allow_dirty_builds_a_dirty_tag_named_by_the_changes(repo: Path) -> None:
    (repo / "Dockerfile").write_text("FROM scratch\nUSER 1\n")
    tag = image.image_tag(repo, allow_dirty=True)
    assert re.fullmatch(re.escape(_head(repo)) + r"-dirty-[0-9a-f]{12}", tag), tag
    assert image.image_tag(repo, allow_dirty=True) == tag  # the same uncommitted tree: the same tag


def _dirty_tags(repo: Path, change: Callable[[Path], object]) -> str:
    change(repo)
    return image.image_tag(repo, allow_dirty=True)


def test_two_different_uncommitted_trees_never_share_a_tag(repo: Path) -> None:
    first = _dirty_tags(repo, lambda r: (r / "app" / "main.py").write_text("x = 2\n"))
    second = _dirty_tags(repo, lambda r: (r / "app" / "main.py").write_text("x = 3\n"))
    back = _dirty_tags(repo, lambda r: (r / "app" / "main.py").write_text("x = 2\n"))
    assert first != second and back == first


def test_untracked_deleted_and_mode_changes_are_part_of_the_dirty_tag(repo: Path) -> None:
    (repo / "app" / "main.py").write_text("x = 2\n")
    base = image.image_tag(repo, allow_dirty=True)
    (repo / "app" / "new.py").write_text("y = 1\n")  # an untracked build input
    with_untracked = image.image_tag(repo, allow_dirty=True)
    (repo / "app" / "new.py").write_text("y = 2\n")
    untracked_changed = image.image_tag(repo, allow_dirty=True)
    (repo / "app" / "new.py").chmod(0o755)
    executable = image.image_tag(repo, allow_dirty=True)
    (repo / "app" / "new.py").unlink()
    assert image.image_tag(repo, allow_dirty=True) == base
    (repo / "Dockerfile").unlink()
    deleted = image.image_tag(repo, allow_dirty=True)
    assert len({base, with_untracked, untracked_changed, executable, deleted}) == 5


def test_changes_outside_the_build_inputs_leave_the_dirty_tag_alone(repo: Path) -> None:
    (repo / "app" / "main.py").write_text("x = 2\n")
    tag = image.image_tag(repo, allow_dirty=True)
    (repo / "README.md").write_text("changed\n")
    (repo / "notes.txt").write_text("untracked\n")
    assert image.image_tag(repo, allow_dirty=True) == tag


def test_a_staged_rename_counts_both_paths(repo: Path) -> None:
    _git(repo, "mv", "app/main.py", "app/renamed.py")
    assert sorted(image.dirty_inputs(repo)) == ["app/main.py", "app/renamed.py"]
    (repo / "app" / "renamed.py").write_text("x = 1\n# edited after the rename\n")
    assert image.dirty_inputs(repo).count("app/renamed.py") == 1


def test_a_file_name_with_spaces_is_one_input(repo: Path) -> None:
    (repo / "app" / "a file.py").write_text("z = 1\n")
    assert image.dirty_inputs(repo) == ["app/a file.py"]


@pytest.mark.parametrize("tag", ["latest"])
def test_latest_is_never_a_deploy_tag(tag: str) -> None:
    with pytest.raises(image.ImageError, match=r"tag='latest' is not allowed as a deploy tag; allowed: a git sha"):
        image.validate_tag(tag)


@pytest.mark.parametrize("tag", ["", "-abc", "a b", "x" * 129, "sha:1"])
def test_invalid_docker_tags_are_refused(tag: str) -> None:
    with pytest.raises(image.ImageError, match=r"is not a valid Docker tag"):
        image.validate_tag(tag)


def test_registry_override_builds_host_and_name(tmp_path: Path) -> None:
    target = image.resolve_target(env_name="prod", name="flask-app", registry="127.0.0.1:5000", out_dir=tmp_path)
    assert target.repository == "127.0.0.1:5000/flask-app"
    assert target.host == "127.0.0.1:5000"
    assert target.ecr_region is None  # no ECR login for an override


@pytest.mark.parametrize("registry", ["http://127.0.0.1:5000", "host:port", "a/b"])
def test_invalid_registry_is_refused(tmp_path: Path, registry: str) -> None:
    with pytest.raises(image.ImageError, match=rf"REGISTRY={registry!r} is not valid; allowed: host or host:port"):
        image.resolve_target(env_name="dev", name="flask-app", registry=registry, out_dir=tmp_path)


def test_the_emulator_environment_needs_a_registry_override(tmp_path: Path) -> None:
    with pytest.raises(image.ImageError, match=r"ENV=local runs against the local AWS emulator.*REGISTRY=host:port"):
        image.resolve_target(env_name="local", name="flask-app", registry=None, out_dir=tmp_path)


def test_unknown_environment_is_refused(tmp_path: Path) -> None:
    with pytest.raises(image.ImageError, match=r"nope"):
        image.resolve_target(env_name="nope", name="flask-app", registry=None, out_dir=tmp_path)


def test_without_registry_state_the_ecr_url_is_computed(tmp_path: Path) -> None:
    from envconfig import load_environment

    dev = load_environment("dev")
    looked_up: list[Any] = []

    def account(env: Any) -> str:
        looked_up.append(env.name)
        return "123456789012"

    target = image.resolve_target(env_name="dev", name="flask-app", registry=None, out_dir=tmp_path,
                                  account_lookup=account)
    assert looked_up == ["dev"]
    assert target.repository == f"123456789012.dkr.ecr.{dev.region}.amazonaws.com/{dev.physical_name()}"
    assert target.ecr_region == dev.region
    assert "computed from STS" in target.source and "does not exist" in target.source


def test_registry_stack_output_is_used_when_present(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "stacks" / "dev-registry").mkdir(parents=True)
    url = "210987654321.dkr.ecr.eu-west-1.amazonaws.com/flask-app-dev"

    from ops import tf

    monkeypatch.setattr(tf.Stack, "outputs", lambda self: {"repository_url": url})
    target = image.resolve_target(env_name="dev", name="flask-app", registry=None, out_dir=tmp_path,
                                  account_lookup=lambda env: pytest.fail("STS must not be called"))
    assert target.repository == url
    assert target.source == "terraform output of dev-registry"


def test_a_registry_output_that_is_not_ecr_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "stacks" / "dev-registry").mkdir(parents=True)
    from ops import tf

    monkeypatch.setattr(tf.Stack, "outputs", lambda self: {"repository_url": "evil.example.com/x"})
    with pytest.raises(image.ImageError, match=r"repository_url='evil.example.com/x' is not an ECR repository URL"):
        image.resolve_target(env_name="dev", name="flask-app", registry=None, out_dir=tmp_path)


def test_push_digest_is_read_from_docker_push_output() -> None:
    out = ("The push refers to repository [127.0.0.1:5000/flask-app]\n1a2b: Pushed\n"
           "abc1234: digest: sha256:" + "0" * 63 + "f size: 949\n")
    assert image.parse_push_digest(out) == "sha256:" + "0" * 63 + "f"
    assert image.parse_push_digest("nothing here") is None


def test_wheels_are_downloaded_per_platform_and_then_cached(tmp_path: Path) -> None:
    req = tmp_path / "requirements-app.txt"
    req.write_text("flask==3.1.3\n")
    calls: list[list[str]] = []

    def fake_run(argv: list[str], **kwargs: Any) -> subprocess.CompletedProcess[str]:
        calls.append(argv)
        return subprocess.CompletedProcess(argv, 0, "", "")

    dest = tmp_path / "wheels"
    image.download_wheels(req, dest, run=fake_run)
    assert [argv[argv.index("--platform") + 1] for argv in calls] == list(image.WHEEL_PLATFORMS)
    assert all("--only-binary=:all:" in argv and "--no-deps" in argv for argv in calls)
    image.download_wheels(req, dest, run=fake_run)
    assert len(calls) == len(image.WHEEL_PLATFORMS)  # cached: no second download
    req.write_text("flask==3.1.3\ngunicorn==27.0.1\n")
    image.download_wheels(req, dest, run=fake_run)
    assert len(calls) == 2 * len(image.WHEEL_PLATFORMS)  # new pins: downloaded again


def test_a_failed_wheel_download_names_the_platform(tmp_path: Path) -> None:
    req = tmp_path / "requirements-app.txt"
    req.write_text("flask==3.1.3\n")

    def failing(argv: list[str], **kwargs: Any) -> subprocess.CompletedProcess[str]:
        return subprocess.CompletedProcess(argv, 1, "", "No matching distribution")

    with pytest.raises(image.ImageError, match=r"pip download .* for manylinux2014_x86_64 failed:\nNo matching"):
        image.download_wheels(req, tmp_path / "w", run=failing)


def test_requirements_app_pins_match_requirements_txt() -> None:
    root = image.REPO_ROOT

    def pins(path: Path) -> dict[str, str]:
        out = {}
        for line in path.read_text().splitlines():
            line = line.split("#", 1)[0].strip()
            if "==" in line:
                name, version = line.split("==", 1)
                out[name.strip().lower()] = version.strip()
        return out

    app_pins = pins(root / "requirements-app.txt")
    main_pins = pins(root / "requirements.txt")
    for name in ("flask", "gunicorn", "boto3", "botocore"):  # boto3: the queue clients of app/queue.py
        assert app_pins[name] == main_pins[name], name
    assert all(v and "*" not in v for v in app_pins.values())


def _fake_bin(directory: Path, name: str, script: str) -> None:
    path = directory / name
    path.write_text("#!/bin/sh\n" + script)
    path.chmod(0o755)


def test_ecr_login_pipes_get_login_password_into_docker_login(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    # The two ends of the pipe run at the same time: each fake keeps its own record, so the
    # assertions do not depend on which one writes first.
    aws_record, docker_record = tmp_path / "aws.record", tmp_path / "docker.record"
    _fake_bin(bin_dir, "aws", f'echo "aws $*" >> {aws_record}\nprintf "ecr-secret-pw"\n')
    _fake_bin(bin_dir, "docker", f'echo "docker $*" >> {docker_record}\necho "stdin=$(cat)" >> {docker_record}\n')
    monkeypatch.setenv("PATH", f"{bin_dir}:/usr/bin:/bin")
    target = image.Target(repository="123456789012.dkr.ecr.ap-southeast-1.amazonaws.com/flask-app-dev",
                          source="test", ecr_region="ap-southeast-1")
    image.login_ecr(target, "dev")
    assert aws_record.read_text().splitlines() == ["aws ecr get-login-password --region ap-southeast-1"]
    assert docker_record.read_text().splitlines() == [
        "docker login --username AWS --password-stdin 123456789012.dkr.ecr.ap-southeast-1.amazonaws.com",
        "stdin=ecr-secret-pw",  # the password travels on stdin, never in argv
    ]


def test_ecr_login_fails_when_get_login_password_fails(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    _fake_bin(bin_dir, "aws", 'echo "Unable to locate credentials" >&2\nexit 255\n')
    _fake_bin(bin_dir, "docker", 'cat >/dev/null\necho "Error: Cannot perform an interactive login" >&2\nexit 1\n')
    monkeypatch.setenv("PATH", f"{bin_dir}:/usr/bin:/bin")
    target = image.Target(repository="123456789012.dkr.ecr.ap-southeast-1.amazonaws.com/x", source="t",
                          ecr_region="ap-southeast-1")
    with pytest.raises(image.ImageError, match=r"aws ecr get-login-password failed \(exit 255\): Unable to locate"):
        image.login_ecr(target, "dev")


def test_ecr_login_falls_back_to_boto3_without_the_aws_cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import base64

    from ops import aws

    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    record = tmp_path / "record"
    _fake_bin(bin_dir, "docker", f'echo "docker $*" >> {record}\necho "stdin=$(cat)" >> {record}\n')
    monkeypatch.setenv("PATH", f"{bin_dir}:/usr/bin:/bin")
    real_which = image.shutil.which
    monkeypatch.setattr(image.shutil, "which", lambda name: None if name == "aws" else real_which(name))

    class FakeEcr:
        def get_authorization_token(self) -> dict[str, Any]:
            token = base64.b64encode(b"AWS:boto-secret-pw").decode()
            return {"authorizationData": [{"authorizationToken": token}]}

    monkeypatch.setattr(aws, "client", lambda env, service, **kw: FakeEcr())
    target = image.Target(repository="123456789012.dkr.ecr.ap-southeast-1.amazonaws.com/x", source="t",
                          ecr_region="ap-southeast-1")
    image.login_ecr(target, "dev")
    assert record.read_text().splitlines() == [
        "docker login --username AWS --password-stdin 123456789012.dkr.ecr.ap-southeast-1.amazonaws.com",
        "stdin=boto-secret-pw",
    ]
