"""``make apply``: apply exactly the reviewed plan that ``make plan`` saved, or refuse and say why.

Example::

    python -m ops.plan --env prod                      # plans/prod/: binary plans, summary.md, fingerprint.json
    python -m ops.apply --env prod                     # applies those plans and nothing else
    python -m ops.apply --env prod --ack open-ingress  # the plan has an `open-ingress` warning

Steps (each prints a ``==> [n/6]`` line):

1. check access, synth (incremental), then check the reviewed plan BEFORE anything is applied:
   ``plans/<env>/fingerprint.json`` exists; the synth inputs, each stack's state (lineage and
   serial), the binary plans' SHA-256 and the Terraform version are what ``make plan`` saw
   (``ops.fingerprint``); every warning of ``summary.md`` is acknowledged with ``--ack`` (``ACK=``);
   when the image is to be built, this tree builds the tag the plan uses. Any difference refuses
   the whole apply and names what changed;
2. apply the ``<env>-registry`` plan;
3. build and push the image with the plan's tag (as ``make deploy``; nothing to build when
   ``<env>`` already runs it; ``--skip-image`` / ``SKIP_IMAGE=1``: it must already be pushed);
4. apply the ``<env>`` plan;
5. wait for the rollout and 6. smoke-test, as ``make deploy`` does (``ops.deploy.roll_out``).

Once Terraform has applied anything (or the whole run succeeded), the saved plans are consumed:
moved to ``plans/<env>/applied/<UTC time>/``, so they cannot be applied twice. When the ``<env>``
stack was not planned (its registry did not exist yet), only the registry plan is applied and
the command says to plan again.

A ``production = true`` environment's ``make deploy`` comes here too (:func:`deploy_reviewed`):
it plans, then applies only that plan - after the name is typed at the prompt, which shows
``summary.md``, or given as ``CONFIRM=<env>``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from ops import access, deploy, fingerprint, tf
from ops import synth as synth_step
from ops.confirm import ConfirmationError, confirm_production
from ops.context import DEFAULT_OUT, OpsError, deployed_image_tag, stack_dir, stack_names
from ops.plan import DEFAULT_PLANS_DIR, FLAG_TITLES, Flag, StackSummary, plan_stacks, print_warnings, verdict

if TYPE_CHECKING:
    from envconfig import EnvironmentConfig


__all__ = ["DEFAULT_PLANS_DIR", "ApplyError", "apply_reviewed", "deploy_reviewed", "parse_ack"]


class ApplyError(OpsError):
    """The reviewed plan cannot be applied; the message says why and what to do."""


# --------------------------------------------------------------------------------------------
# The checks (pure, apart from reading the fingerprint).
# --------------------------------------------------------------------------------------------


def parse_ack(value: str | None) -> frozenset[str]:
    """``ACK=open-ingress,stateful-replace`` -> its kinds; an unknown kind is an error."""
    kinds = frozenset(k.strip() for k in (value or "").split(",") if k.strip())
    unknown = sorted(kinds - set(FLAG_TITLES))
    if unknown:
        raise ApplyError("ACK=%s: unknown warning kind %s; allowed: %s" % (
            value, ", ".join(repr(k) for k in unknown), ", ".join(FLAG_TITLES)))  # fmt: skip
    return kinds


def check_acknowledged(flags: Sequence[Flag], acknowledged: frozenset[str], env_name: str) -> None:
    """Raise ApplyError listing the kinds still to acknowledge and the flagged resources."""
    missing = [f for f in flags if f.kind not in acknowledged]
    if not missing:
        return
    kinds = sorted({f.kind for f in missing})
    lines = ["  - %s: %s in stack %s - %s" % (f.kind, f.address, f.stack, f.detail) for f in missing]
    raise ApplyError(
        "the plan for %s has %d warning%s; acknowledge %s with ACK=%s:\n%s\n"
        "read plans/%s/summary.md; nothing was applied" % (
            env_name, len(missing), "" if len(missing) == 1 else "s", "it" if len(missing) == 1 else "them",
            ",".join(kinds), "\n".join(lines), env_name)
    )  # fmt: skip


def load_reviewed(folder: Path, env_name: str) -> fingerprint.Fingerprint:
    reviewed = fingerprint.read(folder)
    if reviewed is None:
        raise ApplyError("no reviewed plan for %s; run make plan ENV=%s" % (env_name, env_name))
    return reviewed


def check_reviewed(
    env_name: str,
    reviewed: fingerprint.Fingerprint,
    now: fingerprint.Observed,
    acknowledged: frozenset[str],
    *,
    image_problem: str | None = None,
) -> None:
    """Raise ApplyError when the plan is stale (naming every change) or a warning is not acknowledged."""
    reasons = fingerprint.differences(reviewed.observed, now)
    if image_problem:
        reasons.append(image_problem)
    if reasons:
        raise ApplyError(
            "the reviewed plan for %s (made %s) is stale; nothing was applied:\n%s\n"
            "run make plan ENV=%s again and review it" % (
                env_name, reviewed.created_at, "\n".join("  - " + r for r in reasons), env_name)
        )  # fmt: skip
    check_acknowledged(reviewed.flags, acknowledged, env_name)


def image_problem(env: EnvironmentConfig, planned_tag: str | None, deployed_tag: str | None, skip_image: bool) -> str | None:
    """Why step 3 could not build the planned tag from this tree (None when it can, or builds nothing)."""
    if planned_tag is None or planned_tag == deployed_tag or skip_image:
        return None
    try:
        built = deploy.image_tag(env, None)
    except deploy.DeployError as exc:
        return "image tag %s was planned, but this tree cannot build it: %s" % (planned_tag, exc)
    if built != planned_tag:
        return "image tag %s was planned, but this tree builds %s (or SKIP_IMAGE=1 if %s is already pushed)" % (
            planned_tag, built, planned_tag)  # fmt: skip
    return None


def consume(folder: Path, log: TextIO) -> Path:
    """Move the saved plan's files to ``applied/<UTC time>/`` so they cannot be applied again."""
    target = folder / "applied" / dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    target.mkdir(parents=True, exist_ok=True)
    for path in sorted(folder.iterdir()):
        if path.is_file():
            path.rename(target / path.name)
    print("   the applied plan is kept in %s (it cannot be applied again)" % target, file=log)
    return target


