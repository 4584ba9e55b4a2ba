"""The emulator cycle through the make targets, on one emulator: deploy, destroy, deploy again,
no-change drift, the operate commands, destroy; nothing left after either destroy.

Runs only under `make test-e2e` (E2E=1): it takes minutes and drives the real Terraform and
provider against a fresh emulator on a free port with fresh state. Any `.state/local*.tfstate`
of your own is moved aside for the run and put back afterwards.
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
ENV = "local"
# Emulator failures that are not ours (see the deploy step): retried once, on a fresh emulator.
KNOWN_EMULATOR_RACES = ("RouteAlreadyExists",)

pytestmark = pytest.mark.skipif(
    os.environ.get("E2E") != "1", reason="end-to-end emulator cycle: runs in `make test-e2e` (E2E=1)"
)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _require_tools() -> None:
    missing = [tool for tool in ("terraform", "make", "npx") if not shutil.which(tool)]
    if missing:
        pytest.skip("the e2e cycle needs %s on PATH" % ", ".join(missing))
    if not (ROOT / "node_modules" / ".bin" / "cdktf").exists():
        pytest.skip("the e2e cycle needs the cdktf CLI (make npm)")


@pytest.fixture(scope="module")
def cycle_env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """Environment for the make calls: a private emulator port and fresh state for `local`."""
    _require_tools()
    saved = tmp_path_factory.mktemp("saved-state")
    mine = sorted(STATE.glob("%s*.tfstate*" % ENV)) if STATE.is_dir() else []
    for path in mine:
        shutil.move(str(path), saved / path.name)
    port = str(_free_port())
    env = {**os.environ, "EMULATOR_PORT": port, "ENV": ENV, "SKIP_IMAGE": "1", "DEPLOY_TIMEOUT": "300"}
    for key in [k for k in env if k.startswith("AWS_")]:
        del env[key]
    env.pop("MAKEFLAGS", None)
    try:
        yield env
    finally:
        subprocess.run([sys.executable, "-m", "ops.emulator", "stop"], cwd=ROOT, env=env, check=False)
        for path in STATE.glob("%s*.tfstate*" % ENV):
            path.unlink()
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


def emulator_dns(env: dict[str, str]) -> dict[str, list[str]]:
    """Hosted zone name -> "<name> <type>" of each record, read from the cycle's emulator."""
    import boto3

    route53 = boto3.client(
        "route53", endpoint_url="http://127.0.0.1:%s" % env["EMULATOR_PORT"], region_name="us-east-1",
        aws_access_key_id="testing", aws_secret_access_key="testing",
    )  # fmt: skip
    return {
        zone["Name"]: sorted(
            "%s %s" % (rs["Name"], rs["Type"])
            for rs in route53.list_resource_record_sets(HostedZoneId=zone["Id"])["ResourceRecordSets"]
        )
        for zone in route53.list_hosted_zones()["HostedZones"]
    }


# After a destroy the emulator holds the public zone ops/bootstrap.py created, and nothing in it
# but its own NS and SOA records.
ONLY_THE_PREREQUISITE_ZONE = {"local.test.": ["local.test. NS", "local.test. SOA"]}


