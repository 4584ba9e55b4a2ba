"""Whole-environment synthesis: stacks, tags, backends, snapshots, and the synth command.

Snapshots live in tests/snapshots/<stack>.json and are reviewed in diffs like a plan.
After an intended change, refresh them with ``make snapshots`` (UPDATE_SNAPSHOTS=1).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import ROOT, resources

ENVS = ["local", "dev", "staging", "prod"]
STACKS = sorted([e for e in ENVS] + ["%s-registry" % e for e in ENVS])
SNAPSHOTS = ROOT / "tests" / "snapshots"


def test_every_environment_has_two_stacks(synth_dir: Path) -> None:
    assert sorted(p.name for p in (synth_dir / "stacks").iterdir()) == STACKS
    for name in STACKS:
        assert (synth_dir / "stacks" / name / "cdk.tf.json").is_file()


@pytest.mark.parametrize("stack", STACKS)
def test_snapshot(stack: str, synth_all: dict[str, dict[str, Any]]) -> None:
    actual = json.dumps(synth_all[stack], indent=2, sort_keys=True) + "\n"
    path = SNAPSHOTS / ("%s.json" % stack)
    if os.environ.get("UPDATE_SNAPSHOTS") == "1":
        path.write_text(actual)
    assert path.is_file(), "no snapshot for %s; run `make snapshots` and review the new file" % stack
    assert actual == path.read_text(), "%s differs from its snapshot; review, then `make snapshots`" % stack


@pytest.mark.parametrize("stack", STACKS)
def test_provider_default_tags_and_region(stack: str, synth_all: dict[str, dict[str, Any]]) -> None:
    env = stack.removesuffix("-registry")
    (provider,) = synth_all[stack]["provider"]["aws"]
    assert provider["default_tags"] == [
        {"tags": {"app": "flask-app", "environment": env, "managed-by": "cdktf", "project": "ecs-fargate-flask"}}
    ]
    assert provider["region"] == ("us-east-1" if env == "local" else "ap-southeast-1")
    assert "endpoints" not in provider and "skip_requesting_account_id" not in provider


def test_a_local_backend_is_relative_and_per_stack() -> None:
    from cdktf import Testing

    from envconfig import load_environment
    from envconfig.model import BackendConfig
    from stacks import RegistryStack

    env = load_environment("dev").model_copy(update={"backend": BackendConfig(type="local")})
    backend = json.loads(Testing.synth(RegistryStack(Testing.app(), env)))["terraform"]["backend"]
    assert backend == {"local": {"path": "../../../.state/dev-registry.tfstate"}}


def test_no_machine_path_in_output(synth_dir: Path) -> None:
    needles = [str(ROOT), str(Path.home()), "/tmp/", "/work/", "/root/"]
    for path in synth_dir.rglob("*.json"):
        text = path.read_text()
        for needle in needles:
            assert needle not in text, "%s contains the machine path %s" % (path, needle)


def test_registry_stack_outputs(synth_all: dict[str, dict[str, Any]]) -> None:
    out = synth_all["prod-registry"]["output"]
    assert {"repository_url", "repository_name", "repository_arn"} <= set(out)
    (repo,) = resources(synth_all["prod-registry"], "aws_ecr_repository").values()
    assert repo["force_delete"] is False and repo["name"] == "flask-app-prod"
    (dev_repo,) = resources(synth_all["dev-registry"], "aws_ecr_repository").values()
    assert dev_repo["force_delete"] is True


def test_service_stack_takes_image_tag_variable(synth_all: dict[str, dict[str, Any]]) -> None:
    variable = synth_all["prod"]["variable"]["image_tag"]
    assert variable["type"] == "string" and "default" not in variable
    assert "latest" in variable["validation"][0]["condition"]


STATEFUL_LOGICAL_IDS = {
    # A renamed construct ID replaces the real resource; these must never change silently.
    ("prod-registry", "aws_ecr_repository"): "Registry_Repository_5A933889",
    ("prod", "aws_vpc"): "Network_Vpc_FAC8F4A5",
    ("prod", "aws_ecs_cluster"): "Cluster_3DA9CCBA",
    ("prod", "aws_lb"): "LoadBalancer_10456B95",
    ("prod", "aws_cloudwatch_log_group"): "Service_LogGroup_90084B16",
    ("prod", "aws_kms_key"): "LogEncryptionKey_C2B92F0F",
}


@pytest.mark.parametrize(("stack", "rtype"), sorted(STATEFUL_LOGICAL_IDS))
def test_stateful_logical_ids_are_stable(stack: str, rtype: str, synth_all: dict[str, dict[str, Any]]) -> None:
    assert STATEFUL_LOGICAL_IDS[(stack, rtype)] in resources(synth_all[stack], rtype)


def test_s3_backend_with_lockfile_account_pin_and_role(tmp_path: Path) -> None:
    from cdktf import Testing

    from envconfig.model import EnvironmentConfig
    from stacks import RegistryStack

    env = EnvironmentConfig(
        name="prod", app_name="flask-app", region="eu-west-1", production=True, deletion_protection=True,
        account_id="777788889999",
        assume_role={"role_arn": "arn:aws:iam::777788889999:role/deployer", "external_id": "ext-1"},
        load_balancer={"domain_name": "app.example.com", "hosted_zone_name": "example.com"},
        backend={"bucket": "tf-state-bucket", "key_prefix": "teams/web"},
    )  # fmt: skip
    stack = RegistryStack(Testing.app(), env)
    synthesized = json.loads(Testing.synth(stack))
    role = {"role_arn": "arn:aws:iam::777788889999:role/deployer", "external_id": "ext-1", "session_name": "ecs-fargate-flask"}
    assert synthesized["terraform"]["backend"] == {
        "s3": {
            "bucket": "tf-state-bucket", "key": "teams/web/flask-app/prod-registry.tfstate", "region": "eu-west-1",
            "encrypt": True, "use_lockfile": True, "allowed_account_ids": ["777788889999"], "assume_role": role,
        }
    }  # fmt: skip
    (provider,) = synthesized["provider"]["aws"]
    assert provider["allowed_account_ids"] == ["777788889999"]
    assert provider["assume_role"] == [role]


def test_every_shipped_environment_uses_s3_state_in_its_own_account(synth_all: dict[str, dict[str, Any]]) -> None:
    from envconfig import load_environments

    for name, env in load_environments().items():
        for stack in (name, "%s-registry" % name):
            backend = synth_all[stack]["terraform"]["backend"]["s3"]
            assert backend["bucket"] == "tfstate-%s-%s" % (env.account_id, env.region)
            assert backend["use_lockfile"] is True and backend["allowed_account_ids"] == [env.account_id]
            assert synth_all[stack]["provider"]["aws"][0]["allowed_account_ids"] == [env.account_id]
            assert ("use_path_style" in backend) is env.emulator  # the emulator serves path-style only


# --- the synth command: validation first, atomic swap, incremental -------------------------

def run_synth(out: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "ops.synth", "--out", str(out), *extra],
        cwd=ROOT, capture_output=True, text=True, check=False,
    )  # fmt: skip


@pytest.fixture(scope="module")
def synthesized_once(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("cmd") / "cdktf.out"
    result = run_synth(out)
    assert result.returncode == 0, result.stderr
    assert "synthesized into" in result.stdout
    return out


def test_synth_is_incremental(synthesized_once: Path) -> None:
    again = run_synth(synthesized_once)
    assert again.returncode == 0 and "is up to date" in again.stdout


def test_invalid_config_leaves_previous_output_intact(synthesized_once: Path, tmp_path: Path) -> None:
    before = {p: p.read_bytes() for p in synthesized_once.rglob("*") if p.is_file()}
    bad = tmp_path / "environments.toml"
    bad.write_text(
        '[defaults]\napp_name = "flask-app"\nregion = "ap-southeast-1"\n'
        "[environments.prod]\nproduction = true\ndeletion_protection = true\n"
        "[environments.prod.container]\ncpu = 1024\nmemory_mib = 512\n"
    )
    result = run_synth(synthesized_once, "--config", str(bad), "--force")
    assert result.returncode == 2
    assert "prod.container: memory_mib=512 is not valid with cpu=1024; allowed: 2048..8192 in steps of 1024" in result.stderr
    assert "is unchanged" in result.stderr
    after = {p: p.read_bytes() for p in synthesized_once.rglob("*") if p.is_file()}
    assert after == before
    assert not list(synthesized_once.parent.glob("cdktf.out.*")), "a temporary directory was left behind"


def test_failed_synth_leaves_previous_output_intact(synthesized_once: Path, tmp_path: Path) -> None:
    """A crash inside main.py (not a config error) must not touch the previous output either."""
    before = {p: p.read_bytes() for p in synthesized_once.rglob("*") if p.is_file()}
    crash = tmp_path / "python"
    crash.write_text("#!/bin/sh\necho 'partial' >&2\nexit 3\n")
    crash.chmod(0o755)
    from ops.synth import synthesize

    with pytest.raises(subprocess.CalledProcessError):
        synthesize(synthesized_once, force=True, python=str(crash))
    after = {p: p.read_bytes() for p in synthesized_once.rglob("*") if p.is_file()}
    assert after == before


def test_the_input_digest_is_the_same_in_two_checkouts(tmp_path: Path) -> None:
    """The plan job and the apply job of a pipeline check out one commit into different directories."""
    from ops import synth

    digests = []
    for name in ("a", "b"):
        root = tmp_path / name
        for path in synth.input_files(ROOT):
            (root / path.relative_to(ROOT)).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(path, root / path.relative_to(ROOT))
        digests.append(synth.fingerprint(root / "envconfig" / "environments.toml", root))
    assert digests[0] == digests[1]
    (tmp_path / "b" / "main.py").write_text("# changed\n")
    assert synth.fingerprint(tmp_path / "b" / "envconfig" / "environments.toml", tmp_path / "b") != digests[0]


@pytest.mark.parametrize("env", ENVS)
def test_security_groups_and_task_definitions_are_replaced_without_a_gap(env: str, synth_all: dict[str, dict[str, Any]]) -> None:
    """terraform-aws-ecs: create_before_destroy, name_prefix (a fixed name would block it) and a
    description without names in it (a changed description replaces the group)."""
    groups = resources(synth_all[env], "aws_security_group")
    assert groups
    for name, group in groups.items():
        assert group["lifecycle"] == {"create_before_destroy": True}, name
        assert "name" not in group and group["name_prefix"].endswith("-"), name
        assert env not in group["description"], (name, group["description"])
    definitions = resources(synth_all[env], "aws_ecs_task_definition")
    assert definitions
    for name, definition in definitions.items():  # the web service's, and each workload's
        assert definition["lifecycle"] == {"create_before_destroy": True}, name


@pytest.mark.parametrize("env", ENVS)
def test_the_service_depends_on_its_security_group_rules(env: str, synth_all: dict[str, dict[str, Any]]) -> None:
    """The rules exist before the tasks start and are removed only after the service (terraform-aws-ecs).

    For each service: the rules on its task security group, and the ALB's egress rule to it.
    """
    services = resources(synth_all[env], "aws_ecs_service")
    rules = {
        "%s.%s" % (rtype, name): body
        for rtype in ("aws_vpc_security_group_ingress_rule", "aws_vpc_security_group_egress_rule")
        for name, body in resources(synth_all[env], rtype).items()
    }
    for name, service in services.items():
        (group,) = service["network_configuration"]["security_groups"]
        own = {
            address
            for address, body in rules.items()
            if body["security_group_id"] == group
            or (body.get("referenced_security_group_id") == group and "LoadBalancer_SecurityGroup" in body["security_group_id"])
        }
        assert own and own <= set(service["depends_on"]), name