# --------------------------------------------------------------------------------------------
# Applying.
# --------------------------------------------------------------------------------------------


def _stacks(env: EnvironmentConfig, out: Path, subprocess_env: Mapping[str, str], log: TextIO) -> dict[str, tf.Stack]:
    return {name: tf.Stack(stack_dir(name, out), env=subprocess_env, log=log) for name in stack_names(env.name)}


def verify(
    env: EnvironmentConfig,
    stacks: Mapping[str, tf.Stack],
    *,
    out: Path,
    folder: Path,
    config: Path | None,
    acknowledged: frozenset[str],
    skip_image: bool,
    log: TextIO,
) -> tuple[fingerprint.Fingerprint, str | None]:
    """Check the saved plan against now; returns it and the image tag ``<env>`` runs now."""
    reviewed = load_reviewed(folder, env.name)
    for stack in stacks.values():
        stack.init()
    now = fingerprint.observe(out, folder, stacks, planned=list(reviewed.observed.plan_sha256), config=config)
    service = stacks[env.name]
    deployed = deployed_image_tag(service.outputs()) if reviewed.image_tag else None
    check_reviewed(
        env.name, reviewed, now, acknowledged,
        image_problem=image_problem(env, reviewed.image_tag, deployed, skip_image),
    )  # fmt: skip
    changed = [name for name, changes in reviewed.changes.items() if changes]
    print("   the reviewed plan of %s matches: %s" % (
        reviewed.created_at, "changes in " + ", ".join(changed) if changed else "no changes"), file=log)  # fmt: skip
    return reviewed, deployed


