"""Network construct: defaults, properties per NAT mode, endpoints, flow logs, validation."""

from __future__ import annotations

from typing import Any

import pytest

from envconfig.model import NetworkConfig
from stacks.props import network_props
from tests.conftest import resources, synth_construct

PLAIN = dict(vpc_cidr="10.0.0.0/16", public_subnet_cidrs=("10.0.0.0/20", "10.0.16.0/20"),
             private_subnet_cidrs=("10.0.128.0/20", "10.0.144.0/20"))  # fmt: skip


def network(**config: Any) -> dict[str, Any]:
    from modules.network import Network

    def build(stack: Any) -> None:
        Network(stack, "Network", props=network_props(NetworkConfig(**config), name="app-test", region="us-east-1"))

    return synth_construct(build)


@pytest.fixture(scope="module")
def defaults() -> dict[str, Any]:
    return network()


def test_defaults_only(defaults: dict[str, Any]) -> None:
    vpc = next(iter(resources(defaults, "aws_vpc").values()))
    assert vpc["cidr_block"] == "10.0.0.0/16" and vpc["enable_dns_hostnames"] is True
    subnets = resources(defaults, "aws_subnet")
    assert sorted(s["cidr_block"] for s in subnets.values()) == [
        "10.0.0.0/20", "10.0.128.0/20", "10.0.144.0/20", "10.0.16.0/20",
    ]  # fmt: skip
    assert all(s["map_public_ip_on_launch"] is False for s in subnets.values() if s["tags"]["Tier"] == "public")
    assert len(resources(defaults, "aws_nat_gateway")) == 1  # nat_mode=single
    assert len(resources(defaults, "aws_internet_gateway")) == 1
    assert "aws_vpc_endpoint" not in defaults["resource"]
    assert len(resources(defaults, "aws_flow_log")) == 1


def test_default_security_group_has_no_rules(defaults: dict[str, Any]) -> None:
    (sg,) = resources(defaults, "aws_default_security_group").values()
    assert "ingress" not in sg and "egress" not in sg


def test_private_routes_go_through_nat(defaults: dict[str, Any]) -> None:
    routes = resources(defaults, "aws_route")
    private = [r for name, r in routes.items() if "PrivateDefaultRoute" in name]
    assert len(private) == 2 and all("aws_nat_gateway" in r["nat_gateway_id"] for r in private)
    public = [r for name, r in routes.items() if "PublicDefaultRoute" in name]
    assert len(public) == 1 and "aws_internet_gateway" in public[0]["gateway_id"]


def test_flow_logs_to_cloudwatch(defaults: dict[str, Any]) -> None:
    (flow,) = resources(defaults, "aws_flow_log").values()
    assert flow["traffic_type"] == "ALL" and flow["log_destination_type"] == "cloud-watch-logs"
    (group,) = resources(defaults, "aws_cloudwatch_log_group").values()
    assert group["retention_in_days"] == 30
    doc = defaults["data"]["aws_iam_policy_document"]
    write = next(d for n, d in doc.items() if "FlowLogWrite" in n)
    assert write["statement"][0]["actions"] == ["logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"]
    (group_name,) = resources(defaults, "aws_cloudwatch_log_group")
    assert write["statement"][0]["resources"] == ["${aws_cloudwatch_log_group.%s.arn}:*" % group_name]


def test_nat_per_az_and_endpoints() -> None:
    out = network(az_count=3, nat_mode="per_az", vpc_endpoints=True)
    nats = resources(out, "aws_nat_gateway")
    assert len(nats) == 3
    routes = [r for n, r in resources(out, "aws_route").items() if "PrivateDefaultRoute" in n]
    assert len({r["nat_gateway_id"] for r in routes}) == 3  # each AZ uses its own NAT
    endpoints = resources(out, "aws_vpc_endpoint")
    names = sorted(e["service_name"] for e in endpoints.values())
    assert names == [
        "com.amazonaws.us-east-1.ecr.api", "com.amazonaws.us-east-1.ecr.dkr",
        "com.amazonaws.us-east-1.logs", "com.amazonaws.us-east-1.s3",
    ]  # fmt: skip
    s3 = next(e for e in endpoints.values() if e["service_name"].endswith(".s3"))
    assert s3["vpc_endpoint_type"] == "Gateway" and len(s3["route_table_ids"]) == 3
    interface = [e for e in endpoints.values() if e["vpc_endpoint_type"] == "Interface"]
    assert all(e["private_dns_enabled"] for e in interface)


def test_nat_none_has_no_private_default_route() -> None:
    out = network(nat_mode="none", flow_logs=False)
    assert "aws_nat_gateway" not in out["resource"] and "aws_eip" not in out["resource"]
    assert not [n for n in resources(out, "aws_route") if "PrivateDefaultRoute" in n]
    assert "aws_flow_log" not in out["resource"]


def test_props_reject_bad_flow_log_retention() -> None:
    from modules.network import NetworkProps

    with pytest.raises(ValueError, match=r"NetworkProps.flow_log_retention_days=10 is not a CloudWatch retention"):
        NetworkProps(name="x-y", region="us-east-1", **PLAIN, flow_log_retention_days=10)


@pytest.mark.parametrize(("public", "private"), [(1, 1), (2, 3)])
def test_props_need_matching_subnet_counts_of_at_least_two(public: int, private: int) -> None:
    from modules.network import NetworkProps

    cidrs = ["10.0.%d.0/24" % i for i in range(6)]
    with pytest.raises(ValueError, match=r"NetworkProps has %d public and %d private subnet CIDRs; allowed: the same"
                       r" number of each, at least 2" % (public, private)):  # fmt: skip
        NetworkProps(name="x-y", region="us-east-1", vpc_cidr="10.0.0.0/16",
                     public_subnet_cidrs=tuple(cidrs[:public]), private_subnet_cidrs=tuple(cidrs[3:3 + private]))


def test_props_defaults_are_the_config_defaults() -> None:
    from modules.network import NetworkProps

    assert NetworkProps(name="x-y", region="us-east-1", **PLAIN) == network_props(
        NetworkConfig(), name="x-y", region="us-east-1"
    )


def test_props_are_keyword_only_and_frozen() -> None:
    from modules.network import NetworkProps

    props = NetworkProps(name="x-y", region="us-east-1", **PLAIN)
    with pytest.raises(Exception, match="cannot assign"):
        props.name = "z"  # type: ignore[misc]
    with pytest.raises(TypeError):
        NetworkProps("x-y", "us-east-1", "10.0.0.0/16")  # type: ignore[misc]
