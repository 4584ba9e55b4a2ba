"""``make destroy``: tear an environment down with ``cdktf destroy`` and prove nothing is left.

Example::

    python -m ops.destroy                        # ENV=local
    python -m ops.destroy --env prod --confirm prod

Steps:

1. prod (any ``production = true`` environment) needs the environment name typed in at the
   prompt, or ``--confirm <name>`` (``CONFIRM=prod``); anything else stops here.
2. check access (credentials, or the emulator) and synth;
3. non-prod: delete every image in the environment's ECR repository (prod keeps them, so the
   repository deletion fails loudly rather than losing images);
4. ``npx cdktf destroy <env> --skip-synth --auto-approve``, then the same for ``<env>-registry``
   (``--ignore-missing-stack-dependencies`` because the order is enforced here);
5. the seed's cleanup checklist: list everything still tagged ``project=<project>`` and
   ``environment=<env>`` - Resource Groups Tagging API, plus per-service describes for what it
   does not cover (ECR repositories, IAM roles, Cloud Map namespaces and services, Application
   Auto Scaling targets) and running ECS tasks. Anything left fails the command.

Resources AWS keeps listing after deletion - INACTIVE ECS clusters, services and task-definition
revisions, NAT gateways in state ``deleted``, KMS keys pending deletion - are listed as notes,
not failures.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

from ops import tf
from ops.confirm import ConfirmationError, confirm_production

REPO_ROOT = Path(__file__).resolve().parents[1]
ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
# cdktf's progress line, repeated every few hundred milliseconds.
STATUS_LINE = re.compile(r"^\d+ Stacks? \w+\s+\d+ Stacks? done\s+\d+ Stacks? waiting$")


class DestroyError(RuntimeError):
    """Destroy cannot go on or did not finish; the message says why."""


@dataclass(frozen=True)
class Leftover:
    kind: str
    identifier: str
    source: str
    note: bool = False  # listed, but does not fail the check


# --------------------------------------------------------------------------------------------
# Confirmation.
# --------------------------------------------------------------------------------------------


def confirm(env: Any, given: str | None, *, stdin: TextIO = sys.stdin, log: TextIO = sys.stdout) -> None:
    """Raise ConfirmationError unless a production environment's name was typed or given."""
    confirm_production(env, given, action="destroy", stdin=stdin, log=log)


# --------------------------------------------------------------------------------------------
# ECR.
# --------------------------------------------------------------------------------------------


def empty_repository(ecr: Any, repository: str, log: TextIO) -> int:
    """Delete every image in ``repository``; returns how many image ids were deleted."""
    from botocore.exceptions import ClientError

    ids: list[dict[str, str]] = []
    try:
        for page in ecr.get_paginator("list_images").paginate(repositoryName=repository):
            ids += page.get("imageIds", [])
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") == "RepositoryNotFoundException":
            print("   repository %s does not exist; nothing to empty" % repository, file=log)
            return 0
        raise
    deleted = 0
    for start in range(0, len(ids), 100):
        response = ecr.batch_delete_image(repositoryName=repository, imageIds=ids[start : start + 100])
        deleted += len(response.get("imageIds", []))
        for failure in response.get("failures", []):
            if failure.get("failureCode") != "ImageNotFound":
                raise DestroyError("could not delete an image from %s: %s" % (repository, failure))
    print("   deleted %d image id(s) from %s" % (deleted, repository), file=log)
    return deleted


# --------------------------------------------------------------------------------------------
# cdktf destroy.
# --------------------------------------------------------------------------------------------


def cdktf_destroy_argv(stack: str, out: Path, variables: Mapping[str, str]) -> list[str]:
    argv = [
        "npx", "--no-install", "cdktf", "destroy", stack, "--skip-synth", "--auto-approve",
        "--ignore-missing-stack-dependencies", "--skip-provider-lock", "--no-color", "--output", str(out),
    ]  # fmt: skip
    for key, value in sorted(variables.items()):
        argv += ["--var", "%s=%s" % (key, value)]
    return argv


