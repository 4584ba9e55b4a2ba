"""``make plan`` / ``make drift``: plan both stacks of an environment and summarize for review.

Example::

    python -m ops.plan --env prod            # exit 0 when the plan was computed (changes or not)
    python -m ops.plan --env local --drift   # exit 0 = no changes, 2 = changes, 1 = error

For both stacks (``<env>-registry`` and ``<env>``, planned side by side) it runs ``terraform plan``
and writes, into ``plans/<env>/``:

* ``<stack>.tfplan``      the binary plan (``terraform apply plans/<env>/<stack>.tfplan`` applies it);
* ``<stack>.plan.txt``    the ``terraform plan`` output (without the refresh progress lines);
* ``<stack>.plan.json``   ``terraform show -json`` of it;
* ``summary.md``          add / change / destroy per stack and the warnings below, ready to paste
  into a pull request. Its last line, and this command's, say whether anything changes;
* ``diagram.svg`` / ``.png`` / ``.json``  the environment's picture with what the plan creates, changes,
  replaces or destroys marked (``ops.diagram``), linked from ``summary.md``; without graphviz one
  line says it was skipped and why;
* ``fingerprint.json``    what the plans were made from (``ops.fingerprint``), so that ``make apply``
  (``ops.apply``) applies exactly them or refuses a stale plan. A plan with errors writes none,
  nor does ``--drift`` (a drift check is not a plan for review).

Warnings (loud, at the top of ``summary.md``; ``make apply`` needs ``ACK=<kind>`` for each kind,
the keys of ``FLAG_TITLES``):

* a stateful resource - ECR repository, log group, ALB, VPC, ECS cluster - replaced or destroyed;
* a security group rule opening ingress to 0.0.0.0/0 or ::/0 (new or changed rules only);
* deletion protection turned off: ``enable_deletion_protection`` / ``deletion_protection`` going
  from true to false, ECR ``force_delete`` or log group ``skip_destroy`` loosening;
* an ECS service switching its deployment controller (rolling ``ECS`` <-> blue/green
  ``CODE_DEPLOY``, ``release.strategy``): ECS cannot change it in place, so the service is
  replaced and its tasks stop and start again.

Configuration warnings (``config_warnings``: printed as ``WARNING:`` lines and noted in
``summary.md``, with no ``ACK``: they are about the config, not about what this plan changes):
alarms that notify a placeholder address (``rules.alarms.placeholder_warning``).

The ``<env>`` stack is planned with the image tag it currently runs (its ``image_tag`` output),
so an unchanged deployment gives an empty plan; ``--image-tag`` (``make plan IMAGE_TAG=<tag>``)
overrides it. Before anything is deployed, the tag is the one ``make deploy`` builds (the git commit).

Without AWS credentials for a real environment the command fails at once and says so.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from ops import access, tf
from ops import synth as synth_step
from ops.context import DEFAULT_OUT, PLANS_DIR, OpsError, deployed_image_tag, stack_dir, stack_names

if TYPE_CHECKING:
    from envconfig import EnvironmentConfig


DEFAULT_PLANS_DIR = PLANS_DIR

# Resource types whose replacement or destruction loses data or breaks what points at them.
STATEFUL_TYPES: dict[str, str] = {
    "aws_ecr_repository": "ECR repository (images)",
    "aws_cloudwatch_log_group": "log group (logs)",
    "aws_lb": "ALB (DNS name)",
    "aws_alb": "ALB (DNS name)",
    "aws_vpc": "VPC (everything in it)",
    "aws_ecs_cluster": "ECS cluster (services and tasks)",
}
OPEN_CIDRS = ("0.0.0.0/0", "::/0")

EXIT_NO_CHANGES = 0
EXIT_ERROR = 1
EXIT_CHANGES = 2


# The kinds of warning, as ``ACK=<kind>`` names them (``make apply``), with their summary.md titles.
FLAG_TITLES: dict[str, str] = {
    "stateful-replace": "REPLACES a stateful resource",
    "stateful-destroy": "DESTROYS a stateful resource",
    "open-ingress": "OPENS a security group to the internet",
    "protection-off": "TURNS OFF deletion protection",
    "controller-switch": "SWITCHES a service's deployment controller",
}


@dataclass(frozen=True)
class Flag:
    """One warning for the reviewer; ``kind`` is a key of FLAG_TITLES."""

    kind: str
    stack: str
    address: str
    detail: str

    def markdown(self) -> str:
        return "- :warning: **%s**: `%s` in stack `%s` - %s" % (FLAG_TITLES[self.kind], self.address, self.stack, self.detail)


@dataclass
class StackSummary:
    stack: str
    add: int = 0
    change: int = 0
    destroy: int = 0
    replace: int = 0
    outputs_changed: list[str] = field(default_factory=list)
    changes: list[tuple[str, str]] = field(default_factory=list)  # (address, action)
    flags: list[Flag] = field(default_factory=list)
    error: str | None = None
    skipped: str | None = None

    @property
    def has_changes(self) -> bool:
        return bool(self.add or self.change or self.destroy or self.outputs_changed)

    @property
    def result(self) -> str:
        if self.error:
            return "ERROR"
        if self.skipped:
            return "not planned"
        return "changes" if self.has_changes else "no changes"


# --------------------------------------------------------------------------------------------
# Summary of one plan (pure: input is `terraform show -json` output).
# --------------------------------------------------------------------------------------------


def _action_name(actions: Sequence[str]) -> str:
    if "delete" in actions and "create" in actions:
        return "replace"
    if list(actions) == ["create"]:
        return "create"
    if list(actions) == ["delete"]:
        return "destroy"
    if list(actions) == ["update"]:
        return "update"
    return "+".join(actions)


def _open_ingress(rtype: str, values: Mapping[str, Any] | None) -> list[str]:
    """Descriptions of the ingress rules in ``values`` that admit 0.0.0.0/0 or ::/0."""
    if not values:
        return []

    def ports(rule: Mapping[str, Any], protocol_key: str = "protocol") -> str:
        protocol = str(rule.get(protocol_key, ""))
        if protocol in ("-1", "all"):
            return "all traffic"
        low, high = rule.get("from_port"), rule.get("to_port")
        span = str(low) if low == high else "%s-%s" % (low, high)
        return "%s %s" % (protocol, span)

    found: list[str] = []
    if rtype == "aws_security_group":
        for rule in values.get("ingress") or []:
            cidrs = list(rule.get("cidr_blocks") or []) + list(rule.get("ipv6_cidr_blocks") or [])
            for cidr in cidrs:
                if cidr in OPEN_CIDRS:
                    found.append("%s from %s" % (ports(rule), cidr))
    elif rtype == "aws_security_group_rule" and values.get("type") == "ingress":
        cidrs = list(values.get("cidr_blocks") or []) + list(values.get("ipv6_cidr_blocks") or [])
        found += ["%s from %s" % (ports(values), c) for c in cidrs if c in OPEN_CIDRS]
    elif rtype == "aws_vpc_security_group_ingress_rule":
        for key in ("cidr_ipv4", "cidr_ipv6"):
            if values.get(key) in OPEN_CIDRS:
                found.append("%s from %s" % (ports(values, "ip_protocol"), values[key]))
    return found


def _protection_off(rtype: str, before: Mapping[str, Any] | None, after: Mapping[str, Any] | None) -> list[str]:
    if not before or not after:
        return []
    found = []
    for key in ("enable_deletion_protection", "deletion_protection"):
        if before.get(key) is True and after.get(key) is False:
            found.append("%s: true -> false" % key)
    if rtype == "aws_ecr_repository" and before.get("force_delete") is False and after.get("force_delete") is True:
        found.append("force_delete: false -> true (destroy will delete the images)")
    if rtype == "aws_cloudwatch_log_group" and before.get("skip_destroy") is True and after.get("skip_destroy") is False:
        found.append("skip_destroy: true -> false (destroy will delete the logs)")
    return found


def _replace_reason(rc: Mapping[str, Any]) -> str:
    paths = (rc.get("change") or {}).get("replace_paths") or []
    names = sorted({".".join(str(p) for p in path) for path in paths if path})
    return "forces replacement: %s" % ", ".join(names) if names else "replaced"


def _controller_switch(rtype: str, action: str, before: Any, after: Any) -> str | None:
    """``ECS -> CODE_DEPLOY; ...`` when an ECS service is replaced to change its deployment controller."""
    if rtype != "aws_ecs_service" or action != "replace":
        return None

    def controller(values: Any) -> str:
        blocks = (values or {}).get("deployment_controller") or [{}]
        return str((blocks[0] or {}).get("type") or "ECS")

    old, new = controller(before), controller(after)
    if old == new:
        return None
    return (
        "%s -> %s: ECS cannot change a service's controller in place, so the service is replaced (its tasks stop"
        " and new ones start; the load balancer has no target in between)" % (old, new)
    )


def summarize(stack: str, plan: Mapping[str, Any]) -> StackSummary:
    """Counts and warnings for one stack from its ``terraform show -json`` plan."""
    summary = StackSummary(stack=stack)
    for rc in plan.get("resource_changes") or []:
        if rc.get("mode", "managed") != "managed":
            continue
        change = rc.get("change") or {}
        actions = list(change.get("actions") or [])
        action = _action_name(actions)
        if action in ("no-op", "read", ""):
            continue
        address = str(rc.get("address"))
        rtype = str(rc.get("type"))
        before, after = change.get("before"), change.get("after")
        summary.changes.append((address, action))
        if action == "replace":
            summary.add += 1
            summary.destroy += 1
            summary.replace += 1
        elif action == "create":
            summary.add += 1
        elif action == "destroy":
            summary.destroy += 1
        elif action == "update":
            summary.change += 1
        if rtype in STATEFUL_TYPES and action == "replace":
            summary.flags.append(
                Flag("stateful-replace", stack, address, "%s; %s" % (STATEFUL_TYPES[rtype], _replace_reason(rc)))
            )
        if rtype in STATEFUL_TYPES and action == "destroy":
            summary.flags.append(Flag("stateful-destroy", stack, address, STATEFUL_TYPES[rtype]))
        if action in ("create", "update", "replace"):
            already = set(_open_ingress(rtype, before)) if action == "update" else set()
            for rule in _open_ingress(rtype, after):
                if rule not in already:
                    summary.flags.append(Flag("open-ingress", stack, address, "ingress %s" % rule))
            for detail in _protection_off(rtype, before, after):
                summary.flags.append(Flag("protection-off", stack, address, detail))
        switch = _controller_switch(rtype, action, before, after)
        if switch:
            summary.flags.append(Flag("controller-switch", stack, address, switch))
    for name, oc in sorted((plan.get("output_changes") or {}).items()):
        if list(oc.get("actions") or []) != ["no-op"]:
            summary.outputs_changed.append(name)
    return summary


def render_markdown(env_name: str, summaries: Sequence[StackSummary], *, drift: bool = False, notes: Iterable[str] = ()) -> str:
    """``summary.md``: a table per stack, the warnings, the changed resources, a verdict line."""
    flags = [f for s in summaries for f in s.flags]
    title = "Drift check" if drift else "Terraform plan"
    lines = ["## %s: `%s`" % (title, env_name), ""]
    if flags:
        lines += [
            "> [!CAUTION]",
            "> **%d warning%s** below: a reviewer must read %s before this is applied."
            % (len(flags), "" if len(flags) == 1 else "s", "it" if len(flags) == 1 else "them"),
            "",
        ]
    lines += ["| Stack | Add | Change | Destroy | Replace | Result |", "|---|---:|---:|---:|---:|---|"]
    for s in summaries:
        lines.append("| `%s` | %d | %d | %d | %d | %s |" % (s.stack, s.add, s.change, s.destroy, s.replace, s.result))
    lines.append("")
    if flags:
        lines += ["### :warning: Warnings", ""] + [f.markdown() for f in flags] + [""]
    for s in summaries:
        if s.error:
            lines += ["### `%s`: error" % s.stack, "", "```", s.error.strip()[-3000:], "```", ""]
        elif s.skipped:
            lines += ["### `%s`: not planned" % s.stack, "", s.skipped, ""]
        elif s.changes or s.outputs_changed:
            lines += ["<details><summary><code>%s</code>: %d resource change%s</summary>" % (
                s.stack, len(s.changes), "" if len(s.changes) == 1 else "s"), ""]  # fmt: skip
            lines += ["- `%s` %s" % (address, action) for address, action in s.changes]
            if s.outputs_changed:
                lines.append("- outputs changed: %s" % ", ".join("`%s`" % o for o in s.outputs_changed))
            lines += ["", "</details>", ""]
    for note in notes:
        lines += ["> %s" % note, ""]
    lines.append("**%s**" % verdict(env_name, summaries))
    return "\n".join(lines) + "\n"


def verdict(env_name: str, summaries: Sequence[StackSummary]) -> str:
    errors = [s.stack for s in summaries if s.error]
    if errors:
        return "Result: ERROR - the plan could not be computed for %s." % ", ".join(errors)
    changed = [s for s in summaries if s.has_changes or s.skipped]
    if not changed:
        return "Result: no changes - %s matches the configuration." % env_name
    add = sum(s.add for s in summaries)
    change = sum(s.change for s in summaries)
    destroy = sum(s.destroy for s in summaries)
    flags = sum(len(s.flags) for s in summaries)
    return "Result: CHANGES in %s - %d to add, %d to change, %d to destroy%s." % (
        ", ".join(s.stack for s in changed), add, change, destroy,
        "; %d warning%s" % (flags, "" if flags == 1 else "s") if flags else "",
    )  # fmt: skip


def print_warnings(summaries: Sequence[StackSummary], log: TextIO) -> None:
    """The warnings as ``   WARNING: ...`` lines on the terminal."""
    for s in summaries:
        for flag in s.flags:
            print("   WARNING: %s" % flag.markdown().removeprefix("- :warning: ").replace("**", ""), file=log)


def config_warnings(env: EnvironmentConfig) -> list[str]:
    """Warnings about ``env``'s configuration itself (see the module docstring)."""
    from rules.alarms import placeholder_warning

    warning = placeholder_warning(env.name, env.alarms.targets)
    return [warning] if warning else []


