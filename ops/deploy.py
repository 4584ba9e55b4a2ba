"""``make deploy``: from an empty account to a smoke-tested service, step by step.

Example::

    python -m ops.deploy                       # ENV=local: the emulator on 127.0.0.1
    python -m ops.deploy --env dev --timeout 1200
    python -m ops.deploy --env prod --confirm prod   # production: plan, confirm, apply only that plan

Steps (each prints a ``==> [n/6]`` line):

1. check access (credentials, or start the emulator) and synth;
2. apply ``<env>-registry``;
3. build the image and push it, tagged with the git sha (:mod:`ops.image` in-process, as ``make build`` / ``make push``);
4. apply ``<env>`` with ``-var image_tag=<tag>``;
5. wait, at most ``--timeout`` seconds (``DEPLOY_TIMEOUT``, default 900), until the new
   deployment is the only one, runs the new task definition with every task running, its
   rollout is COMPLETED, and every target in the target group is healthy;
6. print the URL and smoke-test ``GET <url><health_check_path>``.

On failure or timeout - including a deployment circuit-breaker rollback - it exits 1 and prints
what the troubleshooting flow looks up: the last service events, the stopped tasks'
``stoppedReason`` and container exit codes, the target health, and the log group to read.

The emulator (``emulator = true`` environments) runs no containers and its ALB DNS name does
not resolve, so the deploy says what it does not exercise: the image is run and smoke-tested
under the local Docker engine instead (when one answers), it is pushed only to ``--registry``
(moto's ECR is not a registry), task counts come from moto's MOTO_ECS_SERVICE_RUNNING setting
and target health is not checked.

``--skip-image`` (``SKIP_IMAGE=1``) skips step 3 and deploys ``--image-tag`` (``IMAGE_TAG``,
default: the git sha), which must already be in the registry.

A ``production = true`` environment is deployed only through a reviewed plan
(``ops.apply.deploy_reviewed``): step 1 also plans both stacks (``plans/<env>/``) and asks for the
environment's name - typed at the prompt, which shows ``summary.md`` first, or ``--confirm``
(``CONFIRM=<env>``) - and steps 2 and 4 apply exactly the saved plans. Warnings in the plan need
``--ack`` (``ACK=<kind>[,<kind>]``) as for ``make apply``.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from ops import access, tf
from ops import synth as synth_step
from ops.context import DEFAULT_OUT, OpsError, stack_dir, stack_names

if TYPE_CHECKING:
    from envconfig import EnvironmentConfig


STEPS = 6
DEFAULT_TIMEOUT_SECONDS = 900
SMOKE_TIMEOUT_SECONDS = 180


class DeployError(OpsError):
    """A deploy step failed; the message names the step and the cause."""


@dataclass
class WaitResult:
    ok: bool
    reason: str
    notes: list[str] = field(default_factory=list)


def truthy(value: str | None) -> bool:
    return (value or "").strip().lower() in ("1", "true", "yes", "on")


def step(n: int, text: str, log: TextIO) -> None:
    print("==> [%d/%d] %s" % (n, STEPS, text), file=log, flush=True)


# --------------------------------------------------------------------------------------------
# Step 3: image.
# --------------------------------------------------------------------------------------------


def image_tag(env: EnvironmentConfig, explicit: str | None) -> str:
    """``--image-tag``, else the config's ``container.image_tag``, else :func:`ops.image.image_tag`.

    The one tag computation (deploy, plan and apply call this): a production environment never
    gets a tag for build inputs that differ from HEAD; others get ``<sha>-dirty`` for them.
    """
    if explicit:
        return explicit
    if env.container.image_tag:
        return str(env.container.image_tag)
    from ops import image

    try:
        return image.image_tag(allow_dirty=not env.production)
    except image.ImageError as exc:
        raise DeployError("cannot compute the image tag for ENV=%s: %s" % (env.name, exc)) from None


def docker_available(timeout: float = 10.0) -> bool:
    if not shutil.which("docker"):
        return False
    try:
        result = subprocess.run(
            ["docker", "info", "--format", "{{.ServerVersion}}"],
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired:
        return False
    return result.returncode == 0


def smoke_test_container(image: str, env: EnvironmentConfig, log: TextIO, timeout: float = 60.0) -> None:
    """Run ``image`` the way the task does and GET its health path; raise DeployError on failure."""
    run = subprocess.run(
        ["docker", "run", "-d", "--rm", "--read-only", "--tmpfs", "/tmp", "--cap-drop", "ALL",
         "-e", "PORT=%d" % env.container.port, "-p", "127.0.0.1::%d" % env.container.port, image],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    if run.returncode != 0:
        raise DeployError("docker run %s failed: %s" % (image, run.stderr.strip()))
    container = run.stdout.strip()
    try:
        port = subprocess.run(
            ["docker", "port", container, "%d/tcp" % env.container.port], capture_output=True, text=True, check=False
        ).stdout.strip().splitlines()[0].rsplit(":", 1)[-1]
        url = "http://127.0.0.1:%s%s" % (port, env.container.health_check_path)
        status, body = http_get_until_ok(url, timeout)
        if status != 200:
            logs = subprocess.run(["docker", "logs", "--tail", "30", container], capture_output=True, text=True, check=False)
            raise DeployError("the image %s does not answer %s with 200 (got %s): %s\n%s" % (
                image, url, status, body[:200], (logs.stdout + logs.stderr)[-2000:]))  # fmt: skip
        print("   local Docker: %s answers GET %s -> 200 %s" % (image, env.container.health_check_path, body[:120]), file=log)
    finally:
        subprocess.run(["docker", "rm", "-f", container], capture_output=True, check=False)


def build_and_push(env: EnvironmentConfig, tag: str, registry: str | None, log: TextIO, out: Path = DEFAULT_OUT) -> list[str]:
    """Step 3, through :mod:`ops.image` in-process (what ``make build`` / ``make push`` run). Returns notes."""
    from ops import image

    name = os.environ.get("IMAGE_NAME") or "flask-app"
    if env.emulator and not docker_available():
        notes = [
            "image NOT built or run: no Docker engine answers (`docker info` failed). The emulator deploy"
            " references %s:%s without an image; run `make test-image` to prove the image." % (env.app_name, tag)
        ]
        print("   SKIPPED: %s" % notes[-1], file=log)
        return notes
    image.build(name=name, tag=tag, base_image=os.environ.get("BASE_IMAGE") or None)
    if env.emulator:
        smoke_test_container("%s:%s" % (name, tag), env, log)
        if not registry:
            note = "image not pushed: the emulator's ECR is not a registry; pass REGISTRY=host:port to push"
            print("   %s" % note, file=log)
            return [note]
    target = image.resolve_target(env_name=env.name, name=name, registry=registry, out_dir=out)
    image.push(
        name=name, tag=tag, target=target, env_name=env.name,
        registry_user=os.environ.get("REGISTRY_USER") or None,
        registry_password=os.environ.get("REGISTRY_PASSWORD") or None,
    )  # fmt: skip
    return []


# --------------------------------------------------------------------------------------------
# Step 5: wait.
# --------------------------------------------------------------------------------------------

ROLLBACK_MARKERS = ("rolling back", "circuit breaker", "rolled back")


def _events_since(service: Mapping[str, Any], since: Any) -> list[str]:
    out = []
    for event in service.get("events", []):
        created = event.get("createdAt")
        if since is None or created is None or created >= since:
            out.append(str(event.get("message", "")))
    return out


def check_service(
    service: Mapping[str, Any],
    expected_task_definition: str,
    targets: list[Mapping[str, Any]] | None,
    since: Any = None,
) -> tuple[str, str]:
    """One poll of the rollout: ("done" | "wait" | "failed", a one-line description)."""
    deployments = list(service.get("deployments", []))
    primary = next((d for d in deployments if d.get("status") == "PRIMARY"), None)
    current = service.get("taskDefinition")
    if current and current != expected_task_definition:
        return "failed", "the service was rolled back to %s (deployed %s)" % (
            current.rsplit("/", 1)[-1], expected_task_definition.rsplit("/", 1)[-1])  # fmt: skip
    for message in _events_since(service, since):
        if any(marker in message.lower() for marker in ROLLBACK_MARKERS):
            return "failed", "circuit breaker: %s" % message
    if primary is None:
        return "wait", "no PRIMARY deployment yet"
    rollout = primary.get("rolloutState")
    if rollout == "FAILED":
        return "failed", "deployment %s FAILED: %s" % (primary.get("id"), primary.get("rolloutStateReason"))
    desired, running = int(primary.get("desiredCount", 0)), int(primary.get("runningCount", 0))
    parts = [
        "rollout %s" % (rollout or "?"),
        "running %d/%d" % (running, desired),
        "pending %d" % int(primary.get("pendingCount", 0)),
        "failed tasks %d" % int(primary.get("failedTasks", 0)),
        "deployments %d" % len(deployments),
    ]
    ready = (
        primary.get("taskDefinition") == expected_task_definition
        and len(deployments) == 1
        and running == desired
        and rollout in (None, "COMPLETED")
    )
    if targets is not None:
        states = [str(t.get("TargetHealth", {}).get("State")) for t in targets]
        healthy = states.count("healthy")
        parts.append("targets healthy %d/%d" % (healthy, len(states)))
        ready = ready and healthy >= desired and all(s == "healthy" for s in states)
    return ("done" if ready else "wait"), ", ".join(parts)


def wait_for_service(
    env: EnvironmentConfig,
    outputs: Mapping[str, Any],
    expected_task_definition: str,
    timeout: float,
    log: TextIO,
    *,
    client: Callable[[str], Any],
    poll_seconds: float | None = None,
    since: Any = None,
) -> WaitResult:
    ecs, elbv2 = client("ecs"), client("elbv2")
    cluster, name = str(outputs["cluster_name"]), str(outputs["service_name"])
    target_group = outputs.get("target_group_arn")
    poll = poll_seconds if poll_seconds is not None else (1.0 if env.emulator else 10.0)
    notes = []
    if env.emulator:
        notes.append(
            "emulator: no task ran; runningCount is moto's MOTO_ECS_SERVICE_RUNNING setting and target health"
            " is not checked (moto registers no targets)"
        )
    deadline = time.monotonic() + timeout
    last = ""
    while True:
        described = ecs.describe_services(cluster=cluster, services=[name]).get("services", [])
        if not described:
            return WaitResult(False, "service %s not found in cluster %s" % (name, cluster), notes)
        targets = None
        if target_group and not env.emulator:
            targets = elbv2.describe_target_health(TargetGroupArn=target_group).get("TargetHealthDescriptions", [])
        state, text = check_service(described[0], expected_task_definition, targets, since)
        if text != last:
            print("   %s" % text, file=log, flush=True)
            last = text
        if state == "done":
            return WaitResult(True, text, notes)
        if state == "failed":
            return WaitResult(False, text, notes)
        if time.monotonic() >= deadline:
            return WaitResult(False, "timed out after %.0f s (--timeout); last state: %s" % (timeout, text), notes)
        time.sleep(poll)


def diagnostics(env: EnvironmentConfig, outputs: Mapping[str, Any], log: TextIO) -> None:
    """What the troubleshooting flow reads first: events, stopped tasks, targets, the log group."""
    print("\n--- troubleshooting (%s) ---" % env.name, file=log)
    try:
        from ops import context, status

        ref = context.ServiceRef(
            env=env.name,
            region=env.region,
            emulator=env.emulator,
            cluster=outputs.get("cluster_name"),
            service=outputs.get("service_name"),
            log_group=outputs.get("log_group_name"),
            target_group_arn=outputs.get("target_group_arn"),
        )
        print(status.render_status(status.collect_status(ref, context.client_factory(env))), file=log)
    except Exception as exc:
        print("(could not collect the service status: %s)" % exc, file=log)
    group = outputs.get("log_group_name") or "(unknown: the stack has no log_group_name output)"
    print("Log group: %s   (read it with `make logs ENV=%s SINCE=30m`)" % (group, env.name), file=log)
    print("Checklist: task stoppedReason / exit codes above; execution role can pull the image and write logs;"
          " image URI exists in the registry; container port = target group port; security groups.", file=log)  # fmt: skip


# --------------------------------------------------------------------------------------------
# Step 6: smoke test.
# --------------------------------------------------------------------------------------------


def http_get_until_ok(url: str, timeout: float, interval: float = 3.0) -> tuple[int | None, str]:
    deadline = time.monotonic() + timeout
    status: int | None = None
    body = ""
    while True:
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                status, body = int(response.status), response.read(2000).decode("utf-8", "replace")
        except urllib.error.HTTPError as exc:
            status, body = exc.code, exc.read(2000).decode("utf-8", "replace")
        except (TimeoutError, urllib.error.URLError, OSError) as exc:
            status, body = None, str(exc)
        if status == 200 or time.monotonic() >= deadline:
            return status, body
        time.sleep(interval)


# --------------------------------------------------------------------------------------------
# Steps shared with ``make apply`` (ops.apply): the image, then apply <env>, wait, smoke-test.
# --------------------------------------------------------------------------------------------


def image_step(
    env: EnvironmentConfig,
    tag: str,
    *,
    skip_image: bool,
    registry: str | None,
    log: TextIO,
    out: Path = DEFAULT_OUT,
    deployed_tag: str | None = None,
) -> list[str]:
    """Step 3: build and push ``tag``, unless SKIP_IMAGE or ``<env>`` already runs it; returns notes."""
    if deployed_tag == tag:
        step(3, "image: %s already runs tag %s; nothing to build" % (env.name, tag), log)
        return []
    if skip_image:
        step(3, "image: skipped (SKIP_IMAGE); deploying tag %s, which must already be pushed" % tag, log)
        return ["image step skipped: tag %s was not built or pushed by this deploy" % tag]
    step(3, "build and push the image, tag %s" % tag, log)
    return build_and_push(env, tag, registry, log, out)


@dataclass
class Rollout:
    ok: bool
    url: str
    notes: list[str] = field(default_factory=list)


def roll_out(
    env: EnvironmentConfig,
    service_stack: tf.Stack,
    apply: Callable[[], None],
    *,
    label: str,
    command: str,
    timeout: float,
    smoke_timeout: float,
    log: TextIO,
) -> Rollout:
    """Steps 4-6: ``apply`` the ``<env>`` stack, wait for its deployment, smoke-test the URL.

    A failure at step 5 or 6 prints ``<command>: FAILED at step n`` and the diagnostics.
    """
    step(4, label, log)
    service_stack.init()
    from ops import aws

    client_session = aws.session(env)

    def client(name: str) -> Any:
        return aws.client(env, name, boto_session=client_session)

    import datetime as dt

    applied_at = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=5)
    apply()
    outputs = service_stack.outputs()
    url = str(outputs.get("service_url") or "")

    step(5, "wait for the deployment (at most %.0f s)" % timeout, log)
    described = client("ecs").describe_services(
        cluster=str(outputs["cluster_name"]), services=[str(outputs["service_name"])]
    )["services"]
    expected = str(described[0]["taskDefinition"]) if described else ""
    print("   task definition %s" % expected.rsplit("/", 1)[-1], file=log)
    result = wait_for_service(env, outputs, expected, timeout, log, client=client, since=applied_at)
    notes = list(result.notes)
    if not result.ok:
        print("%s: FAILED at step 5: %s" % (command, result.reason), file=log)
        diagnostics(env, outputs, log)
        return Rollout(False, url, notes)

    step(6, "smoke test %s%s" % (url, env.container.health_check_path), log)
    if env.emulator:
        notes.append(
            "emulator: %s resolves only inside the emulator (a zone it holds, aliased to moto's fake ALB DNS"
            " name); /health was not called through a load balancer" % url
        )
        print("   SKIPPED: %s" % notes[-1], file=log)
    else:
        status, body = http_get_until_ok(url + env.container.health_check_path, smoke_timeout)
        if status != 200:
            print("%s: FAILED at step 6: GET %s%s -> %s %s" % (
                command, url, env.container.health_check_path, status, body[:200]), file=log)  # fmt: skip
            diagnostics(env, outputs, log)
            return Rollout(False, url, notes)
        print("   GET %s -> 200 %s" % (env.container.health_check_path, body[:120]), file=log)
    return Rollout(True, url, notes)


def report_up(command: str, env: EnvironmentConfig, url: str, image: str, notes: list[str], started: float, log: TextIO) -> None:
    """The closing lines: what the run did not exercise, then ``<command>: <env> is up at <url> ...``."""
    print("", file=log)
    for note in notes:
        print("NOT EXERCISED: %s" % note, file=log)
    print("%s: %s is up at %s (image %s) in %.0f s" % (command, env.name, url, image, time.monotonic() - started), file=log)


# --------------------------------------------------------------------------------------------
# The whole deploy.
# --------------------------------------------------------------------------------------------


def deploy(
    env: EnvironmentConfig,
    *,
    out: Path = DEFAULT_OUT,
    timeout: float = DEFAULT_TIMEOUT_SECONDS,
    skip_image: bool = False,
    tag: str | None = None,
    registry: str | None = None,
    smoke_timeout: float = SMOKE_TIMEOUT_SECONDS,
    config: Path | None = None,
    confirmation: str | None = None,
    acknowledged: frozenset[str] = frozenset(),
    plans_dir: Path | None = None,
    log: TextIO = sys.stdout,
) -> int:
    """Deploy ``env``; a production one only through a reviewed plan (``ops.apply.deploy_reviewed``)."""
    if env.production:
        from ops import apply

        return apply.deploy_reviewed(
            env, out=out, plans_dir=plans_dir or apply.DEFAULT_PLANS_DIR, config=config, confirmation=confirmation,
            acknowledged=acknowledged, skip_image=skip_image, tag=tag, registry=registry, timeout=timeout,
            smoke_timeout=smoke_timeout, log=log,
        )  # fmt: skip
    started = time.monotonic()
    step(1, "%s: check access, synth" % env.name, log)
    subprocess_env = access.prepare(env, out, log)
    synth_step.run(out, log, config)
    registry_name, service_name = stack_names(env.name)

    step(2, "apply %s" % registry_name, log)
    registry_stack = tf.Stack(stack_dir(registry_name, out), env=subprocess_env, log=log)
    registry_stack.init()
    registry_stack.apply()
    repository = registry_stack.outputs().get("repository_url", "?")
    print("   repository: %s" % repository, file=log)

    image = image_tag(env, tag)
    notes = image_step(env, image, skip_image=skip_image, registry=registry, log=log, out=out)
    service_stack = tf.Stack(stack_dir(service_name, out), env=subprocess_env, log=log)
    rollout = roll_out(
        env, service_stack, lambda: service_stack.apply({"image_tag": image}),
        label="apply %s with image_tag=%s" % (service_name, image), command="deploy",
        timeout=timeout, smoke_timeout=smoke_timeout, log=log,
    )  # fmt: skip
    if not rollout.ok:
        return 1
    report_up("deploy", env, rollout.url, image, notes + rollout.notes, started, log)
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m ops.deploy", description=__doc__.split("\n")[0])
    parser.add_argument("--env", default="local", help="environment name (default: local)")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="synth output directory")
    parser.add_argument("--config", type=Path, default=None, help="environments file (default: envconfig/environments.toml)")
    parser.add_argument(
        "--timeout", type=float, default=float(os.environ.get("DEPLOY_TIMEOUT") or DEFAULT_TIMEOUT_SECONDS),
        help="seconds to wait for the deployment (DEPLOY_TIMEOUT; default %d)" % DEFAULT_TIMEOUT_SECONDS,
    )  # fmt: skip
    parser.add_argument("--skip-image", action="store_true", default=truthy(os.environ.get("SKIP_IMAGE")))
    parser.add_argument("--image-tag", default=os.environ.get("IMAGE_TAG") or None)
    parser.add_argument("--registry", default=os.environ.get("REGISTRY") or None, help="push here instead of ECR")
    parser.add_argument("--confirm", default=os.environ.get("CONFIRM") or None, help="production: the environment name")
    parser.add_argument("--ack", default=os.environ.get("ACK") or None, help="production: warning kinds to accept")
    parser.add_argument("--plans-dir", type=Path, default=None, help="production: where plans/<env>/ is written")
    args = parser.parse_args(argv)

    from envconfig import DEFAULT_FILE, ConfigError, load_environment
    from ops import apply
    from ops.confirm import ConfirmationError

    try:
        env = load_environment(args.env, args.config or DEFAULT_FILE)
        return deploy(
            env, out=args.out, timeout=args.timeout, skip_image=args.skip_image, tag=args.image_tag,
            registry=args.registry, config=args.config, confirmation=args.confirm,
            acknowledged=apply.parse_ack(args.ack), plans_dir=args.plans_dir,
        )  # fmt: skip
    except (apply.ApplyError, ConfirmationError) as exc:
        print("deploy: REFUSED: %s" % exc, file=sys.stderr)
        return 1
    except (ConfigError, OpsError) as exc:
        print("deploy: FAILED: %s" % exc, file=sys.stderr)
        return 1


if __name__ == "__main__":
    raise SystemExit(main())
