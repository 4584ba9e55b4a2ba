"""The emulator cycle through the make targets, on ONE emulator, as a team runs it.

Runs only under `make test-e2e` (E2E=1): real Terraform and provider against a fresh emulator
on a free port; state in the emulator's S3 bucket. Two operators: A is this checkout, B a copy of
the same working tree with no state of its own (tests/e2e/operators.py). The stages:

1. **A production-shaped deploy** (`CONFIG=` a copy of environments.toml with `local` set to
   `production = true`, `deletion_protection = true`): refused without `CONFIRM`; with it, the
   reviewed plan is applied (registry, then - `ACK=open-ingress` - the service); the load
   balancer really has deletion protection.
   It runs on EC2 capacity and releases the web service as a CodeDeploy canary
   (:data:`EC2_AND_CANARY`): the cluster has the EC2 capacity provider, the service the
   CODE_DEPLOY controller. A second deploy with a new tag runs the canary to completion: the
   primary task set runs the new image, and `make drift` finds no changes.
2. **Its teardown**: `make destroy` refused without `CONFIRM`; with it, protection goes off in a
   first, shown apply, both stacks are destroyed (the emulator refuses to delete a protected load
   balancer, as AWS does) and nothing the stacks created is left, DNS included.
3. **A redeploy on the same emulator** with the shipped config (`make deploy`).
4. **Shared state**: B's `make drift` finds no changes.
5. **The reviewed plan and the lock**: A plans a new image tag and applies exactly that plan;
   while A's apply holds the state lock, B's apply of the same stack is refused on the lock; then
   B's `make drift` again finds no changes (A's tag).
6. **Stale plans refused**: A plans; B deploys meanwhile; A's `make apply` refuses (state
   changed). A plans with a config copy, which is then edited; `make apply` refuses (inputs).
7. The operate commands: status (table and JSON), logs, run-task, cost.
8. `make destroy`: nothing left.

Every stage runs while the previous ones passed; the final destroy always runs; all failures
are reported together. `E2E_STAGES=production_deploy,production_release make test-e2e` runs only
the named stages, in order (a shortcut while working on one; CI runs them all). Any `.state/local*.tfstate` and `plans/local/` of your own are moved
aside for the run and put back afterwards.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.operators import ROOT, copy_checkout, free_port, run

STATE = ROOT / ".state"
PLANS = ROOT / "plans" / "local"
ENV = "local"
PYTHON = str(ROOT / ".venv" / "bin" / "python")

pytestmark = pytest.mark.skipif(
    os.environ.get("E2E") != "1", reason="end-to-end emulator cycle: runs in `make test-e2e` (E2E=1)"
)


@dataclass
class Cycle:
    env: dict[str, str]
    other: Path
    prodlike: Path
    edited: Path


def _production_shaped(text: str) -> str:
    """`local` as production: protection on, the repository kept (the model requires both)."""
    text = text.replace("[environments.local]\n", "[environments.local]\nproduction = true\ndeletion_protection = true\n", 1)
    head, sep, tail = text.partition("[environments.local.registry]\n")
    assert sep, "environments.toml has no [environments.local.registry] table"
    return head + sep + tail.replace("force_delete = true", "force_delete = false", 1) + EC2_AND_CANARY


# The production-shaped `local` also runs on EC2 capacity (Spot above one On-Demand instance) and
# releases its web service as a CodeDeploy canary, the way staging ships: the first deploy builds
# both, the second deploy (a new tag) runs the blue/green path to completion.
EC2_AND_CANARY = """
[environments.local.ec2]
instance_types = ["m6i.large", "m5.large"]
min_size = 1
max_size = 3
on_demand_base_capacity = 1
on_demand_percentage_above_base = 0
[environments.local.release]
strategy = "canary"
percent = 10
minutes = 5
test_ingress_cidrs = ["203.0.113.0/24"]
"""


@pytest.fixture(scope="module")
def cycle(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cycle]:
    missing = [tool for tool in ("terraform", "make", "npx") if not shutil.which(tool)]
    if missing:
        pytest.skip("the e2e cycle needs %s on PATH" % ", ".join(missing))
    if not (ROOT / "node_modules" / ".bin" / "cdktf").exists():
        pytest.skip("the e2e cycle needs the cdktf CLI (make npm)")
    work = tmp_path_factory.mktemp("cycle")
    saved = work / "saved"
    saved.mkdir()
    for path in sorted(STATE.glob("%s*.tfstate*" % ENV)) if STATE.is_dir() else []:
        shutil.move(str(path), saved / path.name)
    if PLANS.exists():
        shutil.move(str(PLANS), saved / "plans")
    shipped = (ROOT / "envconfig" / "environments.toml").read_text()
    prodlike, edited = work / "prodlike.toml", work / "edited.toml"
    prodlike.write_text(_production_shaped(shipped))
    edited.write_text(shipped)
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    for key in ("MAKEFLAGS", "IMAGE_TAG", "ACK", "CONFIRM", "CONFIG"):
        env.pop(key, None)
    env.update(EMULATOR_PORT=str(free_port()), ENV=ENV, SKIP_IMAGE="1", DEPLOY_TIMEOUT="300")
    try:
        yield Cycle(env=env, other=copy_checkout(work / "operator-b"), prodlike=prodlike, edited=edited)
    finally:
        subprocess.run([sys.executable, "-m", "ops.emulator", "stop"], cwd=ROOT, env=env, check=False)
        for path in STATE.glob("%s*.tfstate*" % ENV):
            path.unlink()
        shutil.rmtree(PLANS, ignore_errors=True)
        if (saved / "plans").exists():
            shutil.move(str(saved / "plans"), PLANS)
        for path in saved.glob("%s*.tfstate*" % ENV):
            shutil.move(str(path), STATE / path.name)


def emulator_client(env: dict[str, str], service: str) -> Any:
    import boto3

    return boto3.client(
        service, endpoint_url="http://127.0.0.1:%s" % env["EMULATOR_PORT"], region_name="us-east-1",
        aws_access_key_id="testing", aws_secret_access_key="testing",
    )  # fmt: skip


def emulator_dns(env: dict[str, str]) -> dict[str, list[str]]:
    """Hosted zone name -> "<name> <type>" of each record, read from the cycle's emulator."""
    route53 = emulator_client(env, "route53")
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