def exit_code(summaries: Sequence[StackSummary]) -> int:
    """Terraform's ``-detailed-exitcode`` over all stacks: 1 error, 2 changes, 0 none."""
    if any(s.error for s in summaries):
        return EXIT_ERROR
    if any(s.has_changes or s.skipped for s in summaries):
        return EXIT_CHANGES
    return EXIT_NO_CHANGES


# --------------------------------------------------------------------------------------------
# Running the plans.
# --------------------------------------------------------------------------------------------


def service_variables(env: EnvironmentConfig, stack: tf.Stack, image_tag: str | None, log: TextIO) -> dict[str, str]:
    """``image_tag`` for the ``<env>`` stack: explicit, else what state says runs, else what deploy builds."""
    if not tf.declares_variable(stack.directory, "image_tag"):
        return {}
    if image_tag:
        return {"image_tag": image_tag}
    if env.container.image_tag:
        return {"image_tag": env.container.image_tag}
    deployed = deployed_image_tag(stack.outputs())
    if deployed:
        print("   image_tag=%s (what %s runs now)" % (deployed, stack.name), file=log)
        return {"image_tag": deployed}
    from ops import deploy

    try:
        tag = deploy.image_tag(env, None)
    except deploy.DeployError as exc:
        raise tf.TerraformError(str(exc)) from None
    print("   image_tag=%s (nothing deployed yet: the tag make deploy builds)" % tag, file=log)
    return {"image_tag": tag}


