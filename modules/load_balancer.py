"""LoadBalancer: the internet-facing ALB, its security group, listeners and DNS alias, shared by web services.

Smallest example::

    from modules.load_balancer import LoadBalancer, LoadBalancerProps

    lb = LoadBalancer(stack, "LoadBalancer", props=LoadBalancerProps(
        name="flask-app-dev", alb_name="flask-app-dev-alb", vpc_id=network.vpc_id,
        public_subnet_ids=network.public_subnet_ids))
    lb.alb_arn, lb.security_group_id, lb.listeners

Targets are added by :class:`modules.listener_target.ListenerTarget`: one target may be the
listeners' default action (:meth:`LoadBalancer.forward_by_default`), any number of others are
reached through listener rules on host and path conditions. Until a default target is set, the
listeners answer 404 to a request no rule matches.

What it builds:

* an application load balancer, internet-facing, in the public subnets, dropping invalid
  header fields, with the configured idle timeout and deletion protection;
* its security group: ingress on 80 (and 443 when TLS is configured) from
  ``ingress_cidrs`` only; egress is added by each service (to its task security group on
  its container port), so the ALB can reach nothing else;
* an HTTP listener that forwards to the targets, or answers 301 to HTTPS when
  ``redirect_http_to_https`` is set (the default whenever TLS is configured); an HTTPS listener
  (policy ``ELBSecurityPolicy-TLS13-1-2-2021-06``) when TLS is configured: with
  ``certificate_arn``, or with a certificate this construct requests for ``domain_name`` and
  validates through DNS (:class:`modules.certificate.Certificate`) when no ARN is given;
* when ``domain_name`` is set: a lookup of the public zone ``hosted_zone_name`` (an account
  prerequisite, never created here) and a Route 53 alias A record ``domain_name`` -> the ALB;
* access logs to ``access_logs_bucket`` (under ``access_logs_prefix``) when it is set: a bucket with the
  ELB log-delivery policy, e.g. :class:`modules.access_log_bucket.AccessLogBucket`.

A service released through CodeDeploy (:class:`modules.blue_green.BlueGreen`) needs
:meth:`LoadBalancer.leave_targets_to_codedeploy`: CodeDeploy then owns the forwarding listeners'
default action.
"""

from __future__ import annotations

from dataclasses import dataclass

from cdktf import TerraformResourceLifecycle
from cdktf_cdktf_provider_aws.data_aws_route53_zone import DataAwsRoute53Zone
from cdktf_cdktf_provider_aws.lb import Lb, LbAccessLogs
from cdktf_cdktf_provider_aws.lb_listener import (
    LbListener,
    LbListenerDefaultAction,
    LbListenerDefaultActionFixedResponse,
    LbListenerDefaultActionRedirect,
)
from cdktf_cdktf_provider_aws.route53_record import Route53Record, Route53RecordAlias
from cdktf_cdktf_provider_aws.vpc_security_group_ingress_rule import VpcSecurityGroupIngressRule
from constructs import Construct

from modules.certificate import Certificate, CertificateProps
from modules.interfaces import ListenerRef
from modules.security_group import replaceable_security_group
from rules.dns import requests_certificate, serves_tls
from rules.elb_logs import prefix_problem
from rules.naming import LIMITS, length_problem

#: TLS policy of the HTTPS listener: TLS 1.3 and 1.2 with forward-secret ciphers only.
TLS_POLICY = "ELBSecurityPolicy-TLS13-1-2-2021-06"

#: What a listener answers when no rule matches and no default target is set.
NO_TARGET_RESPONSE = LbListenerDefaultActionFixedResponse(
    content_type="application/json", status_code="404", message_body='{"error": "no service answers here"}'
)


