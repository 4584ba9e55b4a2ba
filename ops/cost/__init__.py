"""Monthly cost estimate of each environment, from its synthesized Terraform JSON.

Example::

    python -m ops.cost                 # every environment, side by side
    python -m ops.cost --env prod      # one environment
    python -m ops.cost --json          # the same figures for machines

What is counted comes from ``cdktf.out/stacks/<env>/cdk.tf.json`` (run ``make synth`` first):
task cpu/memory/architecture from ``aws_ecs_task_definition``, min/max tasks from
``aws_appautoscaling_target``, the On-Demand/Spot split from the capacity-provider strategy,
``aws_lb``, ``aws_nat_gateway``, ``aws_eip``, interface ``aws_vpc_endpoint`` x subnets,
``aws_wafv2_web_acl`` and its rules, ``aws_kms_key``, ``aws_cloudwatch_metric_alarm`` (per metric
it reads), and each ``aws_cloudwatch_log_group``'s retention (app logs, flow logs and WAF logs,
told apart by who writes to them). The environment config (``envconfig``) is the fallback
when an environment has not been synthesized, and a cross-check when it has: any disagreement is
printed as a warning (the stack is older than the config; re-run ``make synth``).

Further workloads (``workloads`` in the config; ``Workload-<name>_*`` resources in the stack) are
priced one line each: a web, backend or worker service at its scaling target's min/max tasks (a
worker may scale to 0), a job at its schedule's runs in a 30-day month
(:mod:`ops.cost.schedule`) times the assumed run length (``job_run_minutes``). Their queues,
schedules and failed-run rules share one line, priced above the SQS and Scheduler free tiers
(SQS requests are an assumption per worker; invocations are the jobs' runs); their keys join the
KMS line, their alarms the alarm line, their log groups a "Workload logs" line.

Prices come from ``ops/pricing.toml`` (data with its sources, regions and date). Only hourly and
monthly charges, log volume and the assumed request volumes are estimated; usage-priced parts (ALB
LCUs, NAT/endpoint data, transfer out, queries) are listed as excluded, not guessed. All money is
computed with ``Decimal``.

Modules: :mod:`ops.cost.prices` (the price table), :mod:`ops.cost.footprint` (what an environment
runs, from its stack or its config), :mod:`ops.cost.schedule` (runs of a schedule a month),
:mod:`ops.cost.estimate` (the monthly lines), :mod:`ops.cost.render` (table and JSON) and
:mod:`ops.cost.cli` (``python -m ops.cost``).
"""

from __future__ import annotations

from ops.context import OpsError


class CostError(OpsError, ValueError):
    """Bad price table, stack JSON or arguments; the message names the file, field and value."""


class IncompleteStack(CostError):
    """The synthesized stack has no ECS service (yet); the config is used instead."""
