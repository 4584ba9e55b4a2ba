"""A web workload's NLB on the emulator: apply, a second plan with no changes, destroy.

The shipped environments have no NLB, so the e2e cycle does not build one; this lane applies the
construct (TCP listener, security group, target group, alarm) with the real provider against the
project's emulator (about 90 s: the provider waits 30 s twice for an NLB to become active).
moto is lenient (it accepts values AWS rejects), so this shows that Terraform,
the provider and the emulator agree on the resources, not that AWS would.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.conftest import synth_construct
from tests.ops.conftest import applied_stack


def _stack() -> dict[str, Any]:
    from cdktf_cdktf_provider_aws.subnet import Subnet
    from cdktf_cdktf_provider_aws.vpc import Vpc

    from modules.network_load_balancer import NetworkLoadBalancer, NetworkLoadBalancerProps

    def build(scope: Any) -> None:
        vpc = Vpc(scope, "Vpc", cidr_block="10.90.0.0/16")
        subnets = [
            Subnet(scope, "Public%d" % i, vpc_id=vpc.id, cidr_block="10.90.%d.0/24" % i, availability_zone="us-east-1%s" % az)
            for i, az in enumerate("ab")
        ]  # fmt: skip
        NetworkLoadBalancer(scope, "Nlb", props=NetworkLoadBalancerProps(
            name="flask-app-local-stream", vpc_id=vpc.id, public_subnet_ids=[s.id for s in subnets], target_port=3000,
            health_check_path="/health", protocol="TCP", port=9000, ingress_cidrs=("198.51.100.0/24",)))  # fmt: skip

    return synth_construct(build)


@pytest.mark.terraform_apply
def test_an_nlb_applies_plans_clean_and_destroys_on_the_emulator(terraform: str, patched: str, tmp_path: Path) -> None:
    stack, log = applied_stack(_stack(), "nlb", patched, tmp_path, (
        "aws_lb.Nlb_LoadBalancer", "aws_lb_listener.Nlb_Listener", "aws_lb_target_group.Nlb_TargetGroup",
        "aws_security_group.Nlb_SecurityGroup", "aws_cloudwatch_metric_alarm.Nlb_UnhealthyHostsAlarm",
    ))  # fmt: skip
    stack.destroy({})
    assert stack.state_resources() == []
    assert "   terraform destroy nlb ... " in log.getvalue()