@dataclass(frozen=True, kw_only=True)
class LoadBalancerOptions:
    """The load balancer's settings that have a default: protection, ingress, TLS, DNS, idle timeout."""

    deletion_protection: bool = False
    """ALB deletion protection; off unless set (the config model requires it in production)."""
    ingress_cidrs: tuple[str, ...] = ("0.0.0.0/0",)
    """IPv4 blocks allowed to reach ports 80 (and 443 with TLS); everyone unless set."""
    certificate_arn: str | None = None
    """Existing ACM certificate of the HTTPS listener; when unset, a certificate is requested for
    ``domain_name`` if that is set, else there is no HTTPS listener."""
    domain_name: str | None = None
    """Name the service answers at (Route 53 alias record to the ALB, in ``hosted_zone_name``); no DNS record
    and no requested certificate unless set."""
    hosted_zone_name: str | None = None
    """Existing public Route 53 zone holding ``domain_name``, looked up by name; needed with ``domain_name``."""
    redirect_http_to_https: bool | None = None
    """HTTP listener answers 301 to HTTPS; when unset, on exactly when TLS is configured."""
    idle_timeout_seconds: int = 60
    """ALB idle timeout; 60 s unless set."""
    access_logs_bucket: str | None = None
    """S3 bucket the ALB writes its access logs to, with the ELB log-delivery policy in place (pass
    :attr:`modules.access_log_bucket.AccessLogBucket.delivery_bucket`, so the ALB waits for that policy);
    no access logs unless set."""
    access_logs_prefix: str | None = None
    """Key prefix of the access logs in ``access_logs_bucket``; the bucket's top level unless set."""

    @property
    def tls(self) -> bool:
        """True when the ALB has an HTTPS listener (``rules.dns.serves_tls``)."""
        return serves_tls(self.certificate_arn, self.domain_name)

    @property
    def creates_certificate(self) -> bool:
        """True when an ACM certificate is requested for ``domain_name`` (``rules.dns.requests_certificate``)."""
        return requests_certificate(self.certificate_arn, self.domain_name)

    @property
    def redirects_http(self) -> bool:
        """Whether the HTTP listener redirects to HTTPS (``redirect_http_to_https``, or TLS when unset)."""
        return self.tls if self.redirect_http_to_https is None else self.redirect_http_to_https


@dataclass(frozen=True, kw_only=True)
class LoadBalancerProps(LoadBalancerOptions):
    """Inputs of :class:`LoadBalancer`: its name and where it runs, plus :class:`LoadBalancerOptions`."""

    name: str
    """Physical name prefix, ``{app}-{env}``; the security group is ``{name}-alb``."""
    alb_name: str
    """Load balancer name; at most 32 characters (AWS limit), checked here."""
    vpc_id: str
    """VPC of the security group (and of the targets added later)."""
    public_subnet_ids: list[str]
    """Subnets the ALB is placed in; at least two (an ALB needs two availability zones)."""

    def __post_init__(self) -> None:
        problem = length_problem(self.alb_name, LIMITS["alb"])
        if problem:
            raise ValueError("LoadBalancerProps.alb_name=%s" % problem)
        if (self.domain_name is None) != (self.hosted_zone_name is None):
            raise ValueError(
                "LoadBalancerProps.domain_name=%r and hosted_zone_name=%r; allowed: both or neither"
                % (self.domain_name, self.hosted_zone_name)
            )
        if self.redirects_http and not self.tls:
            raise ValueError(
                "LoadBalancerProps.redirect_http_to_https=True needs TLS; allowed: set certificate_arn, or domain_name"
                " with hosted_zone_name"
            )
        if self.access_logs_prefix is not None:
            if self.access_logs_bucket is None:
                raise ValueError(
                    "LoadBalancerProps.access_logs_prefix=%r without access_logs_bucket; allowed: both, or neither"
                    % self.access_logs_prefix
                )
            problem = prefix_problem(self.access_logs_prefix)
            if problem:
                raise ValueError("LoadBalancerProps.access_logs_%s" % problem)
        if isinstance(self.public_subnet_ids, list) and len(self.public_subnet_ids) < 2:
            raise ValueError(
                "LoadBalancerProps.public_subnet_ids has %d subnet(s); allowed: at least 2 (an ALB spans two or more"
                " availability zones)" % len(self.public_subnet_ids)
            )


