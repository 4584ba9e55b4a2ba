"""Fixtures for the ops tests: the project's emulator on a free port."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from ops import emulator

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextlib.contextmanager
def serve_emulator(folder: Path, records: Path) -> Iterator[str]:
    """`python -m ops.emulator serve` (moto + the compat layer) on a free port, its API-model records
    in ``records`` and its log in ``folder``; yields its URL and stops it afterwards."""
    pytest.importorskip("moto", reason="moto[server] is not installed (requirements-dev.txt pins it)")
    port = free_port()
    # The server logs every request: a file, not an unread pipe that would fill up and block it.
    log_path = folder / "emulator.log"
    env = {**os.environ, "MOTO_ECS_SERVICE_RUNNING": "1", "EMULATOR_API_LOG": str(records)}
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "ops.emulator", "serve", "--port", str(port)],
            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
        )  # fmt: skip
    url = emulator.endpoint_url(port)
    deadline = time.monotonic() + 60
    while not emulator.is_up(url, timeout=0.5):
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            pytest.fail("ops.emulator serve did not answer on %s: %s" % (url, log_path.read_text()[-2000:]))
        time.sleep(0.2)
    try:
        yield url
    finally:
        process.terminate()
        process.wait(timeout=15)


def terraform_env(url: str) -> dict[str, str]:
    """The environment Terraform (and boto3) run with against the emulator at ``url``: dummy credentials, us-east-1,
    no instance-metadata lookups."""
    return {**os.environ, "AWS_ENDPOINT_URL": url, "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_REGION": "us-east-1", "AWS_EC2_METADATA_DISABLED": "true"}  # fmt: skip


def applied_stack(
    doc: dict[str, Any], name: str, url: str, tmp_path: Path, addresses: tuple[str, ...]
) -> tuple[Any, Any]:
    """Apply the synthesized ``doc`` as stack ``name`` on the emulator at ``url`` through a saved plan; check that
    every one of ``addresses`` (prefixes) is in the state and that a second plan finds no changes.

    Returns ``(stack, log)``: the :class:`ops.tf.Stack` (to destroy it) and the StringIO of its progress lines.
    """
    import io
    import json

    from ops import tf

    stack_dir = tmp_path / "stacks" / name
    stack_dir.mkdir(parents=True)
    doc["terraform"]["backend"] = {"local": {"path": "../state/%s.tfstate" % name}}
    (stack_dir / "cdk.tf.json").write_text(json.dumps(doc))
    log = io.StringIO()
    stack = tf.Stack(stack_dir, env=terraform_env(url), log=log)
    stack.init()
    plan_file = stack_dir.parent / "plans" / ("%s.tfplan" % name)
    assert stack.plan(plan_file, {}) == 2
    stack.apply_plan(plan_file)
    applied = stack.state_resources()
    for address in addresses:
        assert any(a.startswith(address) for a in applied), (address, applied)
    assert stack.plan(None, {}) == 0, stack.last_plan_output  # nothing drifts right after the apply
    return stack, log


@pytest.fixture(scope="session")
def patched(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The project's emulator for the ops tests; its API-model records stay out of the project's .state/."""
    folder = tmp_path_factory.mktemp("emulator")
    with serve_emulator(folder, folder / "api.jsonl") as url:
        yield url


@pytest.fixture
def client_for(patched: str) -> Callable[[str], Any]:
    """boto3 client factory for the test emulator."""
    import boto3

    def make(service: str) -> Any:
        return boto3.client(
            service, endpoint_url=patched, region_name="us-east-1",
            aws_access_key_id="testing", aws_secret_access_key="testing",
        )  # fmt: skip

    return make
