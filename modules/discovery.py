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

A name is not a permission: the task security group admits only the ALB unless
``service.discovery_client_security_group_ids`` lists the security groups of the callers
(the service construct adds one ingress rule per group). This construct creates no security
group of its own.
"""

from __future__ import annotations

from dataclasses import dataclass

from cdktf_cdktf_provider_aws.service_discovery_private_dns_namespace import ServiceDiscoveryPrivateDnsNamespace
from cdktf_cdktf_provider_aws.service_discovery_service import (
    ServiceDiscoveryService,
    ServiceDiscoveryServiceDnsConfig,
    ServiceDiscoveryServiceDnsConfigDnsRecords,
    ServiceDiscoveryServiceHealthCheckCustomConfig,
)
from constructs import Construct

from rules.dns import is_dns_name


@dataclass(frozen=True, kw_only=True)
class DiscoveryProps:
    """Inputs of :class:`Discovery`."""

    name: str
    """Physical name prefix, ``{app}-{env}``; appears in the namespace description."""
    namespace: str
    """Private DNS namespace, e.g. ``internal``; one or more lowercase DNS labels."""
    service: str
    """Name of this service in the namespace, e.g. ``flask-app`` -> ``flask-app.internal``."""
    vpc_id: str
    """VPC the private zone is attached to."""
    dns_ttl_seconds: int = 10
    """TTL of the A records; 10 s unless set, so callers follow task replacements quickly."""
    namespace_id: str | None = None
    """An existing namespace (named ``namespace``) to register in, e.g. another service's
    :attr:`Discovery.namespace_id`; when unset the namespace is created here (id ``Namespace``)."""

    def __post_init__(self) -> None:
        for field, value in (("namespace", self.namespace), ("service", self.service)):
            if not is_dns_name(value, min_labels=1):
                raise ValueError(
                    "DiscoveryProps.%s=%r is not a DNS name; allowed: lowercase letters, digits, '-' and '.',"
                    " labels of 1..63 characters" % (field, value)
                )
        if "." in self.service:
            raise ValueError("DiscoveryProps.service=%r; allowed: a single DNS label (no '.')" % self.service)
        if not 0 <= self.dns_ttl_seconds <= 2147483647:
            raise ValueError("DiscoveryProps.dns_ttl_seconds=%r; allowed: 0..2147483647" % self.dns_ttl_seconds)


class Discovery(Construct):
    """Cloud Map namespace + service."""

    namespace_id: str
    registry_arn: str
    endpoint: str

    def __init__(self, scope: Construct, id_: str, *, props: DiscoveryProps) -> None:
        super().__init__(scope, id_)
        if props.namespace_id is not None:
            self.namespace_id = props.namespace_id
        else:
            self.namespace_id = ServiceDiscoveryPrivateDnsNamespace(
                self,
                "Namespace",
                name=props.namespace,
                vpc=props.vpc_id,
                description="Private names of the %s services" % props.name,
            ).id
        service = ServiceDiscoveryService(
            self,
            "Service",
            name=props.service,
            description="Task IPs of %s, registered by ECS" % props.service,
            dns_config=ServiceDiscoveryServiceDnsConfig(
                namespace_id=self.namespace_id,
                routing_policy="MULTIVALUE",
                dns_records=[ServiceDiscoveryServiceDnsConfigDnsRecords(type="A", ttl=props.dns_ttl_seconds)],
            ),
            # failure_threshold is deprecated (AWS fixes it at 1) but must be set: the provider sends
            # nothing for an empty block, so the service would get no custom health check at all and
            # every later plan would replace it (hashicorp/terraform-provider-aws#44285).
            health_check_custom_config=ServiceDiscoveryServiceHealthCheckCustomConfig(failure_threshold=1),
            force_destroy=True,
        )
        self.registry_arn = service.arn
        self.endpoint = "%s.%s" % (props.service, props.namespace)
