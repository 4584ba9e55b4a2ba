"""ops.aws: per-environment endpoints and credentials, fail-fast without credentials, no IMDS hang."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from envconfig import load_environment
from ops import aws, emulator

ROOT = Path(__file__).resolve().parents[2]


def _no_credentials_env(tmp_path: Path) -> dict[str, str]:
    """os.environ without any AWS credential source (and a HOME without ~/.aws)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(
        HOME=str(tmp_path),
        AWS_CONFIG_FILE=str(tmp_path / "no-config"),
        AWS_SHARED_CREDENTIALS_FILE=str(tmp_path / "no-credentials"),
    )
    return env


def test_emulator_env_points_at_the_emulator_with_dummy_keys(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EMULATOR_PORT", "5099")
    base = {"AWS_PROFILE": "work", "AWS_SESSION_TOKEN": "t", "PATH": "/bin", "AWS_ENDPOINT_URL_S3": "http://x"}
    env = aws.subprocess_env(load_environment("local"), base)
    assert env["AWS_ENDPOINT_URL"] == "http://127.0.0.1:5099"
    assert (env["AWS_ACCESS_KEY_ID"], env["AWS_SECRET_ACCESS_KEY"]) == (
        emulator.DUMMY_ACCESS_KEY_ID,
        emulator.DUMMY_SECRET_ACCESS_KEY,
    )
    assert env["AWS_REGION"] == env["AWS_DEFAULT_REGION"] == "us-east-1"
    assert env["AWS_EC2_METADATA_DISABLED"] == "true"
    assert env["CHECKPOINT_DISABLE"] == "1"
    assert "AWS_PROFILE" not in env and "AWS_SESSION_TOKEN" not in env and "AWS_ENDPOINT_URL_S3" not in env
    assert env["PATH"] == "/bin"


def test_real_env_never_inherits_an_emulator_endpoint() -> None:
    base = {"AWS_ENDPOINT_URL": "http://127.0.0.1:5055", "AWS_ENDPOINT_URL_ECS": "http://x", "AWS_PROFILE": "prod"}
    env = aws.subprocess_env(load_environment("prod"), base)
    assert "AWS_ENDPOINT_URL" not in env and "AWS_ENDPOINT_URL_ECS" not in env
    assert env["AWS_PROFILE"] == "prod"
    assert env["AWS_REGION"] == "ap-southeast-1"
    assert env["AWS_EC2_METADATA_DISABLED"] == "true"
    assert env["AWS_METADATA_SERVICE_TIMEOUT"] == "1"


def test_imds_stays_available_only_when_explicitly_enabled() -> None:
    env = aws.subprocess_env(load_environment("prod"), {"AWS_EC2_METADATA_DISABLED": "false"})
    assert env["AWS_EC2_METADATA_DISABLED"] == "false"
    assert (env["AWS_METADATA_SERVICE_TIMEOUT"], env["AWS_METADATA_SERVICE_NUM_ATTEMPTS"]) == ("1", "1")


def test_require_credentials_raises_for_prod_without_credentials(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for key in list(os.environ):
        if key.startswith("AWS_"):
            monkeypatch.delenv(key)
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-credentials"))
    with pytest.raises(aws.CredentialsError, match=r"ENV=prod needs AWS credentials for region ap-southeast-1"):
        aws.require_credentials(load_environment("prod"))
    assert os.environ["AWS_EC2_METADATA_DISABLED"] == "true"


def test_clients_have_short_connect_timeouts() -> None:
    config = aws.client_config()
    assert config.connect_timeout == aws.CONNECT_TIMEOUT_SECONDS <= 5
    assert config.retries["max_attempts"] == 3


@pytest.mark.parametrize("module", ["ops.plan", "ops.deploy", "ops.destroy"])
def test_commands_fail_fast_for_prod_without_credentials(tmp_path: Path, module: str) -> None:
    """`make plan ENV=prod` (and deploy/destroy) without credentials: exit 1, a clear message, no hang.

    The subprocess timeout only guards against a hang (e.g. on 169.254.169.254); the test
    asserts the exit code and the message, not a duration.
    """
    args = [sys.executable, "-m", module, "--env", "prod"]
    if module in ("ops.deploy", "ops.destroy"):  # production: confirmed, so the credentials check is reached
        args += ["--confirm", "prod"]
    started = time.monotonic()
    result = subprocess.run(
        args, cwd=ROOT, env=_no_credentials_env(tmp_path), capture_output=True, text=True, timeout=120, check=False
    )
    assert result.returncode == 1, result.stdout + result.stderr
    assert "ENV=prod needs AWS credentials" in result.stderr
    assert "use ENV=local" in result.stderr
    # Nothing was synthesized or planned before the credentials check.
    for later_step in ("synthesized", "is up to date", "terraform "):
        assert later_step not in result.stdout
    print("%s --env prod without credentials: exit 1 after %.1f s" % (module, time.monotonic() - started))


# ---- one account per environment --------------------------------------------------------------


@pytest.fixture
def on_emulator(patched: str, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("EMULATOR_PORT", patched.rsplit(":", 1)[1])
    return patched


def test_the_role_is_assumed_through_sts_and_the_account_checked(on_emulator: str) -> None:
    env = load_environment("local")
    assert env.assume_role is not None
    identity = aws.require_credentials(env)
    assert identity.endswith(
        "account 123456789012 as arn:aws:sts::123456789012:assumed-role/flask-app-deployer/flask-app-local"
    )
    caller = aws.client(env, "sts").get_caller_identity()
    assert caller["Arn"].startswith("arn:aws:sts::123456789012:assumed-role/flask-app-deployer/")


def test_another_account_stops_every_command_before_anything_changes(on_emulator: str) -> None:
    from ops import access

    env = load_environment("local").model_copy(update={"account_id": "210987654321", "assume_role": None})
    with pytest.raises(aws.CredentialsError, match=r"ENV=local lives in AWS account 210987654321 \(account_id\), but the"
                       r" credentials are for account 123456789012 .*nothing was read or changed"):  # fmt: skip
        access.prepare(env, log=open(os.devnull, "w"))  # noqa: SIM115
    s3 = aws.client(load_environment("local"), "s3")
    assert "tfstate-210987654321-us-east-1" not in [b["Name"] for b in s3.list_buckets()["Buckets"]]


def test_a_role_in_another_account_acts_there(on_emulator: str) -> None:
    from envconfig.model import AssumeRoleConfig

    role = AssumeRoleConfig(role_arn="arn:aws:iam::210987654321:role/deployer", session_name="ts")
    env = load_environment("local").model_copy(update={"account_id": "210987654321", "assume_role": role})
    assert "account 210987654321 as arn:aws:sts::210987654321:assumed-role/deployer/ts" in aws.require_credentials(env)