class LoadBalancer(Construct):
    """ALB + security group + listeners (+ certificate and Route 53 alias); implements ``ILoadBalancer``."""

    alb_arn: str
    alb_arn_suffix: str
    alb_dns_name: str
    alb_zone_id: str
    security_group_id: str
    vpc_id: str
    listeners: list[LbListener]
    forwarding_listeners: list[LbListener]
    """The listeners whose requests reach targets: HTTPS with TLS, HTTP unless it redirects."""
    forwarding_refs: list[ListenerRef]
    """``forwarding_listeners`` as (port, ARN) references, for listener rules."""
    https: bool
    service_url: str
    certificate: Certificate | None
    """The certificate this construct requested (``domain_name`` without ``certificate_arn``), else None."""
    certificate_arn: str | None
    """Certificate of the HTTPS listener (the configured ARN or the validated requested one); None without TLS."""
    default_target_group_arn: str | None
    """The target group the listeners forward to when no rule matches (:meth:`forward_by_default`), else None."""

    def __init__(self, scope: Construct, id_: str, *, props: LoadBalancerProps) -> None:
        super().__init__(scope, id_)
        self.https = props.tls
        self.vpc_id = props.vpc_id
        self.default_target_group_arn = None
        zone_id: str | None = None
        if props.domain_name is not None and props.hosted_zone_name is not None:
            zone_id = DataAwsRoute53Zone(self, "HostedZone", name=props.hosted_zone_name, private_zone=False).zone_id
        self.certificate = None
        self.certificate_arn = props.certificate_arn
        if props.creates_certificate and zone_id is not None and props.domain_name is not None:
            self.certificate = Certificate(
                self, "Certificate", props=CertificateProps(domain_name=props.domain_name, zone_id=zone_id)
            )
            self.certificate_arn = self.certificate.certificate_arn

        sg_id = replaceable_security_group(
            self, "SecurityGroup", name="%s-alb" % props.name, vpc_id=props.vpc_id,
            description="Internet-facing ALB: HTTP/HTTPS from the configured CIDRs",
        ).id  # fmt: skip
        ports = [80, 443] if self.https else [80]
        for port in ports:
            for i, cidr in enumerate(props.ingress_cidrs):
                VpcSecurityGroupIngressRule(
                    self,
                    "Ingress%d-%d" % (port, i),
                    security_group_id=sg_id,
                    description="%s from %s" % ("HTTPS" if port == 443 else "HTTP", cidr),
                    ip_protocol="tcp",
                    from_port=port,
                    to_port=port,
                    cidr_ipv4=cidr,
                )

        alb = Lb(
            self,
            "LoadBalancer",
            name=props.alb_name,
            internal=False,
            load_balancer_type="application",
            security_groups=[sg_id],
            subnets=props.public_subnet_ids,
            drop_invalid_header_fields=True,
            idle_timeout=props.idle_timeout_seconds,
            enable_deletion_protection=props.deletion_protection,
            access_logs=(
                LbAccessLogs(bucket=props.access_logs_bucket, prefix=props.access_logs_prefix, enabled=True)
                if props.access_logs_bucket is not None
                else None
            ),
            tags={"Name": props.alb_name},
        )
        alb_arn = alb.arn
        not_found = LbListenerDefaultAction(type="fixed-response", fixed_response=NO_TARGET_RESPONSE)

        if props.redirects_http:
            http_action = LbListenerDefaultAction(
                type="redirect",
                redirect=LbListenerDefaultActionRedirect(port="443", protocol="HTTPS", status_code="HTTP_301"),
            )
        else:
            http_action = not_found
        http = LbListener(
            self, "HttpListener", load_balancer_arn=alb_arn, port=80, protocol="HTTP", default_action=[http_action]
        )
        self.listeners = [http]
        self.forwarding_listeners = [] if props.redirects_http else [http]
        self.forwarding_refs = [] if props.redirects_http else [ListenerRef(80, http.arn)]
        if self.https:
            https = LbListener(
                self,
                "HttpsListener",
                load_balancer_arn=alb_arn,
                port=443,
                protocol="HTTPS",
                ssl_policy=TLS_POLICY,
                certificate_arn=self.certificate_arn,
                default_action=[not_found],
            )
            self.listeners.append(https)
            self.forwarding_listeners.append(https)
            self.forwarding_refs.append(ListenerRef(443, https.arn))

        self.alb_dns_name = alb.dns_name
        self.alb_zone_id = alb.zone_id
        host = self.alb_dns_name
        if props.domain_name is not None and zone_id is not None:
            Route53Record(
                self,
                "AliasRecord",
                zone_id=zone_id,
                name=props.domain_name,
                type="A",
                alias=Route53RecordAlias(name=self.alb_dns_name, zone_id=self.alb_zone_id, evaluate_target_health=True),
            )
            host = props.domain_name

        self.alb_arn = alb_arn
        self.alb_arn_suffix = alb.arn_suffix
        self.security_group_id = sg_id
        self.service_url = "%s://%s" % ("https" if self.https else "http", host)

    def forward_by_default(self, target_group_arn: str) -> None:
        """Make ``target_group_arn`` the forwarding listeners' default action (at most one per load balancer)."""
        if self.default_target_group_arn is not None:
            raise ValueError(
                "LoadBalancer %s already forwards by default to another target group; allowed: one default target,"
                " every other target needs hosts/paths and a priority" % self.node.path
            )
        self.default_target_group_arn = target_group_arn
        for listener in self.forwarding_listeners:
            listener.put_default_action([LbListenerDefaultAction(type="forward", target_group_arn=target_group_arn)])

    def leave_targets_to_codedeploy(self) -> None:
        """Let CodeDeploy own the forwarding listeners' default action (``ignore_changes``): a blue/green
        release (:class:`modules.blue_green.BlueGreen`) points it at the other target group, and the next
        ``terraform apply`` must not point it back."""
        for listener in self.forwarding_listeners:
            listener.lifecycle = TerraformResourceLifecycle(ignore_changes=["default_action"])
