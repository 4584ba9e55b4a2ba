"""Apply exactly the reviewed plan, through the make targets, on a fresh emulator.

    E2E=1 .venv/bin/python -m pytest -q -rs -s tests/e2e/test_reviewed_plan.py

`make plan` -> `make apply` applies the saved plan (the registry first, then - acknowledged - the
service); a changed input and then a changed state between `make plan` and `make apply` make
`make apply` refuse and name what changed; `make destroy` at the end. Runs only under
`make test-e2e` (E2E=1): a few minutes of real Terraform and provider on a private emulator port
with fresh state. Your own `.state/local*.tfstate` and `plans/local/` are moved aside for the run
and put back afterwards; the emulator is stopped and the run's state removed even on failure.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
STATE = ROOT / ".state"
PLANS = ROOT / "plans" / "local"
ENV = "local"

pytestmark = pytest.mark.skipif(
    os.environ.get("E2E") != "1", reason="end-to-end reviewed-plan workflow: runs in `make test-e2e` (E2E=1)"
)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def run_env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """Environment for the make calls: a private emulator port, fresh state and no saved plan."""
    missing = [tool for tool in ("terraform", "make") if not shutil.which(tool)]
    if missing:
        pytest.skip("the reviewed-plan workflow needs %s on PATH" % ", ".join(missing))
    saved = tmp_path_factory.mktemp("saved")
    for path in sorted(STATE.glob("%s*.tfstate*" % ENV)) if STATE.is_dir() else []:
        shutil.move(str(path), saved / path.name)
    if PLANS.exists():
        shutil.move(str(PLANS), saved / "plans")
    env = {**os.environ, "EMULATOR_PORT": str(_free_port()), "ENV": ENV, "SKIP_IMAGE": "1", "DEPLOY_TIMEOUT": "300"}
    for key in [k for k in env if k.startswith("AWS_")] + ["MAKEFLAGS", "IMAGE_TAG", "ACK", "CONFIRM", "CONFIG"]:
        env.pop(key, None)
    try:
        yield env
    finally:
        subprocess.run([sys.executable, "-m", "ops.emulator", "stop"], cwd=ROOT, env=env, check=False)
        for path in STATE.glob("%s*.tfstate*" % ENV):
            path.unlink()
        shutil.rmtree(PLANS, ignore_errors=True)
        if (saved / "plans").exists():
            shutil.move(str(saved / "plans"), PLANS)
        for path in saved.iterdir():
            shutil.move(str(path), STATE / path.name)


def make(target: str, env: dict[str, str], *extra: str) -> tuple[int, str, float]:
    started = time.monotonic()
    result = subprocess.run(
        ["make", "--no-print-directory", target, *extra], cwd=ROOT, env=env, capture_output=True, text=True,
        timeout=1800, check=False,
    )  # fmt: skip
    elapsed = time.monotonic() - started
    output = result.stdout + result.stderr
    shown = [line for line in output.splitlines() if not line.startswith("     | ")]
    print("\n$ make %s  (exit %d, %.0f s)\n%s" % (" ".join([target, *extra]), result.returncode, elapsed, "\n".join(shown)))
    return result.returncode, output, elapsed


def emulator_client(env: dict[str, str], service: str) -> object:
    import boto3

    return boto3.client(
        service, endpoint_url="http://127.0.0.1:%s" % env["EMULATOR_PORT"], region_name="us-east-1",
        aws_access_key_id="testing", aws_secret_access_key="testing",
    )  # fmt: skip


def test_apply_exactly_the_reviewed_plan(run_env: dict[str, str], tmp_path: Path) -> None:
    """Every step runs (destroy also after a failure); every failure is reported at the end."""
    timings: dict[str, float] = {}
    problems: list[str] = []

    def expect(condition: bool, message: str) -> bool:
        if not condition:
            problems.append(message)
        return condition

    def step(name: str, target: str, *extra: str, ok: bool = True, says: tuple[str, ...] = ()) -> str:
        code, out, timings[name] = make(target, run_env, *extra)
        expect((code == 0) == ok, "%s: make %s exited %d:\n%s" % (name, " ".join([target, *extra]), code, out[-4000:]))
        for text in says:
            expect(text in out, "%s: the output does not say %r" % (name, text))
        return out

    config = tmp_path / "environments.toml"
    shutil.copyfile(ROOT / "envconfig" / "environments.toml", config)
    original = config.read_text()
    try:
        # 1. Nothing deployed: the plan covers the registry; `make apply` applies exactly it.
        step("plan registry", "plan", says=("Result: CHANGES in local-registry, local",))
        step("apply registry", "apply", says=(
            "==> [1/6]", "the reviewed plan of", "terraform apply local-registry",
            "apply: applied local-registry only; local was not planned",
        ))  # fmt: skip
        repositories = emulator_client(run_env, "ecr").describe_repositories()["repositories"]  # type: ignore[attr-defined]
        expect([r["repositoryName"] for r in repositories] == ["flask-app-local"], "no ECR repository: %r" % repositories)
        step("apply again", "apply", ok=False, says=("no reviewed plan for local; run make plan ENV=local",))

        # 2. The service plan opens the ALB to the internet: applied only with ACK=open-ingress.
        step("plan service", "plan", says=("Result: CHANGES in local", "2 warnings"))
        step("apply without ACK", "apply", ok=False, says=("acknowledge them with ACK=open-ingress", "nothing was applied"))
        out = step("apply with ACK", "apply", "ACK=open-ingress",
                   says=("apply: local is up at https://flask-app.local.test",))  # fmt: skip
        for n in range(1, 7):
            expect("==> [%d/6]" % n in out, "make apply printed no step %d/6" % n)
        services = emulator_client(run_env, "ecs").describe_services(  # type: ignore[attr-defined]
            cluster="flask-app-local", services=["flask-app-local-web"])["services"]  # fmt: skip
        expect(len(services) == 1, "the service was not created: %r" % services)
        expect(not (PLANS / "fingerprint.json").exists(), "the applied plan was not consumed")

        # 3. An input changed since the plan (a value in the environments file): refused, named.
        step("plan new tag", "plan", "CONFIG=%s" % config, "IMAGE_TAG=e2e-2", says=("Result: CHANGES in local",))
        config.write_text(original.replace("retention_days = 7", "retention_days = 14", 1))
        out = step("apply, input changed", "apply", "CONFIG=%s" % config, ok=False,
                   says=("inputs changed since the plan (changed: %s)" % config, "nothing was applied"))  # fmt: skip
        expect("state changed" not in out, "the input change was reported as a state change")

        # 4. The state changed since the plan (another deploy): refused, named.
        config.write_text(original)
        step("deploy in between", "deploy", "CONFIG=%s" % config, "IMAGE_TAG=e2e-3",
             says=("deploy: local is up at",))  # fmt: skip
        out = step("apply, state changed", "apply", "CONFIG=%s" % config, ok=False,
                   says=("local: state changed since the plan (serial ", "nothing was applied"))  # fmt: skip
        expect("inputs changed" not in out, "the state change was reported as an input change")
    finally:
        step("destroy", "destroy", says=("destroy: local is gone; nothing tagged with it is left",))
        print("\nreviewed-plan timings: " + ", ".join("%s %.0f s" % kv for kv in timings.items()))
        print("reviewed-plan total: %.0f s" % sum(timings.values()))
    assert not problems, "\n\n".join(problems)