def execute(
    env: EnvironmentConfig,
    reviewed: fingerprint.Fingerprint,
    stacks: Mapping[str, tf.Stack],
    *,
    out: Path,
    folder: Path,
    deployed_tag: str | None,
    skip_image: bool,
    registry: str | None,
    timeout: float,
    smoke_timeout: float,
    command: str,
    started: float,
    log: TextIO,
) -> int:
    """Steps 2-6 on a verified plan; the plan is consumed as soon as Terraform has applied it."""
    registry_name, service_name = stack_names(env.name)
    applied: list[str] = []
    consumed: list[Path] = []

    def apply_saved(name: str) -> None:
        if not reviewed.changes.get(name):
            print("   %s: the plan has no changes; nothing to apply" % name, file=log)
            return
        applied.append(name)
        stacks[name].apply_plan(fingerprint.plan_file(folder, name))

    def consume_once() -> None:
        if not consumed:
            consumed.append(consume(folder, log))

    def apply_service() -> None:
        try:
            apply_saved(service_name)
        finally:
            consume_once()

    try:
        deploy.step(2, "apply the reviewed plan of %s" % registry_name, log)
        apply_saved(registry_name)
        if service_name in reviewed.skipped:
            consume_once()
            again = ("make plan ENV=%s again, review it, then make apply ENV=%s" % (env.name, env.name)
                     if command == "apply" else "make deploy ENV=%s again" % env.name)  # fmt: skip
            print("%s: applied %s only; %s was not planned (its registry did not exist yet): run %s"
                  % (command, registry_name, service_name, again), file=log)  # fmt: skip
            return 0
        tag = str(reviewed.image_tag)
        notes = deploy.image_step(
            env, tag, skip_image=skip_image, registry=registry, log=log, out=out, deployed_tag=deployed_tag
        )
        rollout = deploy.roll_out(
            env, stacks[service_name], apply_service,
            label="apply the reviewed plan of %s (image_tag=%s)" % (service_name, tag), command=command,
            timeout=timeout, smoke_timeout=smoke_timeout, log=log,
        )  # fmt: skip
        if not rollout.ok:
            return 1
        deploy.report_up(command, env, rollout.url, tag, notes + rollout.notes, started, log)
        return 0
    finally:
        if applied:  # Terraform failed part-way: state has moved on, the plan is stale
            consume_once()


def apply_reviewed(
    env: EnvironmentConfig,
    *,
    out: Path = DEFAULT_OUT,
    plans_dir: Path = DEFAULT_PLANS_DIR,
    config: Path | None = None,
    acknowledged: frozenset[str] = frozenset(),
    skip_image: bool = False,
    registry: str | None = None,
    timeout: float = deploy.DEFAULT_TIMEOUT_SECONDS,
    smoke_timeout: float = deploy.SMOKE_TIMEOUT_SECONDS,
    log: TextIO = sys.stdout,
) -> int:
    """``make apply``: check the saved plan of ``env``, then apply it (steps 2-6)."""
    started = time.monotonic()
    folder = plans_dir / env.name
    deploy.step(1, "%s: check access, synth, check the reviewed plan in %s" % (env.name, folder), log)
    load_reviewed(folder, env.name)  # before the emulator starts or synth runs: nothing to check
    subprocess_env = access.prepare(env, out, log)
    synth_step.run(out, log, config)
    stacks = _stacks(env, out, subprocess_env, log)
    reviewed, deployed = verify(
        env, stacks, out=out, folder=folder, config=config, acknowledged=acknowledged, skip_image=skip_image, log=log
    )
    return execute(
        env, reviewed, stacks, out=out, folder=folder, deployed_tag=deployed, skip_image=skip_image,
        registry=registry, timeout=timeout, smoke_timeout=smoke_timeout, command="apply", started=started, log=log,
    )  # fmt: skip


