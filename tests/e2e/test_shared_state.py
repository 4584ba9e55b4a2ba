"""Two operators share the `local` environment's S3 state on the emulator, and its lock.

Runs under `make test-e2e` (E2E=1), on its own emulator port. Operator A is this checkout; operator
B is a copy of the same working tree in a temporary directory, with no state of its own (the
second engineer, or the pull-request job). What it proves:

1. A deploys; B's drift check finds no changes: the state both use lives in the emulator's S3
   bucket (``tfstate-<account>-<region>``), not in either checkout.
2. While A applies a change, B's apply of the same stack stops on the state lock (S3-native lock
   file, ``use_lockfile``) instead of running; after A finishes, B again finds no changes, now for
   A's new image tag, so the state stayed consistent.
3. The role in ``assume_role`` was assumed through the emulator's STS by both operators.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.operators import ROOT, copy_checkout, free_port, run

pytestmark = pytest.mark.skipif(
    os.environ.get("E2E") != "1", reason="end-to-end emulator test: runs in `make test-e2e` (E2E=1)"
)


@pytest.fixture(scope="module")
def operators(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, Path, dict[str, str]]]:
    for tool in ("terraform", "make", "npx"):
        if not shutil.which(tool):
            pytest.skip("the shared-state test needs %s on PATH" % tool)
    other = copy_checkout(tmp_path_factory.mktemp("operator-b") / "checkout")
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_") and k != "MAKEFLAGS"}
    env.update(EMULATOR_PORT=str(free_port()), ENV="local", SKIP_IMAGE="1", DEPLOY_TIMEOUT="300")
    try:
        yield ROOT, other, env
    finally:
        subprocess.run([sys.executable, "-m", "ops.emulator", "stop"], cwd=ROOT, env=env, check=False)


def _lock_exists(env: dict[str, str], stack: str) -> bool:
    from envconfig import load_environment
    from ops import aws

    local = load_environment("local")
    os.environ["EMULATOR_PORT"] = env["EMULATOR_PORT"]
    listed = aws.client(local, "s3").list_objects_v2(Bucket=local.state_bucket, Prefix=local.state_key(stack))
    return any(item["Key"].endswith(".tflock") for item in listed.get("Contents", []))


def test_two_operators_share_the_state_and_its_lock(operators: tuple[Path, Path, dict[str, str]]) -> None:
    mine, other, env = operators
    python = str(ROOT / ".venv" / "bin" / "python")
    drift = [python, "-m", "ops.plan", "--env", "local", "--drift"]

    code, out = run(["make", "--no-print-directory", "deploy"], mine, env)
    assert code == 0, out[-4000:]
    assert "assumed-role/flask-app-deployer/flask-app-local" in out
    assert "created state bucket s3://tfstate-123456789012-us-east-1" in out

    code, out = run(drift, other, env)
    assert code == 0, "operator B, with no state of its own, must see no changes:\n" + out[-4000:]
    assert "Result: no changes - local matches the configuration." in out
    assert "state bucket: s3://tfstate-123456789012-us-east-1 (account 123456789012, us-east-1)" in out

    # A applies a new image tag; B tries to apply another while A holds the lock.
    first = subprocess.Popen(
        [python, "-m", "ops.deploy", "--env", "local", "--skip-image", "--image-tag", "lock-holder"],
        cwd=mine, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 240
        while not _lock_exists(env, "local"):
            assert first.poll() is None, "operator A's deploy ended before it locked the state:\n" + first.stdout.read()  # type: ignore[union-attr]
            assert time.monotonic() < deadline, "operator A never held the lock of the local stack"
            time.sleep(0.5)
        code, out = run(
            [python, "-c", "import sys; from ops import tf; from envconfig import load_environment; "
             "stack = tf.Stack(tf.stack_dir('local'), env=tf.prepare(load_environment('local'))); "
             "stack.run(['apply', '-input=false', '-no-color', '-auto-approve', '-lock-timeout=0s',"
             " '-var=image_tag=second-operator'], label='apply')"],
            other, env,
        )  # fmt: skip
        assert code != 0, "operator B's apply ran while operator A held the lock:\n" + out[-4000:]
        assert "Error acquiring the state lock" in out, out[-4000:]
    finally:
        first_out = first.communicate(timeout=600)[0]
    assert first.returncode == 0, first_out[-4000:]
    assert "deploy: local is up" in first_out

    code, out = run(drift, other, env)
    assert code == 0, "after A's apply, B must again see no changes (state consistent):\n" + out[-4000:]
    assert "image_tag=lock-holder (what local runs now)" in out

    code, out = run(["make", "--no-print-directory", "destroy"], mine, env)
    assert code == 0, out[-4000:]
    assert "LEFT:" not in out
