"""Stack outputs: read with the real `terraform output -json`, and the commands on a live local deployment."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from ops import context, status

REPO = Path(__file__).resolve().parents[2]
needs_terraform = pytest.mark.skipif(shutil.which("terraform") is None, reason="terraform is not on PATH")


def fake_stack(out: Path, env: str, outputs: dict[str, Any]) -> None:
    """A stack directory whose local backend holds a state with ``outputs`` (no resources)."""
    state = out / "state" / ("%s.tfstate" % env)
    state.parent.mkdir(parents=True)
    state.write_text(json.dumps({
        "version": 4, "terraform_version": "1.11.4", "serial": 1,
        "lineage": "00000000-0000-0000-0000-000000000000",
        "outputs": {k: {"value": v, "type": "string"} for k, v in outputs.items()},
        "resources": [], "check_results": None,
    }))  # fmt: skip
    stack = out / "stacks" / env
    stack.mkdir(parents=True)
    (stack / "cdk.tf.json").write_text(json.dumps({"terraform": {"backend": {"local": {"path": str(state)}}}}))


@needs_terraform
def test_read_outputs_runs_terraform_output_in_the_stack_directory(tmp_path: Path) -> None:
    values = {"cluster_name": "flask-app-local", "service_name": "flask-app-local", "log_group_name": "/ecs/x",
              "target_group_arn": "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/t/1"}  # fmt: skip
    fake_stack(tmp_path, "local", values)
    cfg = context.load_config("local")
    assert dict(context.read_outputs(cfg, tmp_path)) == values  # initialises the directory first
    ref = context.resolve_service(cfg, need=("cluster", "service"), out=tmp_path)
    assert (ref.cluster, ref.service, ref.log_group, ref.target_group_arn) == (
        "flask-app-local", "flask-app-local", "/ecs/x", values["target_group_arn"]
    )


@needs_terraform
def test_read_outputs_of_a_stack_that_was_never_deployed_names_the_missing_outputs(tmp_path: Path) -> None:
    stack = tmp_path / "stacks" / "local"
    stack.mkdir(parents=True)
    state = tmp_path / "nothing.tfstate"
    (stack / "cdk.tf.json").write_text(json.dumps({"terraform": {"backend": {"local": {"path": str(state)}}}}))
    cfg = context.load_config("local")
    with pytest.raises(context.OpsError, match=r"stack 'local' has no output cluster_name, service_name \(outputs present: none\)"):
        context.resolve_service(cfg, need=("cluster", "service"), out=tmp_path)


def test_read_outputs_without_a_synthesized_stack_says_what_to_run(tmp_path: Path) -> None:
    with pytest.raises(context.OpsError, match=r"run `make synth` and `make deploy ENV=local` first, or pass --cluster and --service"):
        context.read_outputs(context.load_config("local"), tmp_path)


# ---- a live deployment of ENV=local (the emulator cycle), when one is up -------------------


def _live_local() -> str | None:
    """Why the live tests cannot run, or None when a local deployment answers."""
    from ops import emulator

    if shutil.which("terraform") is None:
        return "terraform is not on PATH"
    if not (REPO / "cdktf.out" / "stacks" / "local").is_dir():
        return "cdktf.out/stacks/local is missing; run `make synth`"
    if not emulator.is_up():
        return "no local deployment: the emulator does not answer at %s; `make deploy` starts it" % emulator.endpoint_url()
    from botocore.exceptions import ClientError

    from envconfig import load_environment
    from ops import aws

    env = load_environment("local")
    try:
        aws.client(env, "s3").head_object(Bucket=env.state_bucket, Key=env.state_key("local"))
    except ClientError:
        return "no local deployment (no state at s3://%s/%s in the emulator); run `make deploy` first" % (
            env.state_bucket, env.state_key("local"))
    return None


def test_status_and_logs_on_the_live_local_deployment(capsys: pytest.CaptureFixture[str]) -> None:
    """Read-only commands against the real `make deploy` result on the emulator (skipped without one)."""
    reason = _live_local()
    if reason:
        pytest.skip(reason)
    from ops import logs

    assert status.main(["--env", "local", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    outputs = context.read_outputs(context.load_config("local"), REPO / "cdktf.out")
    assert data["cluster"] == outputs["cluster_name"] and data["service"] == outputs["service_name"]
    assert data["target_group_arn"] == outputs["target_group_arn"]
    assert data["counts"]["desired"] >= 1
    assert logs.main(["--env", "local", "--since", "1h"]) == 0
    assert "event(s) in %s" % outputs["log_group_name"] in capsys.readouterr().err
