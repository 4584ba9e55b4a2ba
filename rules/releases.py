"""Blue/green and canary releases through CodeDeploy: strategies, deployment configs, the ECS AppSpec.

Example::

    from rules.releases import TrafficShift, appspec, appspec_text
    TrafficShift("canary", percent=10, minutes=5).config_name("flask-app-prod")
    # "CodeDeployDefault.ECSCanary10Percent5Minutes" (predefined: no custom config needed)
    TrafficShift("linear", percent=20, minutes=2).config_name("flask-app-prod")
    # "flask-app-prod-ECSLinear20PercentEvery2Minutes" (custom: the construct creates it)
    appspec_text(appspec(task_definition_arn="arn:aws:ecs:us-east-1:123456789012:task-definition/web:7",
                         container_name="app", container_port=3000), "yaml")

Strategies (CodeDeploy traffic routing of an ECS deployment):

* ``all-at-once``: every request moves to the new (green) task set at once;
* ``linear``: ``percent`` of the traffic moves every ``minutes`` until all of it has;
* ``canary``: ``percent`` moves first, the rest ``minutes`` later.

Sources. botocore's ``codedeploy`` model (``TimeBasedCanary``, ``TimeBasedLinear``: shapes
``Percentage`` and ``WaitTimeInMins``) states no minimum or maximum for the percentage and the
interval; ``tests/test_blue_green.py`` checks that it still states none. The ranges here are
therefore the project's, each with its reason: a step of 0 % never shifts and one of 100 % is
``all-at-once`` (so 1..99 %); an interval is at most 2,880 minutes (two days), the maximum the
model documents for the blue task set's termination wait (``BlueInstanceTerminationOption``:
"The maximum setting is 2880 minutes (2 days)", read from the model by the tests) and the
bound aws-cdk's ``EcsDeploymentGroup`` puts on its waits. The predefined ECS configs are those
of the CodeDeploy User Guide, "Deployment configurations on an Amazon ECS compute platform".
A deployment-config name is 1..100 characters of ``[A-Za-z0-9+=,.@_-]`` (model:
``DeploymentConfigName``).
"""

from __future__ import annotations

import ipaddress
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

STRATEGIES = ("all-at-once", "linear", "canary")

#: Inclusive ranges (see the module docstring for where each comes from).
PERCENT = (1, 99)
INTERVAL_MINUTES = (1, 2880)
TERMINATION_WAIT_MINUTES = (0, 2880)
APPROVAL_WAIT_MINUTES = (1, 2880)
PORT = (1, 65535)

#: Alarms one deployment group may watch (botocore ``codedeploy`` model, ``AlarmConfiguration.alarms``:
#: "A maximum of 10 alarms can be added").
MAX_ALARMS = 10

#: Ports of the production listeners (HTTP, HTTPS); a test listener needs a port of its own.
PRODUCTION_PORTS = (80, 443)

#: Deployment-config names (botocore ``codedeploy`` model, shape ``DeploymentConfigName``).
CONFIG_NAME_MAX = 100
_CONFIG_NAME = re.compile(r"^[A-Za-z0-9+=,.@_-]+$")

#: The predefined ECS deployment configs: (strategy, percent, minutes) -> name.
PREDEFINED_CONFIGS: dict[tuple[str, int | None, int | None], str] = {
    ("all-at-once", None, None): "CodeDeployDefault.ECSAllAtOnce",
    ("linear", 10, 1): "CodeDeployDefault.ECSLinear10PercentEvery1Minutes",
    ("linear", 10, 3): "CodeDeployDefault.ECSLinear10PercentEvery3Minutes",
    ("canary", 10, 5): "CodeDeployDefault.ECSCanary10Percent5Minutes",
    ("canary", 10, 15): "CodeDeployDefault.ECSCanary10Percent15Minutes",
}

#: CodeDeploy ``TrafficRoutingConfig.type`` of each strategy.
ROUTING_TYPES = {"all-at-once": "AllAtOnce", "linear": "TimeBasedLinear", "canary": "TimeBasedCanary"}

#: Lifecycle hooks of an ECS deployment, in the order CodeDeploy runs them (CodeDeploy User Guide,
#: "AppSpec 'hooks' section for an Amazon ECS deployment").
ECS_HOOKS = ("BeforeInstall", "AfterInstall", "AfterAllowTestTraffic", "BeforeAllowTraffic", "AfterAllowTraffic")

_TASK_DEFINITION_ARN = re.compile(r"^arn:aws[a-z-]*:ecs:[a-z0-9-]+:\d{12}:task-definition/[A-Za-z0-9_-]{1,255}:\d+$")


