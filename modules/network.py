"""Network: a VPC over N availability zones with public and private subnets.

Smallest example::

    from modules.network import Network, NetworkProps

    net = Network(stack, "Network", props=NetworkProps(
        name="flask-app-dev", region="us-east-1", vpc_cidr="10.0.0.0/16",
        public_subnet_cidrs=("10.0.0.0/20", "10.0.16.0/20"),
        private_subnet_cidrs=("10.0.128.0/20", "10.0.144.0/20")))
    net.private_subnet_ids  # -> list of subnet id tokens

What it builds:

* a VPC with DNS support, and its default security group emptied (no rules);
* one public and one private subnet per AZ, CIDRs from ``public_subnet_cidrs`` /
  ``private_subnet_cidrs`` (one entry per AZ each; the config model computes them from the VPC
  CIDR and checks they do not overlap);
* the AZs are pinned by name (``availability_zones``, ``<region>a``, ``<region>b``, ... unless
  set), so a zone AWS adds, or one that is impaired, never moves a subnet; the
  ``aws_availability_zones`` lookup filters on those names and fails the plan if one of them
  does not exist in the account;
* an internet gateway and a public route table;
* NAT according to ``nat_mode``: ``none`` (private subnets have no internet route),
  ``single`` (one NAT gateway in the first public subnet), ``per_az`` (one per AZ);
* optional VPC endpoints so private tasks can pull images without NAT: ECR api + dkr and
  CloudWatch Logs (interface, private DNS) and S3 (gateway, on the private route tables);
* interface endpoints for the services the tasks' secrets come from (``secret_endpoints``:
  Secrets Manager, SSM), private DNS, in the private subnets, behind the same security group
  (HTTPS from the VPC), for tasks without NAT;
* VPC flow logs (all traffic) to a CloudWatch log group with the configured retention,
  encrypted with ``log_kms_key_arn`` when given.
"""

from __future__ import annotations

import string
from dataclasses import dataclass
from typing import Literal

from cdktf import Postcondition, TerraformResourceLifecycle
from cdktf_cdktf_provider_aws.cloudwatch_log_group import CloudwatchLogGroup
from cdktf_cdktf_provider_aws.data_aws_availability_zones import (
    DataAwsAvailabilityZones,
    DataAwsAvailabilityZonesFilter,
)
from cdktf_cdktf_provider_aws.data_aws_iam_policy_document import (
    DataAwsIamPolicyDocument,
    DataAwsIamPolicyDocumentStatement,
    DataAwsIamPolicyDocumentStatementPrincipals,
)
from cdktf_cdktf_provider_aws.default_security_group import DefaultSecurityGroup
from cdktf_cdktf_provider_aws.eip import Eip
from cdktf_cdktf_provider_aws.flow_log import FlowLog
from cdktf_cdktf_provider_aws.iam_role import IamRole
from cdktf_cdktf_provider_aws.iam_role_policy import IamRolePolicy
from cdktf_cdktf_provider_aws.internet_gateway import InternetGateway
from cdktf_cdktf_provider_aws.nat_gateway import NatGateway
from cdktf_cdktf_provider_aws.route import Route
from cdktf_cdktf_provider_aws.route_table import RouteTable
from cdktf_cdktf_provider_aws.route_table_association import RouteTableAssociation
from cdktf_cdktf_provider_aws.subnet import Subnet
from cdktf_cdktf_provider_aws.vpc import Vpc
from cdktf_cdktf_provider_aws.vpc_endpoint import VpcEndpoint
from cdktf_cdktf_provider_aws.vpc_security_group_egress_rule import VpcSecurityGroupEgressRule
from cdktf_cdktf_provider_aws.vpc_security_group_ingress_rule import VpcSecurityGroupIngressRule
from constructs import Construct

from modules.security_group import replaceable_security_group
from rules.logs import retention_problem
from rules.network import INTERFACE_ENDPOINTS, SECRET_ENDPOINTS


