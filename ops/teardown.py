"""Deletion protection off, in a first apply the user sees, so a protected environment's destroy finishes.

Example::

    from ops import teardown
    teardown.turn_off_deletion_protection(service_stack, {"image_tag": tag}, log=sys.stdout)

A production environment's load balancer has deletion protection (``deletion_protection = true``,
required by the config model when ``production = true``), so a plain ``terraform destroy`` deletes
everything it can and then fails on the ALB. ``make destroy ENV=prod CONFIRM=prod`` therefore
first applies ``enable_deletion_protection = false`` to exactly the protected load balancers that
are still in state, and shows that apply:

* the synthesized stack is not changed: for the length of one targeted ``terraform apply`` a
  Terraform override file (``teardown_override.tf.json``, merged by Terraform into the stack's
  configuration) sets the attribute to false; the file is removed right after, in every case;
* only load balancers present in state are targeted, so a re-run after an interrupted destroy
  (the ALB already gone) never creates one;
* ``ops.synth`` treats a stack directory holding an override file as out of date, so a file left
  by a killed process is dropped by the next synth instead of reaching a deploy.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any, TextIO

from ops import tf

OVERRIDE_FILE = "teardown_override.tf.json"
#: Resource types with deletion protection, and the argument that holds it.
PROTECTED: dict[str, str] = {"aws_lb": "enable_deletion_protection", "aws_alb": "enable_deletion_protection"}


def protected_resources(directory: Path) -> list[tuple[str, str, str]]:
    """``(type, name, argument)`` of every resource the synthesized stack creates with protection on."""
    found = []
    resources = tf.stack_config(directory).get("resource", {})
    for rtype, argument in PROTECTED.items():
        for name, body in resources.get(rtype, {}).items():
            if body.get(argument) is True:
                found.append((rtype, name, argument))
    return found


def override_document(resources: list[tuple[str, str, str]]) -> dict[str, Any]:
    document: dict[str, Any] = {"resource": {}}
    for rtype, name, argument in resources:
        document["resource"].setdefault(rtype, {})[name] = {argument: False}
    return document


def turn_off_deletion_protection(stack: tf.Stack, variables: dict[str, str], *, log: TextIO = sys.stdout) -> list[str]:
    """Apply protection off to the protected resources still in state; returns their addresses."""
    in_state = set(stack.state_resources())
    targets = [(rtype, name, arg) for rtype, name, arg in protected_resources(stack.directory)
               if "%s.%s" % (rtype, name) in in_state]  # fmt: skip
    if not targets:
        print("   deletion protection: nothing protected is left in %s" % stack.name, file=log, flush=True)
        return []
    addresses = ["%s.%s" % (rtype, name) for rtype, name, _ in targets]
    print("   deletion protection: turning it off for %s (a targeted apply, shown below)" % ", ".join(addresses),
          file=log, flush=True)  # fmt: skip
    override = stack.directory / OVERRIDE_FILE
    override.write_text(json.dumps(override_document(targets), indent=1) + "\n")
    try:
        stack.run(
            ["apply", "-input=false", "-no-color", "-auto-approve", "-lock-timeout=60s",
             *("-target=%s" % address for address in addresses), *stack.var_args(variables)],
            label="apply (deletion protection off)", stream=True,
        )  # fmt: skip
    finally:
        override.unlink(missing_ok=True)
    return addresses


def has_override(out: Path) -> bool:
    """True when a stack directory under ``out`` still holds an override file (a killed teardown)."""
    return any((out / "stacks").glob("*/" + OVERRIDE_FILE)) if (out / "stacks").is_dir() else False