def deploy_reviewed(
    env: EnvironmentConfig,
    *,
    out: Path = DEFAULT_OUT,
    plans_dir: Path = DEFAULT_PLANS_DIR,
    config: Path | None = None,
    confirmation: str | None = None,
    acknowledged: frozenset[str] = frozenset(),
    skip_image: bool = False,
    tag: str | None = None,
    registry: str | None = None,
    timeout: float = deploy.DEFAULT_TIMEOUT_SECONDS,
    smoke_timeout: float = deploy.SMOKE_TIMEOUT_SECONDS,
    stdin: TextIO = sys.stdin,
    log: TextIO = sys.stdout,
) -> int:
    """``make deploy`` of a production environment: plan, confirm, then apply only that plan."""
    started = time.monotonic()
    interactive = confirmation is None and stdin.isatty()
    if not interactive:  # CONFIRM=<env>, or no terminal: refuse before planning
        confirm_production(env, confirmation, action="apply", stdin=stdin, log=log)
    deploy.step(1, "%s: check access, synth, plan, confirm" % env.name, log)
    subprocess_env = access.prepare(env, out, log)
    synth_step.run(out, log, config)
    folder = plans_dir / env.name
    image = deploy.image_tag(env, tag)
    summaries, summary_path = plan_stacks(
        env, subprocess_env, out=out, folder=folder, image_tag=image, config=config, log=log
    )
    _print_plan_result(env.name, summaries, summary_path, log)
    stacks = _stacks(env, out, subprocess_env, log)
    reviewed, deployed = verify(
        env, stacks, out=out, folder=folder, config=config, acknowledged=acknowledged, skip_image=skip_image, log=log
    )
    if interactive:
        confirm_production(env, None, action="apply", summary=summary_path.read_text(), stdin=stdin, log=log)
    print("   confirmed: %s" % env.name, file=log)
    return execute(
        env, reviewed, stacks, out=out, folder=folder, deployed_tag=deployed, skip_image=skip_image,
        registry=registry, timeout=timeout, smoke_timeout=smoke_timeout, command="deploy", started=started, log=log,
    )  # fmt: skip


def _print_plan_result(env_name: str, summaries: Sequence[StackSummary], summary_path: Path, log: TextIO) -> None:
    print_warnings(summaries, log)
    print("   summary: %s\n   %s" % (summary_path, verdict(env_name, summaries)), file=log)
    errors = [s for s in summaries if s.error]
    if errors:
        raise ApplyError("the plan for %s has errors; nothing was applied:\n%s" % (
            env_name, "\n".join("%s: %s" % (s.stack, s.error) for s in errors)))  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m ops.apply", description=__doc__.split("\n")[0])
    parser.add_argument("--env", default="local", help="environment name (default: local)")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="synth output directory")
    parser.add_argument("--plans-dir", type=Path, default=DEFAULT_PLANS_DIR, help="where plans/<env>/ was written")
    parser.add_argument("--config", type=Path, default=None, help="environments file (default: envconfig/environments.toml)")
    parser.add_argument("--ack", default=os.environ.get("ACK") or None,
                        help="warning kinds to accept, comma-separated: %s (ACK)" % ", ".join(FLAG_TITLES))  # fmt: skip
    parser.add_argument(
        "--timeout", type=float, default=float(os.environ.get("DEPLOY_TIMEOUT") or deploy.DEFAULT_TIMEOUT_SECONDS),
        help="seconds to wait for the deployment (DEPLOY_TIMEOUT; default %d)" % deploy.DEFAULT_TIMEOUT_SECONDS,
    )  # fmt: skip
    parser.add_argument("--skip-image", action="store_true", default=deploy.truthy(os.environ.get("SKIP_IMAGE")))
    parser.add_argument("--registry", default=os.environ.get("REGISTRY") or None, help="push here instead of ECR")
    args = parser.parse_args(argv)

    from envconfig import DEFAULT_FILE, ConfigError, load_environment

    try:
        env = load_environment(args.env, args.config or DEFAULT_FILE)
        return apply_reviewed(
            env, out=args.out, plans_dir=args.plans_dir, config=args.config, acknowledged=parse_ack(args.ack),
            skip_image=args.skip_image, registry=args.registry, timeout=args.timeout,
        )  # fmt: skip
    except (ApplyError, ConfirmationError) as exc:
        print("apply: REFUSED: %s" % exc, file=sys.stderr)
        return 1
    except (ConfigError, OpsError) as exc:
        print("apply: FAILED: %s" % exc, file=sys.stderr)
        return 1


if __name__ == "__main__":
    raise SystemExit(main())
