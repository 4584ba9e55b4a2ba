"""The security gate on the EC2 capacity construct (Ec2Capacity) and a cluster using it, before any stack wires
them in: secure defaults read from the synthesized JSON (always), and checkov over that JSON with an empty
allow-list (in ``make security``, like the other scanner tests).

A stack holding one capacity with required props only, one with every option set (ARM64, Spot, SSM access, a
customer-managed EBS key) and a cluster whose default strategy mixes EC2 and FARGATE is synthesized once for
this module.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.conftest import resources, synth_construct
from tests.security.scanners import checkov_without_exceptions

SUBNETS = ("subnet-0aaaaaaaaaaaaaaaa", "subnet-0bbbbbbbbbbbbbbbb")
KEY_ARN = "arn:aws:kms:us-east-1:123456789012:key/0123abcd-45ef-67ab-89cd-0123456789ab"


@pytest.fixture(scope="module")
def stack() -> dict[str, Any]:
    from modules.cluster import Cluster, ClusterProps
    from modules.ec2_capacity import Ec2Capacity, Ec2CapacityProps

    def build(scope: Any) -> None:
        common = {"cluster_name": "flask-app-dev", "vpc_id": "vpc-0123456789abcdef0", "subnet_ids": SUBNETS}
        x86 = Ec2Capacity(scope, "Ec2Capacity", props=Ec2CapacityProps(
            name="flask-app-dev-ec2", instance_types=("m6i.large",), max_size=4, **common))  # fmt: skip
        arm = Ec2Capacity(scope, "ArmCapacity", props=Ec2CapacityProps(
            name="flask-app-dev-arm", instance_types=("m7g.large", "c7g.xlarge"), cpu_architecture="ARM64",
            max_size=6, on_demand_base_capacity=1, on_demand_percentage_above_base=25, ssm_access=True,
            ebs_kms_key_arn=KEY_ARN, **common))  # fmt: skip
        Cluster(scope, "Cluster", props=ClusterProps(
            name="flask-app-dev", ec2_capacity_providers=(x86.capacity_provider_name, arm.capacity_provider_name),
            ec2_percent=50))  # fmt: skip

    return synth_construct(build)


# ---- secure defaults, from the JSON ---------------------------------------------------------------


def test_instances_require_imdsv2_encrypt_their_volumes_and_get_no_public_ip(stack: dict[str, Any]) -> None:
    templates = resources(stack, "aws_launch_template")
    assert len(templates) == 2
    for name, template in templates.items():
        assert template["metadata_options"]["http_tokens"] == "required", name
        assert template["metadata_options"]["http_put_response_hop_limit"] == 1, name
        assert [m["ebs"]["encrypted"] for m in template["block_device_mappings"]] == ["true"], name
        assert "network_interfaces" not in template and "key_name" not in template, name  # no public IP, no SSH key


def test_instance_roles_carry_aws_managed_ecs_policies_only(stack: dict[str, Any]) -> None:
    """No inline policy, no admin or wildcard policy: the ECS agent's policy, and SSM's where asked."""
    assert resources(stack, "aws_iam_role_policy") == {}
    attached = sorted(
        a["policy_arn"].rsplit(":policy/", 1)[1] for a in resources(stack, "aws_iam_role_policy_attachment").values()
    )
    assert attached == [
        "AmazonSSMManagedInstanceCore",
        "service-role/AmazonEC2ContainerServiceforEC2Role",
        "service-role/AmazonEC2ContainerServiceforEC2Role",
    ]


def test_nothing_can_reach_the_instances(stack: dict[str, Any]) -> None:
    assert resources(stack, "aws_vpc_security_group_ingress_rule") == {}
    assert all("ingress" not in group for group in resources(stack, "aws_security_group").values())
    egress = resources(stack, "aws_vpc_security_group_egress_rule").values()
    assert [(e["from_port"], e["to_port"], e["ip_protocol"]) for e in egress] == [(443, 443, "tcp")] * 2


# ---- checkov, with an empty allow-list ----------------------------------------------------------------


def test_checkov_finds_nothing(tools_python: Path, stack: dict[str, Any], tmp_path: Path) -> None:
    """No exception needed: every check that applies to these resources passes (security/run_checkov.py)."""
    new = checkov_without_exceptions(tools_python, stack, "ec2-capacity", tmp_path)
    assert new == [], "\n".join(new)