@dataclass(frozen=True, kw_only=True)
class NetworkProps:
    """Inputs of :class:`Network`."""

    name: str
    """Physical name prefix, ``{app}-{env}``; resources are tagged ``Name={name}-<part>``."""
    region: str
    """Region the endpoint service names are built for (``com.amazonaws.<region>.<service>``)."""
    vpc_cidr: str
    """CIDR block of the VPC, e.g. ``10.0.0.0/16``."""
    public_subnet_cidrs: tuple[str, ...]
    """One public subnet CIDR per AZ (inside ``vpc_cidr``); their count is the number of AZs, at least 2."""
    private_subnet_cidrs: tuple[str, ...]
    """One private subnet CIDR per AZ, as many as ``public_subnet_cidrs``."""
    nat_mode: Literal["none", "single", "per_az"] = "single"
    """NAT gateways: ``none``, one shared (``single``) or one per AZ (``per_az``); one shared unless set."""
    vpc_endpoints: bool = False
    """Interface endpoints for ECR api/dkr and CloudWatch Logs plus an S3 gateway endpoint; none unless set."""
    flow_logs: bool = True
    """VPC flow logs (all traffic) to a CloudWatch log group; on unless set."""
    flow_log_retention_days: int = 30
    """Retention of the flow-log group; 30 days unless set. Must be a CloudWatch retention value."""
    availability_zones: tuple[str, ...] | None = None
    """Zone names, one per AZ; the first ``az_count`` of ``<region>a``, ``<region>b``, ... unless set."""
    log_kms_key_arn: str | None = None
    """KMS key of the flow-log group; CloudWatch Logs' own encryption unless set."""
    secret_endpoints: tuple[str, ...] = ()
    """Interface endpoints for the secrets' services (``secretsmanager``, ``ssm``), so tasks without NAT can
    read their secrets; none unless set (:func:`rules.network.secret_endpoints` says which a task needs)."""

    @property
    def az_count(self) -> int:
        """Number of availability zones: one per public subnet."""
        return len(self.public_subnet_cidrs)

    @property
    def zone_names(self) -> tuple[str, ...]:
        if self.availability_zones is not None:
            return self.availability_zones
        return tuple(self.region + letter for letter in string.ascii_lowercase[: self.az_count])

    def __post_init__(self) -> None:
        if self.az_count < 2 or len(self.private_subnet_cidrs) != self.az_count:
            raise ValueError(
                "NetworkProps has %d public and %d private subnet CIDRs; allowed: the same number of each, at least 2"
                " (the load balancer spans two or more availability zones)"
                % (self.az_count, len(self.private_subnet_cidrs))
            )
        if self.availability_zones is not None:
            if len(self.availability_zones) != self.az_count:
                raise ValueError(
                    "NetworkProps.availability_zones has %d names; allowed: exactly az_count=%d"
                    % (len(self.availability_zones), self.az_count)
                )
            for zone in self.availability_zones:
                if not zone.startswith(self.region) or len(zone) <= len(self.region):
                    raise ValueError(
                        "NetworkProps.availability_zones contains %r; allowed: zone names of region %s, e.g. %sa"
                        % (zone, self.region, self.region)
                    )
        problem = retention_problem(self.flow_log_retention_days)
        if problem:
            raise ValueError("NetworkProps.flow_log_retention_days=%s" % problem)
        allowed = tuple(SECRET_ENDPOINTS.values())
        if set(self.secret_endpoints) - set(allowed) or len(set(self.secret_endpoints)) < len(self.secret_endpoints):
            raise ValueError(
                "NetworkProps.secret_endpoints=%r; allowed: each of %s at most once"
                % (self.secret_endpoints, ", ".join(map(repr, allowed)))
            )