def plan_environment(
    env: EnvironmentConfig,
    *,
    out: Path = DEFAULT_OUT,
    plans_dir: Path = DEFAULT_PLANS_DIR,
    image_tag: str | None = None,
    drift: bool = False,
    config: Path | None = None,
    log: TextIO = sys.stdout,
) -> tuple[list[StackSummary], Path]:
    """Check access, synth, then :func:`plan_stacks`; return the summaries and summary.md."""
    total = 3
    print("==> [1/%d] %s: check access" % (total, env.name), file=log, flush=True)
    subprocess_env = access.prepare(env, out, log)
    print("==> [2/%d] synth" % total, file=log, flush=True)
    synth_step.run(out, log, config)
    folder = plans_dir / env.name
    print("==> [3/%d] terraform plan -> %s" % (total, folder), file=log, flush=True)
    return plan_stacks(env, subprocess_env, out=out, folder=folder, image_tag=image_tag, drift=drift, config=config, log=log)


def plan_stacks(
    env: EnvironmentConfig,
    subprocess_env: dict[str, str],
    *,
    out: Path,
    folder: Path,
    image_tag: str | None = None,
    drift: bool = False,
    config: Path | None = None,
    log: TextIO = sys.stdout,
) -> tuple[list[StackSummary], Path]:
    """Plan every stack of ``env`` (synthesized in ``out``) into ``folder``; write the artifacts.

    Without errors the plans' fingerprint is written too (``ops.fingerprint``), so that
    ``make apply`` applies exactly them; a plan with errors, or a drift check, leaves none (and
    removes the previous one with the previous plans).
    """
    from ops import fingerprint

    folder.mkdir(parents=True, exist_ok=True)
    registry_name, service_name = stack_names(env.name)
    stacks = {name: tf.Stack(stack_dir(name, out), env=subprocess_env, log=log) for name in (registry_name, service_name)}
    (folder / fingerprint.FILE).unlink(missing_ok=True)
    for name in stacks:
        for stale in (folder / ("%s.tfplan" % name), folder / ("%s.plan.txt" % name), folder / ("%s.plan.json" % name)):
            stale.unlink(missing_ok=True)
    results: dict[str, StackSummary] = {}
    planned: list[str] = []
    for name, stack in stacks.items():
        try:
            stack.init()
        except tf.TerraformError as exc:
            results[name] = StackSummary(stack=name, error=str(exc))
    if registry_name not in results:
        try:
            # `<env>` reads the registry's outputs through terraform_remote_state: without them
            # (registry never applied) its plan cannot be computed.
            registry_applied = bool(stacks[registry_name].outputs())
        except tf.TerraformError as exc:
            results[registry_name] = StackSummary(stack=registry_name, error=str(exc))
            registry_applied = True
        planned.append(registry_name)
        if not registry_applied and service_name not in results:
            results[service_name] = StackSummary(
                stack=service_name,
                skipped="Reads the outputs of `%s`, which is not applied yet; it is planned once the registry"
                " exists (`make apply ENV=%s` applies this plan of the registry; then plan again)."
                % (registry_name, env.name),
            )
    if service_name not in results:
        planned.append(service_name)
    variables: dict[str, dict[str, str]] = {}
    shown: dict[str, dict[str, Any]] = {}  # stack -> `terraform show -json` of its plan

    def plan_one(name: str) -> StackSummary:
        stack = stacks[name]
        plan_file = folder / ("%s.tfplan" % name)
        try:
            variables[name] = service_variables(env, stack, image_tag, log) if name == service_name else {}
            stack.plan(plan_file, variables[name])
            (folder / ("%s.plan.txt" % name)).write_text(stack.last_plan_output)
            data = stack.show_json(plan_file)
            shown[name] = data
            (folder / ("%s.plan.json" % name)).write_text(json.dumps(data, indent=1) + "\n")
            return summarize(name, data)
        except tf.TerraformError as exc:
            return StackSummary(stack=name, error=str(exc))

    # The two plans are independent (each reads its own state): run them side by side.
    with ThreadPoolExecutor(max_workers=2) as pool:
        for name, summary in zip(planned, pool.map(plan_one, planned), strict=True):
            results.setdefault(name, summary)
    summaries = [results[name] for name in (registry_name, service_name)]
    notes = []
    if env.emulator:
        notes.append(
            "Planned against the local AWS emulator (moto) at %s, not an AWS account." % subprocess_env["AWS_ENDPOINT_URL"]
        )
    for warning in config_warnings(env):
        print("   WARNING: %s" % warning, file=log)
        notes.append(":warning: **%s**" % warning)
    if not drift:  # the picture of the plan, linked from summary.md (ops.diagram; skipped without graphviz)
        from ops import diagram

        notes.append(diagram.write_plan_diagram(env.name, out, folder, shown, log=log))
    summary_path = folder / "summary.md"
    summary_path.write_text(render_markdown(env.name, summaries, drift=drift, notes=notes))
    if not drift and not any(s.error for s in summaries):
        fingerprint.write(folder, fingerprint.Fingerprint(
            env=env.name,
            image_tag=variables.get(service_name, {}).get("image_tag"),
            changes={s.stack: s.has_changes for s in summaries if s.stack in planned},
            skipped={s.stack: s.skipped for s in summaries if s.skipped},
            flags=[f for s in summaries for f in s.flags],
            observed=fingerprint.observe(out, folder, stacks, planned=planned, config=config),
        ))  # fmt: skip
        print("   fingerprint: %s" % (folder / fingerprint.FILE), file=log)
    return summaries, summary_path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m ops.plan", description=__doc__.split("\n")[0])
    parser.add_argument("--env", default="local", help="environment name (default: local)")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="synth output directory")
    parser.add_argument("--plans-dir", type=Path, default=DEFAULT_PLANS_DIR, help="where plans/<env>/ is written")
    parser.add_argument("--image-tag", default=None, help="image tag for the <env> stack (default: the deployed one)")
    parser.add_argument("--config", type=Path, default=None, help="environments file (default: envconfig/environments.toml)")
    parser.add_argument(
        "--drift", action="store_true", help="exit 0 only when nothing changes (2 = changes, 1 = error)"
    )
    args = parser.parse_args(argv)

    from envconfig import DEFAULT_FILE, ConfigError, load_environment

    try:
        env = load_environment(args.env, args.config or DEFAULT_FILE)
    except ConfigError as exc:
        print("plan: error: %s" % exc, file=sys.stderr)
        return EXIT_ERROR
    try:
        summaries, summary_path = plan_environment(
            env, out=args.out, plans_dir=args.plans_dir, image_tag=args.image_tag, drift=args.drift, config=args.config
        )
    except OpsError as exc:
        print("plan: error: %s" % exc, file=sys.stderr)
        return EXIT_ERROR
    print_warnings(summaries, sys.stdout)
    for s in summaries:
        if s.error:
            print("   %s: ERROR\n%s" % (s.stack, s.error), file=sys.stderr)
    print("   summary: %s" % summary_path)
    code = exit_code(summaries)
    line = verdict(env.name, summaries)
    if args.drift:
        print("drift: %s (exit %d)" % (line, code))
        return code
    print(line)
    return EXIT_ERROR if code == EXIT_ERROR else 0


if __name__ == "__main__":
    raise SystemExit(main())