def range_problem(value: int, bounds: tuple[int, int], unit: str) -> str | None:
    """``<value>; allowed: lo..hi <unit>`` when ``value`` is outside ``bounds``, else None."""
    lo, hi = bounds
    if lo <= value <= hi:
        return None
    return "%r; allowed: %d..%d%s" % (value, lo, hi, " " + unit if unit else "")


def shift_problem(strategy: str, percent: int | None, minutes: int | None) -> str | None:
    """Why (strategy, percent, minutes) is no traffic shift (``<field>=<value>; allowed: ...``), or None."""
    if strategy not in STRATEGIES:
        return "strategy=%r; allowed: %s" % (strategy, ", ".join(repr(s) for s in STRATEGIES))
    if strategy == "all-at-once":
        for field, value in (("percent", percent), ("minutes", minutes)):
            if value is not None:
                return "%s=%r with strategy='all-at-once'; allowed: None (all the traffic moves at once)" % (
                    field,
                    value,
                )
        return None
    if percent is None or minutes is None:
        return "percent=%r, minutes=%r with strategy=%r; allowed: both set (%d..%d %%, %d..%d minutes)" % (
            percent, minutes, strategy, *PERCENT, *INTERVAL_MINUTES,
        )  # fmt: skip
    problem = range_problem(percent, PERCENT, "%")
    if problem:
        return "percent=%s" % problem
    problem = range_problem(minutes, INTERVAL_MINUTES, "minutes")
    if problem:
        return "minutes=%s" % problem
    return None


@dataclass(frozen=True)
class TrafficShift:
    """How a CodeDeploy ECS deployment moves traffic to the new task set (module docstring)."""

    strategy: str = "all-at-once"
    percent: int | None = None
    """Traffic moved in each step (``linear``) or in the first one (``canary``)."""
    minutes: int | None = None
    """Minutes between steps (``linear``) or before the rest moves (``canary``)."""

    def __post_init__(self) -> None:
        problem = shift_problem(self.strategy, self.percent, self.minutes)
        if problem:
            raise ValueError("TrafficShift.%s" % problem)

    @property
    def routing_type(self) -> str:
        """CodeDeploy's ``TrafficRoutingConfig.type``: ``AllAtOnce``, ``TimeBasedLinear`` or ``TimeBasedCanary``."""
        return ROUTING_TYPES[self.strategy]

    @property
    def predefined_config_name(self) -> str | None:
        """The predefined ECS deployment config with these numbers, or None when a custom one is needed."""
        return PREDEFINED_CONFIGS.get((self.strategy, self.percent, self.minutes))

    def custom_config_name(self, prefix: str) -> str:
        """``{prefix}-ECSLinear{p}PercentEvery{m}Minutes`` / ``{prefix}-ECSCanary{p}Percent{m}Minutes``.

        Deployment configs are per account and region, so the prefix (``{app}-{env}``) keeps two
        environments of one account apart. Raises ValueError when the name is not a valid one.
        """
        if self.strategy == "linear":
            suffix = "ECSLinear%dPercentEvery%dMinutes" % (self.percent or 0, self.minutes or 0)
        elif self.strategy == "canary":
            suffix = "ECSCanary%dPercent%dMinutes" % (self.percent or 0, self.minutes or 0)
        else:
            suffix = "ECSAllAtOnce"
        name = "%s-%s" % (prefix, suffix)
        problem = config_name_problem(name)
        if problem:
            raise ValueError("TrafficShift custom config name %s" % problem)
        return name

    def config_name(self, prefix: str) -> str:
        """The deployment config a deployment group uses: the predefined one, else the custom one's name."""
        return self.predefined_config_name or self.custom_config_name(prefix)


def config_name_problem(name: str) -> str | None:
    """Why ``name`` cannot name a CodeDeploy deployment config, or None."""
    if not 1 <= len(name) <= CONFIG_NAME_MAX:
        return "%r is %d characters; allowed: 1..%d" % (name, len(name), CONFIG_NAME_MAX)
    if not _CONFIG_NAME.match(name):
        return "%r; allowed: letters, digits and + = , . @ _ -" % name
    return None


def listener_port_problem(port: int) -> str | None:
    """Why ``port`` cannot be the test listener's port (``<port>; allowed: ...``), or None."""
    if port in PRODUCTION_PORTS:
        return "%r is a production listener's port; allowed: %d..%d except %s" % (
            port, *PORT, " and ".join(str(p) for p in PRODUCTION_PORTS),
        )  # fmt: skip
    return range_problem(port, PORT, "")