def cdktf_destroy(stack: str, out: Path, variables: Mapping[str, str], env: Mapping[str, str], log: TextIO) -> None:
    argv = cdktf_destroy_argv(stack, out, variables)
    print("   $ %s" % " ".join(argv), file=log, flush=True)
    started = time.monotonic()
    process = subprocess.Popen(
        argv, cwd=REPO_ROOT, env=dict(env), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    assert process.stdout is not None
    tail: list[str] = []
    for raw in process.stdout:
        line = ANSI.sub("", raw).rstrip()
        if not line.strip() or STATUS_LINE.match(line.strip()):
            continue
        print("     | " + line, file=log, flush=True)
        if not tf.REFRESH_NOISE.search(line):
            tail = [*tail, line][-40:]
    code = process.wait()
    if code != 0:
        raise DestroyError("cdktf destroy %s failed (exit %d):\n%s" % (stack, code, "\n".join(tail)))
    print("   cdktf destroy %s ... %.1f s" % (stack, time.monotonic() - started), file=log, flush=True)


# --------------------------------------------------------------------------------------------
# Leftover check (the seed's cleanup checklist).
# --------------------------------------------------------------------------------------------


def _tags_match(tags: Mapping[str, str], wanted: Mapping[str, str]) -> bool:
    return all(tags.get(k) == v for k, v in wanted.items())


def _kv(tags: list[Mapping[str, str]] | None, key: str = "Key", value: str = "Value") -> dict[str, str]:
    return {str(t[key]): str(t[value]) for t in tags or []}


def deleted_state(client: Callable[[str], Any], arn: str) -> str | None:
    """The state of a resource that is deleted but still listed ("INACTIVE", "deleted"), else None.

    KMS keys cannot be deleted at once: Terraform schedules the deletion (7-30 days), and the key
    stays listed as PendingDeletion until then.
    """
    from botocore.exceptions import ClientError

    resource = arn.split(":", 5)[-1]
    try:
        if ":ecs:" in arn and resource.startswith("task-definition/"):
            status = client("ecs").describe_task_definition(taskDefinition=arn)["taskDefinition"].get("status")
            return None if status == "ACTIVE" else str(status)
        if ":ecs:" in arn and resource.startswith("cluster/"):
            clusters = client("ecs").describe_clusters(clusters=[arn]).get("clusters", [])
            return "INACTIVE" if not clusters or clusters[0].get("status") == "INACTIVE" else None
        if ":ecs:" in arn and resource.startswith("service/"):
            parts = resource.split("/")
            if len(parts) == 3:
                services = client("ecs").describe_services(cluster=parts[1], services=[arn]).get("services", [])
                return "INACTIVE" if not services or services[0].get("status") == "INACTIVE" else None
        if ":kms:" in arn and resource.startswith("key/"):
            metadata = client("kms").describe_key(KeyId=arn)["KeyMetadata"]
            state = str(metadata.get("KeyState"))
            if state in ("PendingDeletion", "PendingReplicaDeletion"):
                when = metadata.get("DeletionDate")
                return "%s%s" % (state, " on %s" % when.date().isoformat() if when is not None else "")
            return None
        if ":ec2:" in arn and resource.startswith("natgateway/"):
            gateways = client("ec2").describe_nat_gateways(NatGatewayIds=[resource.split("/", 1)[1]]).get("NatGateways", [])
            return "deleted" if not gateways or gateways[0].get("State") == "deleted" else None
    except ClientError:
        return None
    return None


def find_leftovers(client: Callable[[str], Any], wanted: Mapping[str, str], name_prefix: str) -> list[Leftover]:
    """Everything still tagged ``wanted`` (or, for IAM, named ``name_prefix*`` and tagged so)."""
    found: dict[str, Leftover] = {}

    def add(item: Leftover) -> None:
        found.setdefault(item.identifier, item)

    # 1. Resource Groups Tagging API. Some deleted resources stay visible for a while (INACTIVE
    # ECS clusters/services/task definitions, NAT gateways in state "deleted"): those are notes.
    filters = [{"Key": k, "Values": [v]} for k, v in wanted.items()]
    tagging = client("resourcegroupstaggingapi")
    arns: list[str] = []
    for page in tagging.get_paginator("get_resources").paginate(TagFilters=filters):
        arns += [r["ResourceARN"] for r in page.get("ResourceTagMappingList", [])]
    for arn in arns:
        kind = arn.split(":")[2] if arn.count(":") >= 5 else "resource"
        if ":route53:::hostedzone/" in arn:
            # The stacks never create hosted zones; the one they use is account setup (ops/bootstrap.py).
            add(Leftover(kind, arn, "tagging API, account prerequisite: not the stack's", note=True))
            continue
        gone = deleted_state(client, arn)
        add(Leftover(kind, arn, "tagging API" + (", %s" % gone if gone else ""), note=gone is not None))

    # 2. Per-service describes for what the tagging API may not return.
    ecr = client("ecr")
    for page in ecr.get_paginator("describe_repositories").paginate():
        for repo in page.get("repositories", []):
            tags = _kv(ecr.list_tags_for_resource(resourceArn=repo["repositoryArn"]).get("tags"))
            if _tags_match(tags, wanted):
                add(Leftover("ecr repository", repo["repositoryArn"], "ecr:DescribeRepositories"))

    iam = client("iam")
    for page in iam.get_paginator("list_roles").paginate():
        for role in page.get("Roles", []):
            if not role["RoleName"].startswith(name_prefix):
                continue
            tags = _kv(iam.list_role_tags(RoleName=role["RoleName"]).get("Tags"))
            if _tags_match(tags, wanted):
                add(Leftover("iam role", role["Arn"], "iam:ListRoles"))

    cloudmap = client("servicediscovery")
    for page in cloudmap.get_paginator("list_namespaces").paginate():
        for ns in page.get("Namespaces", []):
            tags = _kv(cloudmap.list_tags_for_resource(ResourceARN=ns["Arn"]).get("Tags"))
            if _tags_match(tags, wanted):
                add(Leftover("cloud map namespace", ns["Arn"], "servicediscovery:ListNamespaces"))
    for page in cloudmap.get_paginator("list_services").paginate():
        for svc in page.get("Services", []):
            tags = _kv(cloudmap.list_tags_for_resource(ResourceARN=svc["Arn"]).get("Tags"))
            if _tags_match(tags, wanted):
                add(Leftover("cloud map service", svc["Arn"], "servicediscovery:ListServices"))

    scaling = client("application-autoscaling")
    for page in scaling.get_paginator("describe_scalable_targets").paginate(ServiceNamespace="ecs"):
        for target in page.get("ScalableTargets", []):
            arn = target.get("ScalableTargetARN")
            tags = scaling.list_tags_for_resource(ResourceARN=arn).get("Tags", {}) if arn else {}
            if _tags_match(tags, wanted):
                add(Leftover("autoscaling target", arn or target["ResourceId"], "application-autoscaling"))

    ecs = client("ecs")
    cluster_arns: list[str] = []
    for page in ecs.get_paginator("list_clusters").paginate():
        cluster_arns += page.get("clusterArns", [])
    for start in range(0, len(cluster_arns), 100):
        clusters = ecs.describe_clusters(clusters=cluster_arns[start : start + 100], include=["TAGS"]).get("clusters", [])
        for cluster in clusters:
            tags = _kv(cluster.get("tags"), "key", "value")
            if not _tags_match(tags, wanted) or cluster.get("status") == "INACTIVE":
                continue
            add(Leftover("ecs cluster", cluster["clusterArn"], "ecs:DescribeClusters"))
            for page in ecs.get_paginator("list_tasks").paginate(cluster=cluster["clusterArn"], desiredStatus="RUNNING"):
                for task in page.get("taskArns", []):
                    add(Leftover("running ecs task", task, "ecs:ListTasks"))
    return sorted(found.values(), key=lambda item: (item.note, item.kind, item.identifier))


def check_leftovers(
    client: Callable[[str], Any], wanted: Mapping[str, str], name_prefix: str, log: TextIO, *, attempts: int = 1,
    wait_seconds: float = 15.0,
) -> list[Leftover]:
    """find_leftovers, retried ``attempts`` times (the tagging API is eventually consistent)."""
    failing: list[Leftover] = []
    leftovers: list[Leftover] = []
    for attempt in range(1, attempts + 1):
        leftovers = find_leftovers(client, wanted, name_prefix)
        failing = [item for item in leftovers if not item.note]
        if not failing or attempt == attempts:
            break
        print("   %d resource(s) still listed; checking again in %.0f s" % (len(failing), wait_seconds), file=log)
        time.sleep(wait_seconds)
    for item in leftovers:
        print("   %s %-22s %s  (%s)" % ("note:" if item.note else "LEFT:", item.kind, item.identifier, item.source), file=log)
    return failing


# --------------------------------------------------------------------------------------------
# The whole destroy.
# --------------------------------------------------------------------------------------------


def destroy(env: Any, *, out: Path = tf.DEFAULT_OUT, confirmation: str | None = None, log: TextIO = sys.stdout) -> int:
    started = time.monotonic()
    print("==> [1/5] confirm", file=log, flush=True)
    confirm(env, confirmation, log=log)
    print("   %s" % ("confirmed: %s" % env.name if env.production else "%s is not production" % env.name), file=log)

    print("==> [2/5] %s: check access, synth" % env.name, file=log, flush=True)
    subprocess_env = tf.prepare(env, out, log)
    tf.synth(out, log)
    registry_name, service_name = tf.stack_names(env.name)
    registry_stack = tf.Stack(tf.stack_dir(registry_name, out), env=subprocess_env, log=log)
    service_stack = tf.Stack(tf.stack_dir(service_name, out), env=subprocess_env, log=log)
    registry_stack.init()
    service_stack.init()

    from ops import aws

    session = aws.session(env)

    def client(name: str) -> Any:
        return aws.client(env, name, boto_session=session)

    print("==> [3/5] empty the ECR repository", file=log, flush=True)
    repository = registry_stack.outputs().get("repository_name")
    if env.production:
        print("   production: images are kept (the repository deletion fails if it still holds any)", file=log)
    elif repository:
        empty_repository(client("ecr"), str(repository), log)
    else:
        print("   %s has no repository_name output (not deployed); nothing to empty" % registry_name, file=log)

    print("==> [4/5] cdktf destroy %s, then %s" % (service_name, registry_name), file=log, flush=True)
    variables: dict[str, str] = {}
    if tf.declares_variable(service_stack.directory, "image_tag"):
        variables["image_tag"] = tf.deployed_image_tag(service_stack.outputs()) or "destroy"
    cdktf_destroy(service_name, out, variables, subprocess_env, log)
    cdktf_destroy(registry_name, out, {}, subprocess_env, log)

    print("==> [5/5] leftover check", file=log, flush=True)
    tags = tf.default_tags(service_stack.directory)
    wanted: dict[str, str] = {key: tags[key] for key in ("project", "environment") if key in tags}
    if len(wanted) != 2:
        raise DestroyError(
            "stack %s has default_tags %r; the leftover check needs both 'project' and 'environment'" % (service_name, tags)
        )
    print("   resources tagged %s" % ", ".join("%s=%s" % kv for kv in sorted(wanted.items())), file=log)
    failing = check_leftovers(
        client, wanted, "%s-%s" % (env.app_name, env.name), log, attempts=1 if env.emulator else 4
    )
    if failing:
        print("destroy: FAILED: %d resource(s) are left in %s (listed above)" % (len(failing), env.name), file=log)
        return 1
    print("destroy: %s is gone; nothing tagged with it is left (%.0f s)" % (env.name, time.monotonic() - started), file=log)
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m ops.destroy", description=__doc__.split("\n")[0])
    parser.add_argument("--env", default="local", help="environment name (default: local)")
    parser.add_argument("--out", type=Path, default=tf.DEFAULT_OUT, help="synth output directory")
    parser.add_argument("--confirm", default=os.environ.get("CONFIRM") or None, help="the environment name (prod)")
    args = parser.parse_args(argv)

    from botocore.exceptions import BotoCoreError, ClientError

    from envconfig import ConfigError, load_environment
    from ops import aws, emulator

    try:
        env = load_environment(args.env)
        return destroy(env, out=args.out, confirmation=args.confirm)
    except (ConfigError, aws.CredentialsError, emulator.EmulatorError, tf.TerraformError, DestroyError,
            ConfirmationError) as exc:
        print("destroy: FAILED: %s" % exc, file=sys.stderr)
        return 1
    except (BotoCoreError, ClientError) as exc:
        print("destroy: FAILED: AWS error: %s" % exc, file=sys.stderr)
        return 1


if __name__ == "__main__":
    raise SystemExit(main())
