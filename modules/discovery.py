"""Discovery: a Cloud Map private DNS namespace and the service's registration in it.

Smallest example::

    from modules.discovery import Discovery, DiscoveryProps

    dns = Discovery(stack, "Discovery", props=DiscoveryProps(
        name="flask-app-dev", namespace="internal", service="flask-app", vpc_id=network.vpc_id))
    dns.registry_arn        # pass to ServiceProps.service_registry_arn
    dns.endpoint            # "flask-app.internal"

Other services in the VPC reach this one at ``<service>.<namespace>`` (A records of the task
IPs, kept current by ECS) without going through the ALB. Tasks register only while healthy:
ECS reports their container health to Cloud Map (custom health check).

The construct also creates a *client* security group ``{name}-discovery-clients``: attach it to
a caller and the task security group admits it on the container port. The tasks stay closed to
everything else in the VPC.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from cdktf_cdktf_provider_aws.security_group import SecurityGroup
from cdktf_cdktf_provider_aws.service_discovery_private_dns_namespace import ServiceDiscoveryPrivateDnsNamespace
from cdktf_cdktf_provider_aws.service_discovery_service import (
    ServiceDiscoveryService,
    ServiceDiscoveryServiceDnsConfig,
    ServiceDiscoveryServiceDnsConfigDnsRecords,
    ServiceDiscoveryServiceHealthCheckCustomConfig,
)
from cdktf_cdktf_provider_aws.vpc_security_group_egress_rule import VpcSecurityGroupEgressRule
from constructs import Construct

_DNS_LABELS = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)(\.(?!-)[a-z0-9-]{1,63}(?<!-))*$")


@dataclass(frozen=True, kw_only=True)
class DiscoveryProps:
    """Inputs of :class:`Discovery`."""

    name: str
    """Physical name prefix, ``{app}-{env}``; names the client security group."""
    namespace: str
    """Private DNS namespace, e.g. ``internal``; one or more lowercase DNS labels."""
    service: str
    """Name of this service in the namespace, e.g. ``flask-app`` -> ``flask-app.internal``."""
    vpc_id: str
    """VPC the private zone is attached to."""
    dns_ttl_seconds: int = 10
    """TTL of the A records; 10 s unless set, so callers follow task replacements quickly."""
    container_port: int | None = None
    """When set, the client security group gets an egress rule to the VPC on this port; none unless set."""
    vpc_cidr_block: str | None = None
    """CIDR for the client egress rule; required with ``container_port``."""

    def __post_init__(self) -> None:
        for field, value in (("namespace", self.namespace), ("service", self.service)):
            if len(value) > 253 or not _DNS_LABELS.match(value):
                raise ValueError(
                    "DiscoveryProps.%s=%r is not a DNS name; allowed: lowercase letters, digits, '-' and '.',"
                    " labels of 1..63 characters" % (field, value)
                )
        if "." in self.service:
            raise ValueError("DiscoveryProps.service=%r; allowed: a single DNS label (no '.')" % self.service)
        if not 0 <= self.dns_ttl_seconds <= 2147483647:
            raise ValueError("DiscoveryProps.dns_ttl_seconds=%r; allowed: 0..2147483647" % self.dns_ttl_seconds)
        if (self.container_port is None) != (self.vpc_cidr_block is None):
            raise ValueError(
                "DiscoveryProps.container_port and vpc_cidr_block must be set together; allowed: both or neither"
            )


class Discovery(Construct):
    """Cloud Map namespace + service + client security group."""

    namespace_id: str
    registry_arn: str
    client_security_group_id: str
    endpoint: str

    def __init__(self, scope: Construct, id_: str, *, props: DiscoveryProps) -> None:
        super().__init__(scope, id_)
        namespace = ServiceDiscoveryPrivateDnsNamespace(
            self,
            "Namespace",
            name=props.namespace,
            vpc=props.vpc_id,
            description="Private names of the %s services" % props.name,
        )
        service = ServiceDiscoveryService(
            self,
            "Service",
            name=props.service,
            description="Task IPs of %s, registered by ECS" % props.service,
            dns_config=ServiceDiscoveryServiceDnsConfig(
                namespace_id=namespace.id,
                routing_policy="MULTIVALUE",
                dns_records=[ServiceDiscoveryServiceDnsConfigDnsRecords(type="A", ttl=props.dns_ttl_seconds)],
            ),
            health_check_custom_config=ServiceDiscoveryServiceHealthCheckCustomConfig(),
            force_destroy=True,
        )
        clients = SecurityGroup(
            self,
            "ClientSecurityGroup",
            name="%s-discovery-clients" % props.name,
            description="Attach to in-VPC callers of %s.%s" % (props.service, props.namespace),
            vpc_id=props.vpc_id,
            tags={"Name": "%s-discovery-clients" % props.name},
        )
        if props.container_port is not None and props.vpc_cidr_block is not None:
            VpcSecurityGroupEgressRule(
                self,
                "ClientEgress",
                security_group_id=clients.id,
                description="Callers to %s on its container port" % props.service,
                ip_protocol="tcp",
                from_port=props.container_port,
                to_port=props.container_port,
                cidr_ipv4=props.vpc_cidr_block,
            )
        self.namespace_id = namespace.id
        self.registry_arn = service.arn
        self.client_security_group_id = clients.id
        self.endpoint = "%s.%s" % (props.service, props.namespace)
