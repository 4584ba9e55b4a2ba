"""Worst-case rolling-deploy time from the synthesized settings, next to the AWS defaults.

    python -m ops.deploy_timing [--out cdktf.out] [--env prod ...] [--check]

Reads each ``<out>/stacks/<env>/cdk.tf.json`` (run ``make synth`` first) and takes, per
environment, the settings that bound an ECS rolling deployment behind an ALB:

* target-group health check ``interval`` (I) and ``healthy_threshold`` (H);
* the service's ``health_check_grace_period_seconds`` (G);
* the target group's ``deregistration_delay`` (D);
* the container's ``stopTimeout`` (S: SIGTERM to SIGKILL);
* ``deployment_minimum_healthy_percent`` / ``deployment_maximum_percent`` and the task
  count N (the desired count and the autoscaling maximum; the larger result is shown).

Model of one wave (a batch of old tasks replaced by new ones):

1. the new tasks become healthy targets: H consecutive passing checks I seconds apart take at
   most I x H; a task that is still starting may use the grace period G, during which ECS
   ignores failing checks, so a wave that succeeds is healthy after at most max(G, I x H);
2. ECS then deregisters the old tasks; the ALB drains them for D seconds;
3. ECS stops them: SIGTERM, then SIGKILL after at most S seconds.

Waves: ECS may run floor(N x max% / 100) tasks and must keep ceil(N x min% / 100) healthy, so
each wave replaces B = floor(N x max%) - ceil(N x min%) tasks (at least all N at once when
max% = 200 and min% = 100) and the deploy takes ceil(N / B) waves. B <= 0 means the deployment
cannot make progress at all.

worst case = waves x (max(G, I x H) + D + S)

Not modelled (not set by these settings): task placement, ENI attachment and image pull
(typically 15-60 s on Fargate), the ECS scheduler's own polling, and failed tasks being
replaced (the circuit breaker bounds that case instead). The AWS defaults column uses the
values an unconfigured ALB target group and ECS service get: I=30, H=5, G=0, D=300, S=30,
min 100 %, max 200 %.

Target: <= 90 s in every environment. ``--check`` exits 1 when an environment exceeds it.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from rules.stacks import REGISTRY_SUFFIX, of_web_service

TARGET_SECONDS = 90


@dataclass(frozen=True)
class DeploySettings:
    interval_seconds: int
    healthy_threshold: int
    grace_period_seconds: int
    deregistration_delay_seconds: int
    stop_timeout_seconds: int
    minimum_healthy_percent: int
    maximum_percent: int
    task_counts: tuple[int, ...]


#: What an ALB target group / ECS service / container definition get when nothing is set.
AWS_DEFAULTS = DeploySettings(
    interval_seconds=30,
    healthy_threshold=5,
    grace_period_seconds=0,
    deregistration_delay_seconds=300,
    stop_timeout_seconds=30,
    minimum_healthy_percent=100,
    maximum_percent=200,
    task_counts=(2,),
)


@dataclass(frozen=True)
class Estimate:
    tasks: int
    waves: int | None  # None: the deployment cannot make progress
    healthy_seconds: int
    drain_seconds: int
    stop_seconds: int

    @property
    def wave_seconds(self) -> int:
        return self.healthy_seconds + self.drain_seconds + self.stop_seconds

    @property
    def total_seconds(self) -> float:
        return math.inf if self.waves is None else float(self.waves * self.wave_seconds)


def waves(tasks: int, minimum_healthy_percent: int, maximum_percent: int) -> int | None:
    """Waves a rolling deployment of ``tasks`` needs, or None if it cannot progress."""
    if tasks <= 0:
        return 0
    batch = math.floor(tasks * maximum_percent / 100) - math.ceil(tasks * minimum_healthy_percent / 100)
    if batch <= 0:
        return None
    return math.ceil(tasks / min(batch, tasks))


def estimate(settings: DeploySettings) -> Estimate:
    """The worst case over the task counts in ``settings`` (see the module docstring)."""
    results = []
    for n in settings.task_counts:
        results.append(
            Estimate(
                tasks=n,
                waves=waves(n, settings.minimum_healthy_percent, settings.maximum_percent),
                healthy_seconds=max(settings.grace_period_seconds, settings.interval_seconds * settings.healthy_threshold),
                drain_seconds=settings.deregistration_delay_seconds,
                stop_seconds=settings.stop_timeout_seconds,
            )
        )
    return max(results, key=lambda e: e.total_seconds)


def _one(stack: dict[str, Any], rtype: str) -> dict[str, Any]:
    """The web service's ``rtype`` resource: further workloads (``Workload-<name>``) are not behind the ALB, and a
    blue/green release's green target group (``BlueGreen``) is a copy of the service's own."""
    found = [body for name, body in stack.get("resource", {}).get(rtype, {}).items()
             if of_web_service(name)]  # fmt: skip
    if len(found) != 1:
        raise ValueError("expected one %s in the stack, found %d" % (rtype, len(found)))
    return dict(found[0])


def settings_from_stack(stack: dict[str, Any]) -> DeploySettings:
    """Read the deploy-relevant settings of one synthesized ``<env>`` stack."""
    tg = _one(stack, "aws_lb_target_group")
    svc = _one(stack, "aws_ecs_service")
    td = _one(stack, "aws_ecs_task_definition")
    containers = json.loads(td["container_definitions"])
    target = _one(stack, "aws_appautoscaling_target")
    hc = tg.get("health_check", {})
    return DeploySettings(
        interval_seconds=int(hc.get("interval", AWS_DEFAULTS.interval_seconds)),
        healthy_threshold=int(hc.get("healthy_threshold", AWS_DEFAULTS.healthy_threshold)),
        grace_period_seconds=int(svc.get("health_check_grace_period_seconds", 0)),
        deregistration_delay_seconds=int(tg.get("deregistration_delay", AWS_DEFAULTS.deregistration_delay_seconds)),
        stop_timeout_seconds=max(int(c.get("stopTimeout", AWS_DEFAULTS.stop_timeout_seconds)) for c in containers),
        minimum_healthy_percent=int(svc.get("deployment_minimum_healthy_percent", 100)),
        maximum_percent=int(svc.get("deployment_maximum_percent", 200)),
        task_counts=tuple(sorted({int(svc.get("desired_count", 1)), int(target["max_capacity"])})),
    )


def _fmt(seconds: float) -> str:
    return "stalls" if math.isinf(seconds) else "%d s" % seconds


def report(stacks: dict[str, dict[str, Any]]) -> tuple[str, bool]:
    """The table for every environment stack, and whether all meet the target."""
    header = (
        "Rolling-deploy critical path, worst case: waves x (max(grace, interval x healthy) + drain + stop);"
        " target <= %d s" % TARGET_SECONDS
    )
    cols = "%-9s %5s %6s  %-22s %-7s %-7s %10s   | %-22s %-7s %-7s %10s  %s"
    lines = [header, "", cols % ("env", "tasks", "waves", "healthy (G | IxH)", "drain", "stop", "TOTAL",
                                 "AWS defaults healthy", "drain", "stop", "TOTAL", "")]  # fmt: skip
    ok = True
    for env, stack in stacks.items():
        ours_settings = settings_from_stack(stack)
        ours = estimate(ours_settings)
        base = estimate(replace(AWS_DEFAULTS, task_counts=ours_settings.task_counts))
        met = ours.total_seconds <= TARGET_SECONDS
        ok = ok and met
        lines.append(cols % (
            env, "%d" % ours.tasks, "-" if ours.waves is None else "%d" % ours.waves,
            "%d s (%d | %dx%d)" % (ours.healthy_seconds, ours_settings.grace_period_seconds,
                                   ours_settings.interval_seconds, ours_settings.healthy_threshold),
            "%d s" % ours.drain_seconds, "%d s" % ours.stop_seconds, _fmt(ours.total_seconds),
            "%d s (%d | %dx%d)" % (base.healthy_seconds, AWS_DEFAULTS.grace_period_seconds,
                                   AWS_DEFAULTS.interval_seconds, AWS_DEFAULTS.healthy_threshold),
            "%d s" % base.drain_seconds, "%d s" % base.stop_seconds, _fmt(base.total_seconds),
            "ok" if met else "OVER TARGET",
        ))  # fmt: skip
        if not math.isinf(ours.total_seconds) and not math.isinf(base.total_seconds) and ours.total_seconds:
            lines[-1] += "  (%.1fx faster)" % (base.total_seconds / ours.total_seconds)
    for env, stack in stacks.items():
        note = blue_green_note(env, stack)
        if note:
            lines += ["", note]
    lines += [
        "",
        "min/max healthy percent decide the waves (100/200: every task is replaced in one wave).",
        "Not included: task placement + image pull (~15-60 s on Fargate), scheduler polling.",
    ]
    return "\n".join(lines), ok


def blue_green_note(env: str, stack: dict[str, Any]) -> str | None:
    """For an environment whose web service CodeDeploy releases (``aws_codedeploy_deployment_group``): what its
    row means there (the new task set's time to become healthy) and what a release adds; else None."""
    groups = list(stack.get("resource", {}).get("aws_codedeploy_deployment_group", {}).values())
    if not groups:
        return None
    group = groups[0]
    config = str(group.get("deployment_config_name", "?"))
    wait = ((group.get("blue_green_deployment_config") or {}).get("terminate_blue_instances_on_deployment_success")
            or {}).get("termination_wait_time_in_minutes", 0)  # fmt: skip
    return (
        "%s: the web service is released by CodeDeploy (%s), not rolled: its row is the time the new task set"
        " needs to become healthy; then traffic moves as the config says, and the old task set stops %s min after"
        " the release (a quick way back until then)." % (env, config.split(".")[-1], wait)
    )


def load_stacks(out: Path, only: list[str] | None = None) -> dict[str, dict[str, Any]]:
    """``<env>`` stacks (not ``<env>-registry``) of a synthesized output directory."""
    stacks_dir = out / "stacks"
    if not stacks_dir.is_dir():
        raise FileNotFoundError("%s does not exist; run `make synth` first" % stacks_dir)
    stacks = {}
    for path in sorted(stacks_dir.iterdir()):
        if path.name.endswith(REGISTRY_SUFFIX) or (only and path.name not in only):
            continue
        stacks[path.name] = json.loads((path / "cdk.tf.json").read_text())
    if only and sorted(only) != sorted(stacks):
        raise FileNotFoundError("no synthesized stack for %s in %s" % (sorted(set(only) - set(stacks)), stacks_dir))
    return stacks


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", default="cdktf.out", help="synthesized output directory (default: cdktf.out)")
    parser.add_argument("--env", action="append", help="only this environment (repeatable)")
    parser.add_argument("--check", action="store_true", help="exit 1 if an environment exceeds the target")
    args = parser.parse_args(argv)
    try:
        stacks = load_stacks(Path(args.out), args.env)
    except FileNotFoundError as exc:
        sys.stderr.write("error: %s\n" % exc)
        return 2
    text, ok = report(stacks)
    print(text)
    return 1 if args.check and not ok else 0


if __name__ == "__main__":
    sys.exit(main())