class Network(Construct):
    """VPC, subnets, gateways, routes, endpoints and flow logs (see module docstring)."""

    vpc_id: str
    vpc_cidr_block: str
    public_subnet_ids: list[str]
    private_subnet_ids: list[str]
    private_route_table_ids: list[str]
    nat_gateway_count: int
    endpoint_security_group_id: str | None

    def __init__(self, scope: Construct, id_: str, *, props: NetworkProps) -> None:
        super().__init__(scope, id_)
        name = props.name

        zones = props.zone_names
        # Read only to fail the plan early when a pinned zone does not exist in this account.
        DataAwsAvailabilityZones(
            self,
            "AvailabilityZones",
            filter=[DataAwsAvailabilityZonesFilter(name="zone-name", values=list(zones))],
            lifecycle=TerraformResourceLifecycle(
                postcondition=[
                    Postcondition(
                        condition="${length(self.names) == %d}" % len(zones),
                        error_message="Not every availability zone of %s exists in this account; set the zone"
                        " names explicitly." % ", ".join(zones),
                    )
                ]
            ),
        )
        vpc = Vpc(
            self,
            "Vpc",
            cidr_block=props.vpc_cidr,
            enable_dns_hostnames=True,
            enable_dns_support=True,
            tags={"Name": name},
        )
        vpc_id = vpc.id
        self.vpc_id = vpc_id
        self.vpc_cidr_block = vpc.cidr_block
        # The default security group allows all traffic between its members; nothing should use it.
        DefaultSecurityGroup(self, "DefaultSecurityGroup", vpc_id=vpc_id, tags={"Name": "%s-default-unused" % name})

        igw = InternetGateway(self, "InternetGateway", vpc_id=vpc_id, tags={"Name": name})
        public_rt_id = RouteTable(self, "PublicRouteTable", vpc_id=vpc_id, tags={"Name": "%s-public" % name}).id
        Route(self, "PublicDefaultRoute", route_table_id=public_rt_id, destination_cidr_block="0.0.0.0/0",
              gateway_id=igw.id)  # fmt: skip

        public_ids: list[str] = []
        private_ids: list[str] = []
        for i in range(props.az_count):
            az = zones[i]
            public_ids.append(
                Subnet(
                    self,
                    "PublicSubnet%d" % i,
                    vpc_id=vpc_id,
                    cidr_block=props.public_subnet_cidrs[i],
                    availability_zone=az,
                    map_public_ip_on_launch=False,
                    tags={"Name": "%s-public-%d" % (name, i), "Tier": "public"},
                ).id
            )
            private_ids.append(
                Subnet(
                    self,
                    "PrivateSubnet%d" % i,
                    vpc_id=vpc_id,
                    cidr_block=props.private_subnet_cidrs[i],
                    availability_zone=az,
                    tags={"Name": "%s-private-%d" % (name, i), "Tier": "private"},
                ).id
            )
            RouteTableAssociation(self, "PublicRouteTableAssociation%d" % i, subnet_id=public_ids[i],
                                  route_table_id=public_rt_id)  # fmt: skip

        nat_count = {"none": 0, "single": 1, "per_az": props.az_count}[props.nat_mode]
        nat_ids: list[str] = []
        for i in range(nat_count):
            eip = Eip(self, "NatEip%d" % i, domain="vpc", tags={"Name": "%s-nat-%d" % (name, i)})
            nat_ids.append(
                NatGateway(self, "NatGateway%d" % i, allocation_id=eip.id, subnet_id=public_ids[i],
                           tags={"Name": "%s-nat-%d" % (name, i)}, depends_on=[igw]).id
            )  # fmt: skip

        private_rt_ids: list[str] = []
        for i in range(props.az_count):
            rt_id = RouteTable(
                self, "PrivateRouteTable%d" % i, vpc_id=vpc_id, tags={"Name": "%s-private-%d" % (name, i)}
            ).id
            if nat_ids:
                Route(self, "PrivateDefaultRoute%d" % i, route_table_id=rt_id, destination_cidr_block="0.0.0.0/0",
                      nat_gateway_id=nat_ids[min(i, len(nat_ids) - 1)])  # fmt: skip
            RouteTableAssociation(self, "PrivateRouteTableAssociation%d" % i, subnet_id=private_ids[i],
                                  route_table_id=rt_id)  # fmt: skip
            private_rt_ids.append(rt_id)

        self.public_subnet_ids = public_ids
        self.private_subnet_ids = private_ids
        self.private_route_table_ids = private_rt_ids
        self.nat_gateway_count = nat_count
        self.endpoint_security_group_id = None

        if props.vpc_endpoints or props.secret_endpoints:
            self._endpoints(props)
        if props.flow_logs:
            self._flow_logs(props)

    def _endpoints(self, props: NetworkProps) -> None:
        sg_id = replaceable_security_group(
            self, "EndpointSecurityGroup", name="%s-endpoints" % props.name, vpc_id=self.vpc_id,
            description="HTTPS from inside the VPC to the interface endpoints",
        ).id  # fmt: skip
        VpcSecurityGroupIngressRule(
            self,
            "EndpointIngressHttps",
            security_group_id=sg_id,
            description="HTTPS from the VPC",
            ip_protocol="tcp",
            from_port=443,
            to_port=443,
            cidr_ipv4=self.vpc_cidr_block,
        )
        VpcSecurityGroupEgressRule(
            self,
            "EndpointEgressVpc",
            security_group_id=sg_id,
            description="Responses stay inside the VPC",
            ip_protocol="tcp",
            from_port=443,
            to_port=443,
            cidr_ipv4=self.vpc_cidr_block,
        )
        self.endpoint_security_group_id = sg_id
        services = (*(INTERFACE_ENDPOINTS if props.vpc_endpoints else ()), *props.secret_endpoints)
        for service in services:
            VpcEndpoint(
                self,
                "Endpoint-%s" % service.replace(".", "-"),
                vpc_id=self.vpc_id,
                service_name="com.amazonaws.%s.%s" % (props.region, service),
                vpc_endpoint_type="Interface",
                private_dns_enabled=True,
                subnet_ids=list(self.private_subnet_ids),
                security_group_ids=[sg_id],
                tags={"Name": "%s-%s" % (props.name, service)},
            )
        if not props.vpc_endpoints:
            return
        # ECR keeps image layers in S3: the gateway endpoint keeps those pulls off the NAT.
        VpcEndpoint(
            self,
            "Endpoint-s3",
            vpc_id=self.vpc_id,
            service_name="com.amazonaws.%s.s3" % props.region,
            vpc_endpoint_type="Gateway",
            route_table_ids=list(self.private_route_table_ids),
            tags={"Name": "%s-s3" % props.name},
        )

    def _flow_logs(self, props: NetworkProps) -> None:
        group_arn = CloudwatchLogGroup(
            self,
            "FlowLogGroup",
            name="/vpc/%s/flow-logs" % props.name,
            retention_in_days=props.flow_log_retention_days,
            kms_key_id=props.log_kms_key_arn,
        ).arn
        assume = DataAwsIamPolicyDocument(
            self,
            "FlowLogAssumeRole",
            statement=[
                DataAwsIamPolicyDocumentStatement(
                    actions=["sts:AssumeRole"],
                    principals=[
                        DataAwsIamPolicyDocumentStatementPrincipals(
                            type="Service", identifiers=["vpc-flow-logs.amazonaws.com"]
                        )
                    ],
                )
            ],
        )
        role = IamRole(self, "FlowLogRole", name="%s-flow-logs" % props.name, assume_role_policy=assume.json)
        write = DataAwsIamPolicyDocument(
            self,
            "FlowLogWrite",
            statement=[
                DataAwsIamPolicyDocumentStatement(
                    sid="WriteFlowLogs",
                    actions=["logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"],
                    resources=["%s:*" % group_arn],
                )
            ],
        )
        IamRolePolicy(self, "FlowLogRolePolicy", name="write-flow-logs", role=role.id, policy=write.json)
        FlowLog(
            self,
            "FlowLog",
            vpc_id=self.vpc_id,
            traffic_type="ALL",
            log_destination_type="cloud-watch-logs",
            log_destination=group_arn,
            iam_role_arn=role.arn,
            max_aggregation_interval=60,
            tags={"Name": props.name},
        )