def _lock_held(env: dict[str, str], stack: str) -> bool:
    from envconfig import load_environment

    local = load_environment(ENV)
    listed = emulator_client(env, "s3").list_objects_v2(Bucket=local.state_bucket, Prefix=local.state_key(stack))
    return any(item["Key"].endswith(".tflock") for item in listed.get("Contents", []))


def test_the_emulator_cycle(cycle: Cycle) -> None:
    env = cycle.env
    timings: dict[str, float] = {}
    problems: list[str] = []

    def expect(condition: bool, message: str) -> bool:
        if not condition:
            problems.append(message)
        return condition

    def step(name: str, argv: list[str], *, where: Path = ROOT, ok: bool = True, says: tuple[str, ...] = ()) -> tuple[bool, str]:
        started = time.monotonic()
        code, out = run(argv, where, env)
        timings[name] = time.monotonic() - started
        passed = expect((code == 0) == ok, "%s: %s exited %d:\n%s" % (name, " ".join(argv), code, out[-4000:]))
        for text in says:
            passed = expect(text in out, "%s: the output does not say %r" % (name, text)) and passed
        return passed, out

    def make(name: str, target: str, *extra: str, **kwargs: Any) -> tuple[bool, str]:
        return step(name, ["make", "--no-print-directory", target, *extra], **kwargs)

    def destroyed(name: str, out: str) -> None:
        first, second = "cdktf destroy local ...", "cdktf destroy local-registry ..."
        if expect(first in out and second in out, "%s: cdktf destroy did not run" % name):
            expect(out.index(first) < out.index(second), "%s: local-registry was destroyed before local" % name)
        expect("its check does not find it" not in out, "%s: a leftover checker did not see its resource first" % name)
        expect("LEFT:" not in out, "%s: resources were left behind" % name)
        dns = emulator_dns(env)
        expect(dns == ONLY_THE_PREREQUISITE_ZONE, "%s: the emulator's DNS after destroy: %r" % (name, dns))

    prodlike = "CONFIG=%s" % cycle.prodlike
    gone = "destroy: local is gone; nothing it created is left"
    stages: list[Callable[[], bool]] = []

    # 1. A production-shaped deploy: only with CONFIRM; the reviewed plan, registry then service.
    def production_deploy() -> bool:
        make("deploy unconfirmed", "deploy", prodlike, ok=False, says=("pass CONFIRM=local",))
        ok, _ = make("deploy registry (production)", "deploy", prodlike, "CONFIRM=local", "ACK=open-ingress",
                     says=("emulator started at", "applied local-registry only"))  # fmt: skip
        ok, _ = make("deploy service (production)", "deploy", prodlike, "CONFIRM=local", "ACK=open-ingress",
                     says=("deploy: local is up at https://flask-app.local.test",))  # fmt: skip
        elbv2 = emulator_client(env, "elbv2")
        (balancer,) = elbv2.describe_load_balancers(Names=["flask-app-local-alb"])["LoadBalancers"]
        attributes = {a["Key"]: a["Value"] for a in elbv2.describe_load_balancer_attributes(
            LoadBalancerArn=balancer["LoadBalancerArn"])["Attributes"]}  # fmt: skip
        ecs = emulator_client(env, "ecs")
        (cluster,) = ecs.describe_clusters(clusters=["flask-app-local"])["clusters"]
        ec2_providers = [p for p in cluster.get("capacityProviders", []) if not p.startswith("FARGATE")]
        expect(bool(ec2_providers), "the production-shaped cluster has no EC2 capacity provider: %r" % cluster)
        (service,) = ecs.describe_services(cluster="flask-app-local", services=["flask-app-local-web"])["services"]
        controller = service.get("deploymentController", {}).get("type")
        expect(controller == "CODE_DEPLOY", "the production-shaped web service's controller is %r, not CODE_DEPLOY" % controller)
        return ok and expect(attributes.get("deletion_protection.enabled") == "true",
                             "the production-shaped ALB has no deletion protection: %r" % attributes)  # fmt: skip

    # 1b. A second production deploy, a new tag: the canary runs through CodeDeploy to the end;
    # the task set serving traffic runs the new image, and drift then finds no changes.
    def production_release() -> bool:
        ok, out = make("release (production, canary)", "deploy", prodlike, "CONFIRM=local", "ACK=open-ingress",
                       "IMAGE_TAG=e2e-release", says=(
                           "through CodeDeploy (canary)",
                           "deploy: local is up at https://flask-app.local.test (image e2e-release)",
                       ))  # fmt: skip
        expect(re.search(r"release d-\w+: Succeeded:", out) is not None, "the release did not say it Succeeded")
        ecs = emulator_client(env, "ecs")
        (service,) = ecs.describe_services(cluster="flask-app-local", services=["flask-app-local-web"])["services"]
        primary = [s for s in service.get("taskSets", []) if s.get("status") == "PRIMARY"]
        images = [ecs.describe_task_definition(taskDefinition=s["taskDefinition"])["taskDefinition"]
                  ["containerDefinitions"][0]["image"] for s in primary]  # fmt: skip
        expect(len(images) == 1 and images[0].endswith(":e2e-release"),
               "after the release the primary task set runs %r, not the new tag" % images)  # fmt: skip
        drift, _ = make("drift after the release (production)", "drift", prodlike,
                        says=("Result: no changes",))  # fmt: skip
        return ok and drift

    # 2. Its teardown: only with CONFIRM; protection off in a first, shown apply; nothing left.
    def production_teardown() -> bool:
        make("destroy unconfirmed", "destroy", prodlike, ok=False, says=("pass CONFIRM=local",))
        ok, out = make("destroy (production)", "destroy", prodlike, "CONFIRM=local", says=(
            "deletion protection: turning it off for aws_lb.LoadBalancer_10456B95",
            "terraform apply (deletion protection off) local", gone,
        ))  # fmt: skip
        destroyed("destroy (production)", out)
        return ok

    # 3. The redeploy on the same emulator, with the shipped config.
    def redeploy() -> bool:
        ok, out = make("redeploy", "deploy", says=(
            "emulator already running", "deploy: local is up at https://flask-app.local.test",
            "NOT EXERCISED: emulator: no task ran",
        ))  # fmt: skip
        for n in range(1, 7):
            expect("==> [%d/6]" % n in out, "redeploy: make deploy printed no step %d/6" % n)
        return ok and alarm_topic() and database_egress() and access_logs()

    # The ALB writes its access logs to the environment's bucket, which lets nothing in over plain HTTP.
    def access_logs() -> bool:
        elbv2, s3 = emulator_client(env, "elbv2"), emulator_client(env, "s3")
        (balancer,) = elbv2.describe_load_balancers(Names=["flask-app-local-alb"])["LoadBalancers"]
        attributes = {a["Key"]: a["Value"] for a in elbv2.describe_load_balancer_attributes(
            LoadBalancerArn=balancer["LoadBalancerArn"])["Attributes"]}  # fmt: skip
        bucket = attributes.get("access_logs.s3.bucket", "")
        ok = expect(attributes.get("access_logs.s3.enabled") == "true" and bucket == "flask-app-local-alb-logs-123456789012",
                    "redeploy: the ALB's access-log attributes: %r" % attributes)  # fmt: skip
        if not ok:
            return False
        versioning = s3.get_bucket_versioning(Bucket=bucket).get("Status")
        policy = s3.get_bucket_policy(Bucket=bucket)["Policy"]
        return expect(versioning == "Enabled" and "aws:SecureTransport" in policy,
                      "redeploy: the access-log bucket: versioning %r, policy %s" % (versioning, policy))  # fmt: skip

    # The web tasks may reach local's database port (service.egress.database), and HTTPS, nothing else.
    def database_egress() -> bool:
        ec2 = emulator_client(env, "ec2")
        groups = [g for g in ec2.describe_security_groups()["SecurityGroups"]
                  if g["GroupName"].startswith("flask-app-local-tasks")]  # fmt: skip
        if not expect(len(groups) == 1, "redeploy: one web task security group expected: %r" % [g["GroupName"] for g in groups]):
            return False
        rules = ec2.describe_security_group_rules(Filters=[{"Name": "group-id", "Values": [groups[0]["GroupId"]]}])
        egress = sorted((r["IpProtocol"], r["FromPort"], r["ToPort"], r.get("CidrIpv4"))
                        for r in rules["SecurityGroupRules"] if r["IsEgress"])  # fmt: skip
        return expect(egress == [("tcp", 443, 443, "0.0.0.0/0"), ("tcp", 5432, 5432, "10.40.128.0/17")],
                      "redeploy: the web tasks' egress rules: %r" % egress)  # fmt: skip

    # The alarms reach someone: an encrypted topic, local's e-mail subscription, the failed-deployment rule.
    def alarm_topic() -> bool:
        sns, events = emulator_client(env, "sns"), emulator_client(env, "events")
        topics = [t["TopicArn"] for t in sns.list_topics()["Topics"] if t["TopicArn"].endswith(":flask-app-local-alarms")]
        if not expect(len(topics) == 1, "redeploy: no alarm topic flask-app-local-alarms: %r" % topics):
            return False
        attributes = sns.get_topic_attributes(TopicArn=topics[0])["Attributes"]
        ok = expect(attributes.get("KmsMasterKeyId", "").startswith("arn:aws:kms:"),
                    "redeploy: the alarm topic is not encrypted with a key of its own: %r" % attributes)  # fmt: skip
        subscriptions = sns.list_subscriptions_by_topic(TopicArn=topics[0])["Subscriptions"]
        ok = expect([(x["Protocol"], x["Endpoint"]) for x in subscriptions] == [("email", "oncall@local.test")],
                    "redeploy: the alarm topic's subscriptions: %r" % subscriptions) and ok  # fmt: skip
        targets = events.list_targets_by_rule(Rule="flask-app-local-deployment-failed")["Targets"]
        return expect([t["Arn"] for t in targets] == topics,
                      "redeploy: the failed-deployment rule's targets: %r" % targets) and ok  # fmt: skip

    # 4. Operator B, with no state of its own, sees the same deployment.
    def shared_state() -> bool:
        ok, _ = make("drift (operator B)", "drift", where=cycle.other, says=(
            "state bucket: s3://tfstate-123456789012-us-east-1 (account 123456789012, us-east-1)",
            "assumed-role/flask-app-deployer/flask-app-local",
            "drift: Result: no changes - local matches the configuration. (exit 0)",
        ))  # fmt: skip
        return ok

    # 5. A applies exactly its reviewed plan; B's apply meanwhile is refused on the state lock.
    def reviewed_plan_and_lock() -> bool:
        ok, _ = make("plan (new tag)", "plan", "IMAGE_TAG=e2e-lock", says=("Result: CHANGES in local",))
        if not ok:
            return False
        started = time.monotonic()
        first = subprocess.Popen(["make", "--no-print-directory", "apply"], cwd=ROOT, env=env, text=True,
                                 stdout=subprocess.PIPE, stderr=subprocess.STDOUT)  # fmt: skip
        try:
            deadline = time.monotonic() + 300
            while not _lock_held(env, ENV) and first.poll() is None and time.monotonic() < deadline:
                time.sleep(0.3)
            if expect(first.poll() is None, "make apply ended before it locked the state of local"):
                step("apply while locked (operator B)", [
                    PYTHON, "-c", "from ops import access, context, tf; from envconfig import load_environment;"
                    " tf.Stack(context.stack_dir('local'), env=access.prepare(load_environment('local'))).run("
                    "['apply', '-input=false', '-no-color', '-auto-approve', '-lock-timeout=0s',"
                    " '-var=image_tag=from-b'], label='apply')",
                ], where=cycle.other, ok=False, says=("Error acquiring the state lock",))  # fmt: skip
        finally:
            out = first.communicate(timeout=900)[0]
        timings["apply (reviewed plan)"] = time.monotonic() - started
        print("\n$ make apply  (exit %d)\n%s" % (first.returncode, "\n".join(
            line for line in out.splitlines() if not line.startswith("     | "))))  # fmt: skip
        ok = expect(first.returncode == 0, "make apply of the reviewed plan exited %d" % first.returncode)
        expect("apply: local is up at https://flask-app.local.test" in out, "make apply did not finish the rollout")
        expect(not (PLANS / "fingerprint.json").exists(), "the applied plan was not consumed")
        service = emulator_client(env, "ecs").describe_services(
            cluster="flask-app-local", services=["flask-app-local-web"])["services"][0]  # fmt: skip
        definition = emulator_client(env, "ecs").describe_task_definition(taskDefinition=service["taskDefinition"])
        image = definition["taskDefinition"]["containerDefinitions"][0]["image"]
        expect(image.endswith(":e2e-lock"), "the service does not run the planned tag: %s" % image)
        make("drift after the apply (operator B)", "drift", where=cycle.other,
             says=("image_tag=e2e-lock (what local runs now)", "Result: no changes"))  # fmt: skip
        return ok

    # 6. A stale plan is refused: the state changed (B deployed), or an input changed.
    def stale_plans() -> bool:
        make("plan", "plan", says=("Result:",))
        make("deploy (operator B)", "deploy", "IMAGE_TAG=from-b", where=cycle.other, says=("deploy: local is up at",))
        _, out = make("apply, state changed", "apply", ok=False,
                      says=("local: state changed since the plan (serial ", "nothing was applied"))  # fmt: skip
        expect("inputs changed" not in out, "the state change was reported as an input change")
        make("plan (config copy)", "plan", "CONFIG=%s" % cycle.edited, says=("Result:",))
        cycle.edited.write_text(cycle.edited.read_text().replace("retention_days = 7", "retention_days = 14", 1))
        _, out = make("apply, input changed", "apply", "CONFIG=%s" % cycle.edited, ok=False,
                      says=("inputs changed since the plan (changed: %s)" % cycle.edited, "nothing was applied"))  # fmt: skip
        expect("state changed" not in out, "the input change was reported as a state change")
        return True

    # 7. Operating the deployed service (docs/operate.md), on what the emulator supports.
    def operate() -> bool:
        make("status", "status", says=("Service flask-app-local-web in cluster flask-app-local",))
        make("status json", "status", "FORMAT=json", says=('"desired"',))
        make("logs", "logs", "SINCE=1h")
        make("run-task", "run-task", "CMD=python -c 'print(42)'")
        everything = {k: v for k, v in env.items() if k != "ENV"}  # no ENV: every environment side by side
        code, out = run(["make", "--no-print-directory", "cost"], ROOT, everything)
        expect(code == 0 and all(e in out for e in ("local", "dev", "staging", "prod")), "make cost did not show every environment")
        return True

    stages += [production_deploy, production_release, production_teardown, redeploy, shared_state, reviewed_plan_and_lock, stale_plans, operate]
    only = [name for name in os.environ.get("E2E_STAGES", "").split(",") if name]
    unknown = sorted(set(only) - {stage.__name__ for stage in stages})
    assert not unknown, "E2E_STAGES names no stage %s; allowed: %s" % (unknown, ", ".join(s.__name__ for s in stages))
    if only:  # a developer's shortcut to a few stages (in order); the lane runs them all
        stages = [stage for stage in stages if stage.__name__ in only]
    try:
        for stage in stages:
            if not stage():
                expect(False, "stage %s failed; the later stages were skipped" % stage.__name__)
                break
    finally:
        # 8. The final destroy always runs while the emulator may hold a deployment.
        _, out = make("final destroy", "destroy", says=(gone,))
        destroyed("final destroy", out)
        print("\nemulator cycle timings: " + ", ".join("%s %.0f s" % kv for kv in timings.items())
              + "; total %.0f s" % sum(timings.values()))  # fmt: skip
    assert not problems, "\n\n".join(problems)


def test_plan_prod_without_credentials_fails_fast(cycle: Cycle, tmp_path: Path) -> None:
    env = {**cycle.env, "ENV": "prod", "HOME": str(tmp_path)}
    env["AWS_CONFIG_FILE"] = str(tmp_path / "none")
    env["AWS_SHARED_CREDENTIALS_FILE"] = str(tmp_path / "none")
    started = time.monotonic()
    code, out = run(["make", "--no-print-directory", "plan", "ENV=prod"], ROOT, env)
    assert code != 0
    assert "ENV=prod needs AWS credentials for region" in out
    print("make plan ENV=prod without credentials: exit %d in %.1f s" % (code, time.monotonic() - started))
