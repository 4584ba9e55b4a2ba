"""ops.migrate_state: a local state moves into the S3 backend with Terraform's own migration, once."""

from __future__ import annotations

import io
import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from ops import tf
from ops.migrate_state import MigrateError, migrate_stack
from tests.ops.conftest import terraform_env

BUCKET = "migrate-state-test"


def _config(backend: dict[str, Any]) -> dict[str, Any]:
    return {
        "terraform": {"required_providers": {"aws": {"source": "hashicorp/aws", "version": "5.100.0"}}, "backend": backend},
        "provider": {"aws": [{"region": "us-east-1"}]},
        "resource": {"aws_ecr_repository": {"repo": {"name": "migrate-me", "force_delete": True}}},
    }


@pytest.mark.terraform_apply
def test_local_state_moves_to_s3_and_is_never_overwritten(
    terraform: str, patched: str, client_for: Callable[[str], Any], tmp_path: Path
) -> None:
    env = terraform_env(patched)
    log = io.StringIO()
    local_state = tmp_path / "state" / "tiny.tfstate"
    local_dir = tmp_path / "local" / "tiny"
    local_dir.mkdir(parents=True)
    (local_dir / "cdk.tf.json").write_text(json.dumps(_config({"local": {"path": str(local_state)}})))
    applied = tf.Stack(local_dir, env=env, log=log)
    applied.init()
    applied.apply()
    assert applied.state_resources() == ["aws_ecr_repository.repo"]

    client_for("s3").create_bucket(Bucket=BUCKET)
    s3_backend = {"s3": {"bucket": BUCKET, "key": "p/tiny.tfstate", "region": "us-east-1", "use_path_style": True,
                         "use_lockfile": True}}  # fmt: skip
    remote_dir = tmp_path / "remote" / "tiny"
    remote_dir.mkdir(parents=True)
    (remote_dir / "cdk.tf.json").write_text(json.dumps(_config(s3_backend)))
    stack = tf.Stack(remote_dir, env=env, log=log)

    assert migrate_stack(stack, local_state, log=log) == ["aws_ecr_repository.repo"]
    assert stack.state_resources() == ["aws_ecr_repository.repo"]
    moved = json.loads(client_for("s3").get_object(Bucket=BUCKET, Key="p/tiny.tfstate")["Body"].read())
    old = json.loads(local_state.read_text())
    assert [r["instances"][0]["attributes"]["arn"] for r in moved["resources"]] == [
        r["instances"][0]["attributes"]["arn"] for r in old["resources"]
    ]
    assert "terraform init -migrate-state tiny ... " in log.getvalue()
    assert stack.plan(None) == 0  # the migrated state matches what exists: nothing to do

    with pytest.raises(MigrateError, match=r"s3://migrate-state-test/p/tiny.tfstate already holds state \(serial \d+,"
                       r" lineage [0-9a-f-]+, 1 resources\); refusing to overwrite it"):  # fmt: skip
        migrate_stack(stack, local_state, log=log)
    stack.destroy()


def test_only_an_s3_backend_is_a_target(tmp_path: Path) -> None:
    directory = tmp_path / "tiny"
    directory.mkdir()
    (directory / "cdk.tf.json").write_text(json.dumps(_config({"local": {"path": "x.tfstate"}})))
    state = tmp_path / "x.tfstate"
    state.write_text(json.dumps({"resources": []}))
    with pytest.raises(MigrateError, match=r"tiny has no S3 backend"):
        migrate_stack(tf.Stack(directory, env=dict(os.environ), log=io.StringIO()), state)
