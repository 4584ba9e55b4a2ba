"""The Terraform stacks of one environment and their names.

Example::

    from rules.stacks import stack_names, registry_stack_name
    stack_names("prod")            # ("prod-registry", "prod"): apply order
    registry_stack_name("prod")    # "prod-registry"

Every environment has two stacks: ``<env>-registry`` (the ECR repository, applied first so the
image can be pushed before the service references it) and ``<env>`` (everything else). The names
are the stacks' construct ids, the directories under ``cdktf.out/stacks/`` and the state keys;
``stacks/``, ``main.py`` and ``ops/`` all read them from here.
"""

from __future__ import annotations

REGISTRY_SUFFIX = "-registry"

#: Construct ids in the ``<env>`` stack beside the environment's own web service: each further
#: workload's scope, and the blue/green release (its green target group copies the web service's).
WORKLOAD_SCOPE_PREFIX = "Workload-"
BLUE_GREEN_SCOPE = "BlueGreen"


def workload_scope(workload_name: str) -> str:
    """``Workload-<name>``: the construct scope of a further workload in the ``<env>`` stack."""
    return WORKLOAD_SCOPE_PREFIX + workload_name


def of_web_service(logical_id: str) -> bool:
    """True unless the synthesized resource id belongs to a workload's scope or to the blue/green release."""
    return not logical_id.startswith((WORKLOAD_SCOPE_PREFIX, BLUE_GREEN_SCOPE + "_"))


def registry_stack_name(env_name: str) -> str:
    """``<env>-registry``: the stack holding the environment's ECR repository."""
    return env_name + REGISTRY_SUFFIX


def service_stack_name(env_name: str) -> str:
    """``<env>``: the stack holding the network, cluster, load balancer and service."""
    return env_name


def stack_names(env_name: str) -> tuple[str, str]:
    """The environment's stacks in apply order: ``<env>-registry`` first, then ``<env>``."""
    return registry_stack_name(env_name), service_stack_name(env_name)