def test_deploy_destroy_redeploy_drift_destroy(cycle_env: dict[str, str]) -> None:
    """Every step runs while the emulator holds a deployment (both destroys run); every failure is reported."""
    timings: dict[str, float] = {}
    problems: list[str] = []

    def expect(condition: bool, message: str) -> None:
        if not condition:
            problems.append(message)

    def deploy(label: str, emulator: str) -> int:
        code, out, timings[label] = make("deploy", cycle_env)
        if code != 0 and emulator == "started" and any(flake in out for flake in KNOWN_EMULATOR_RACES):
            # Seen once in several runs on a loaded machine: moto answered a CreateRoute that had
            # already succeeded with RouteAlreadyExists. Start over once on a fresh emulator and
            # fresh state; a second failure is reported like any other.
            print("\nknown emulator race (%s); restarting the cycle once on a fresh emulator"
                  % ", ".join(f for f in KNOWN_EMULATOR_RACES if f in out))  # fmt: skip
            subprocess.run([sys.executable, "-m", "ops.emulator", "stop"], cwd=ROOT, env=cycle_env, check=False)
            for path in STATE.glob("%s*.tfstate*" % ENV):
                path.unlink()
            code, out, timings[label] = make("deploy", cycle_env)
        expect(code == 0, "%s: make deploy exited %d:\n%s" % (label, code, out[-4000:]))
        for n in range(1, 7):
            expect("==> [%d/6]" % n in out, "%s: make deploy printed no step %d/6" % (label, n))
        expect("emulator %s at http://127.0.0.1:%s" % (emulator, cycle_env["EMULATOR_PORT"]) in out,
               "%s: the emulator was not %s" % (label, emulator))  # fmt: skip
        expect("deploy: local is up at https://flask-app.local.test" in out, "%s: no final deploy line" % label)
        expect("NOT EXERCISED: emulator: no task ran" in out, "%s: the deploy did not say what the emulator skips" % label)
        return code

    def destroy(label: str) -> None:
        code, out, timings[label] = make("destroy", cycle_env)
        expect(code == 0, "%s: make destroy exited %d:\n%s" % (label, code, out[-4000:]))
        expect("emulator already running" in out, "%s: not the cycle's emulator" % label)
        first, second = "cdktf destroy local ...", "cdktf destroy local-registry ..."
        expect(first in out and second in out, "%s: cdktf destroy did not run" % label)
        if first in out and second in out:
            expect(out.index(first) < out.index(second), "%s: local-registry was destroyed before local" % label)
        expect("resources in state: local " in out, "%s: the state was not read before the destroy" % label)
        expect("its check does not find it" not in out, "%s: a leftover checker did not see its resource before the destroy" % label)
        expect("destroy: local is gone; nothing it created is left" in out, "%s: the leftover check did not pass" % label)
        expect("LEFT:" not in out, "%s: resources were left behind" % label)
        dns = emulator_dns(cycle_env)
        expect(dns == ONLY_THE_PREREQUISITE_ZONE, "%s: the emulator's DNS after destroy: %r" % (label, dns))

    code = deploy("deploy", "started")
    if code == 0:
        destroy("destroy")
        code = deploy("redeploy", "already running")

    if code == 0:
        code, out, timings["drift"] = make("drift", cycle_env)
        expect(code == 0, "make drift ENV=local after a redeploy must find no changes (exit %d):\n%s" % (code, out[-4000:]))
        expect("drift: Result: no changes - local matches the configuration. (exit 0)" in out, "no 'no changes' line")
        summary = (ROOT / "plans" / ENV / "summary.md").read_text()
        expect(
            summary.rstrip().endswith("**Result: no changes - local matches the configuration.**"),
            "summary.md does not end with the no-changes verdict",
        )

    if code == 0:
        # Operating the deployed service (docs/operate.md), on what the emulator supports.
        code, out, timings["status"] = make("status", cycle_env)
        expect(code == 0, "make status exited %d:\n%s" % (code, out[-4000:]))
        expect("Service flask-app-local-web in cluster flask-app-local" in out, "make status named no service")
        code, out, timings["status-json"] = make("status", cycle_env, "FORMAT=json")
        expect(code == 0 and '"desired"' in out, "make status FORMAT=json gave no JSON counts:\n%s" % out[-2000:])
        code, out, timings["logs"] = make("logs", cycle_env, "SINCE=1h")
        expect(code == 0, "make logs exited %d:\n%s" % (code, out[-4000:]))
        code, out, timings["run-task"] = make("run-task", cycle_env, "CMD=python -c 'print(42)'")
        expect(code == 0, "make run-task exited %d:\n%s" % (code, out[-4000:]))
        all_envs = {k: v for k, v in cycle_env.items() if k != "ENV"}  # no ENV: every environment side by side
        code, out, timings["cost"] = make("cost", all_envs)
        expect(code == 0 and all(e in out for e in ("local", "dev", "staging", "prod")), "make cost did not show every environment")

    destroy("final destroy")

    print("\nemulator cycle timings: " + ", ".join("%s %.0f s" % kv for kv in timings.items())
          + "; total %.0f s" % sum(timings.values()))  # fmt: skip
    assert not problems, "\n\n".join(problems)


def test_plan_prod_without_credentials_fails_fast(cycle_env: dict[str, str], tmp_path: Path) -> None:
    env = {**cycle_env, "ENV": "prod", "HOME": str(tmp_path)}
    env["AWS_CONFIG_FILE"] = str(tmp_path / "none")
    env["AWS_SHARED_CREDENTIALS_FILE"] = str(tmp_path / "none")
    code, out, elapsed = make("plan", env, "ENV=prod")
    assert code != 0
    assert "ENV=prod needs AWS credentials for region" in out
    print("make plan ENV=prod without credentials: exit %d in %.1f s" % (code, elapsed))
