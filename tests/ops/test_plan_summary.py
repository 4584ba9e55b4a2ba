"""ops.plan.summarize on real `terraform show -json` plans produced against the emulator.

The fixtures in tests/fixtures/plans/ come from tests/fixtures/plans/regenerate.py: a small
Terraform config (tests/fixtures/tf/stateful/) applied to moto, then one variable change per case.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from ops.plan import (
    EXIT_CHANGES,
    EXIT_ERROR,
    EXIT_NO_CHANGES,
    StackSummary,
    exit_code,
    render_markdown,
    summarize,
    verdict,
)

PLANS = Path(__file__).resolve().parents[1] / "fixtures" / "plans"


def plan(case: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((PLANS / ("%s.json" % case)).read_text())
    return data


def kinds(summary: StackSummary) -> list[tuple[str, str]]:
    return sorted((f.kind, f.address) for f in summary.flags)


def test_fixtures_are_real_terraform_plans() -> None:
    for path in sorted(PLANS.glob("*.json")):
        data = json.loads(path.read_text())
        assert data["format_version"].startswith("1."), path.name
        assert data["terraform_version"].startswith("1."), path.name
        assert "resource_changes" in data or path.name == "no_changes.json", path.name


def test_no_changes_has_zero_counts_no_flags_and_exit_0() -> None:
    s = summarize("fixture", plan("no_changes"))
    assert (s.add, s.change, s.destroy, s.replace) == (0, 0, 0, 0)
    assert s.flags == []
    assert not s.has_changes
    assert exit_code([s]) == EXIT_NO_CHANGES
    assert verdict("local", [s]) == "Result: no changes - local matches the configuration."


def test_in_place_update_counts_one_change_and_raises_no_flag() -> None:
    s = summarize("fixture", plan("update_in_place"))
    assert (s.add, s.change, s.destroy) == (0, 1, 0)
    assert s.changes == [("aws_cloudwatch_log_group.app", "update")]
    assert s.flags == []
    assert exit_code([s]) == EXIT_CHANGES


def test_create_counts_every_resource_and_flags_both_open_ingress_forms() -> None:
    s = summarize("fixture", plan("create_open_sg"))
    assert (s.add, s.change, s.destroy) == (11, 0, 0)
    assert kinds(s) == [
        ("open-ingress", "aws_security_group.alb"),
        ("open-ingress", "aws_vpc_security_group_ingress_rule.tasks_https"),
    ]
    details = sorted(f.detail for f in s.flags)
    assert details == ["ingress tcp 443 from 0.0.0.0/0", "ingress tcp 80 from 0.0.0.0/0"]


def test_replacing_stateful_resources_is_flagged_with_the_forcing_attribute() -> None:
    s = summarize("fixture", plan("replace_stateful"))
    # vpc, 2 subnets, 2 security groups, 1 ingress rule, ECR repository, log group
    assert (s.add, s.change, s.destroy, s.replace) == (8, 2, 8, 8)
    flagged = {f.address: f.detail for f in s.flags if f.kind == "stateful-replace"}
    assert set(flagged) == {"aws_ecr_repository.app", "aws_cloudwatch_log_group.app", "aws_vpc.main"}
    assert "forces replacement: name" in flagged["aws_ecr_repository.app"]
    assert "forces replacement: cidr_block" in flagged["aws_vpc.main"]
    # Subnets and security groups are replaced too, but they hold no data: no flag.
    assert not any(f.address.startswith(("aws_subnet", "aws_security_group")) for f in s.flags)


def test_destroying_the_cluster_is_flagged() -> None:
    s = summarize("fixture", plan("destroy_cluster"))
    assert (s.add, s.change, s.destroy) == (0, 0, 1)
    assert kinds(s) == [("stateful-destroy", "aws_ecs_cluster.main[0]")]


def test_destroy_plan_flags_every_stateful_type() -> None:
    s = summarize("fixture", plan("destroy_all"))
    assert s.destroy == 11
    assert kinds(s) == [
        ("stateful-destroy", "aws_cloudwatch_log_group.app"),
        ("stateful-destroy", "aws_ecr_repository.app"),
        ("stateful-destroy", "aws_ecs_cluster.main[0]"),
        ("stateful-destroy", "aws_lb.main"),
        ("stateful-destroy", "aws_vpc.main"),
    ]


def test_widening_an_existing_rule_to_the_internet_is_flagged() -> None:
    s = summarize("fixture", plan("open_sg"))
    assert (s.add, s.change, s.destroy) == (0, 2, 0)
    assert kinds(s) == [
        ("open-ingress", "aws_security_group.alb"),
        ("open-ingress", "aws_vpc_security_group_ingress_rule.tasks_https"),
    ]


def test_an_update_that_keeps_an_already_open_rule_is_not_flagged() -> None:
    data = plan("open_sg")
    for rc in data["resource_changes"]:
        if rc["address"] == "aws_security_group.alb":
            rc["change"]["before"] = rc["change"]["after"]  # the rule was open before this plan
    s = summarize("fixture", data)
    assert kinds(s) == [("open-ingress", "aws_vpc_security_group_ingress_rule.tasks_https")]


def test_turning_off_alb_deletion_protection_is_flagged() -> None:
    s = summarize("fixture", plan("deletion_protection_off"))
    assert (s.add, s.change, s.destroy) == (0, 1, 0)
    assert [(f.kind, f.address, f.detail) for f in s.flags] == [
        ("protection-off", "aws_lb.main", "enable_deletion_protection: true -> false")
    ]


def test_summary_markdown_has_table_warnings_and_verdict_last() -> None:
    registry = summarize("prod-registry", plan("no_changes"))
    service = summarize("prod", plan("replace_stateful"))
    text = render_markdown("prod", [registry, service])
    assert text.splitlines()[0] == "## Terraform plan: `prod`"
    assert "> **3 warnings** below" in text
    assert "| `prod-registry` | 0 | 0 | 0 | 0 | no changes |" in text
    assert "| `prod` | 8 | 2 | 8 | 8 | changes |" in text
    assert "**REPLACES a stateful resource**: `aws_ecr_repository.app` in stack `prod`" in text
    assert text.rstrip().splitlines()[-1] == (
        "**Result: CHANGES in prod - 8 to add, 2 to change, 8 to destroy; 3 warnings.**"
    )


def test_errors_win_over_changes() -> None:
    broken = StackSummary(stack="prod", error="terraform plan failed")
    changed = summarize("prod-registry", plan("update_in_place"))
    assert exit_code([changed, broken]) == EXIT_ERROR
    assert verdict("prod", [changed, broken]).startswith("Result: ERROR")
    assert "terraform plan failed" in render_markdown("prod", [changed, broken])


def test_a_stack_not_planned_counts_as_a_change() -> None:
    registry = summarize("dev-registry", plan("create_open_sg"))
    skipped = StackSummary(stack="dev", skipped="registry not applied yet")
    assert exit_code([registry, skipped]) == EXIT_CHANGES
    assert "| `dev` | 0 | 0 | 0 | 0 | not planned |" in render_markdown("dev", [registry, skipped])


@pytest.mark.parametrize("case", ["no_changes", "update_in_place", "open_sg"])
def test_no_stateful_flag_without_replace_or_destroy(case: str) -> None:
    s = summarize("fixture", plan(case))
    assert not [f for f in s.flags if f.kind.startswith("stateful")]


def _service_change(before: str | None, after: str, actions: list[str]) -> dict[str, Any]:
    def values(controller: str | None) -> dict[str, Any]:
        return {"name": "flask-app-prod-web", "deployment_controller": [{"type": controller}] if controller else []}

    return {"resource_changes": [{"address": "aws_ecs_service.Service_D69D759B", "mode": "managed",
                                  "type": "aws_ecs_service", "change": {
        "actions": actions, "before": values(before), "after": values(after),
        "replace_paths": [["deployment_controller"]] if "delete" in actions else []}}]}  # fmt: skip


@pytest.mark.parametrize(
    ("before", "after", "actions", "flagged"),
    [
        ("ECS", "CODE_DEPLOY", ["delete", "create"], "ECS -> CODE_DEPLOY"),
        ("CODE_DEPLOY", "ECS", ["create", "delete"], "CODE_DEPLOY -> ECS"),
        (None, "CODE_DEPLOY", ["delete", "create"], "ECS -> CODE_DEPLOY"),  # no block: ECS's default
        ("ECS", "ECS", ["delete", "create"], None),  # replaced for another reason
        ("ECS", "ECS", ["update"], None),
    ],
)  # fmt: skip
def test_a_service_switching_its_deployment_controller_is_flagged(
    before: str | None, after: str, actions: list[str], flagged: str | None
) -> None:
    s = summarize("prod", _service_change(before, after, actions))
    switches = [f for f in s.flags if f.kind == "controller-switch"]
    if flagged is None:
        assert switches == []
    else:
        (flag,) = switches
        assert flag.address == "aws_ecs_service.Service_D69D759B" and flag.detail.startswith(flagged + ": ECS cannot")
        assert "SWITCHES a service's deployment controller" in flag.markdown()