def ingress_cidrs_problem(cidrs: tuple[str, ...]) -> str | None:
    """Why these IPv4 blocks cannot be the test listener's ingress, or None.

    The test listener serves the new version before any check has passed; open to the world it
    would publish an unreleased build, so it needs a list and ``0.0.0.0/0`` is refused.
    """
    if not cidrs:
        return "() is empty; allowed: the IPv4 blocks of the testers or the CI runners (e.g. '10.0.0.0/16')"
    for cidr in cidrs:
        try:
            network = ipaddress.IPv4Network(cidr)
        except ValueError:
            return "%r contains %r, not an IPv4 CIDR block; allowed: blocks such as '10.0.0.0/16'" % (cidrs, cidr)
        if network.prefixlen == 0:
            return (
                "%r contains %r: the test listener serves the new version before it is released or checked, so it"
                " must not be open to the internet; allowed: the IPv4 blocks of the testers or the CI runners"
                % (cidrs, cidr)
            )
    return None


# ---- the AppSpec of an ECS deployment -------------------------------------------------------------


def appspec(
    *,
    task_definition_arn: str,
    container_name: str,
    container_port: int,
    platform_version: str | None = None,
    hooks: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """The AppSpec of a CodeDeploy ECS deployment, as a dict (CodeDeploy User Guide, "AppSpec file
    example for an Amazon ECS deployment").

    ``hooks`` maps a lifecycle event (:data:`ECS_HOOKS`) to the Lambda function CodeDeploy calls
    then; they are written in the order CodeDeploy runs them. Raises ValueError on a value
    CodeDeploy would refuse.
    """
    if not _TASK_DEFINITION_ARN.match(task_definition_arn):
        raise ValueError(
            "appspec.task_definition_arn=%r; allowed: a task definition revision ARN,"
            " arn:aws:ecs:<region>:<account>:task-definition/<family>:<revision>" % task_definition_arn
        )
    if not container_name:
        raise ValueError("appspec.container_name=''; allowed: the name of the container the load balancer targets")
    problem = range_problem(container_port, PORT, "")
    if problem:
        raise ValueError("appspec.container_port=%s" % problem)
    if platform_version is not None and not re.match(r"^(LATEST|\d+\.\d+\.\d+)$", platform_version):
        raise ValueError(
            "appspec.platform_version=%r; allowed: 'LATEST' or a version such as '1.4.0'" % platform_version
        )
    unknown = sorted(set(hooks or {}) - set(ECS_HOOKS))
    if unknown:
        raise ValueError("appspec.hooks has %s; allowed: %s" % (", ".join(unknown), ", ".join(ECS_HOOKS)))
    properties: dict[str, Any] = {
        "TaskDefinition": task_definition_arn,
        "LoadBalancerInfo": {"ContainerName": container_name, "ContainerPort": container_port},
    }
    if platform_version is not None:
        properties["PlatformVersion"] = platform_version
    spec: dict[str, Any] = {
        "version": 0.0,
        "Resources": [{"TargetService": {"Type": "AWS::ECS::Service", "Properties": properties}}],
    }
    if hooks:
        spec["Hooks"] = [{event: hooks[event]} for event in ECS_HOOKS if event in hooks]
    return spec


def appspec_text(spec: Mapping[str, Any], fmt: str = "yaml") -> str:
    """``spec`` as AppSpec content: ``json`` or ``yaml`` (block style, every string double-quoted)."""
    if fmt == "json":
        return json.dumps(spec, indent=2) + "\n"
    if fmt == "yaml":
        return "".join(_yaml(spec, 0))
    raise ValueError("appspec_text fmt=%r; allowed: 'json', 'yaml'" % fmt)


def _scalar(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value)  # a JSON string is a YAML double-quoted scalar
    raise TypeError("AppSpec value %r; allowed: mappings, lists, strings and numbers" % (value,))


def _yaml(value: Any, indent: int) -> list[str]:
    """Block-style YAML lines of a mapping or a list (nested), ``indent`` spaces deep."""
    pad = " " * indent
    lines: list[str] = []
    if isinstance(value, Mapping):
        for key, item in value.items():
            if isinstance(item, Mapping | list):
                lines.append("%s%s:\n" % (pad, key))
                lines.extend(_yaml(item, indent + 2))
            else:
                lines.append("%s%s: %s\n" % (pad, key, _scalar(item)))
    else:
        for item in value:
            if isinstance(item, Mapping | list):
                nested = _yaml(item, indent + 2)
                lines.append("%s- %s" % (pad, nested[0][indent + 2 :]))
                lines.extend(nested[1:])
            else:
                lines.append("%s- %s\n" % (pad, _scalar(item)))
    return lines
