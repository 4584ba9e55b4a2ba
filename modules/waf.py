"""WebAcl: the AWS WAF web ACL in front of the load balancer, with its request log.

Smallest example::

    from modules.waf import WebAcl, WebAclProps

    WebAcl(stack, "WebAcl", props=WebAclProps(name="flask-app-dev", alb_arn=lb.alb_arn,
                                              log_retention_days=30))

What it builds:

* a regional web ACL (default action *allow*) with four AWS managed rule groups, in order:
  ``AWSManagedRulesAmazonIpReputationList`` (known bad sources),
  ``AWSManagedRulesAnonymousIpList`` (Tor exits, anonymizing proxies),
  ``AWSManagedRulesCommonRuleSet`` (OWASP-style request checks) and
  ``AWSManagedRulesKnownBadInputsRuleSet`` (exploit payloads such as Log4j lookups).
  Two rules only *count*: the common set's ``SizeRestrictions_BODY`` (bodies over 8 KB; the
  app accepts up to 1 MiB and answers larger ones itself with a 413) and the anonymous list's
  ``HostingProviderIPList`` (API clients legitimately run on cloud hosts);
* its association with the ALB;
* request logging to the CloudWatch log group ``aws-waf-logs-{name}`` (WAF requires the
  prefix) with the configured retention, encrypted with ``log_kms_key_arn`` when given; the
  ``authorization`` and ``cookie`` headers are redacted from the log.

Every rule and the ACL publish CloudWatch metrics and sampled requests.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from cdktf_cdktf_provider_aws.cloudwatch_log_group import CloudwatchLogGroup
from cdktf_cdktf_provider_aws.wafv2_web_acl import (
    Wafv2WebAcl,
    Wafv2WebAclDefaultAction,
    Wafv2WebAclRule,
    Wafv2WebAclRuleOverrideAction,
    Wafv2WebAclRuleVisibilityConfig,
    Wafv2WebAclVisibilityConfig,
)
from cdktf_cdktf_provider_aws.wafv2_web_acl_association import Wafv2WebAclAssociation
from cdktf_cdktf_provider_aws.wafv2_web_acl_logging_configuration import (
    Wafv2WebAclLoggingConfiguration,
    Wafv2WebAclLoggingConfigurationRedactedFields,
    Wafv2WebAclLoggingConfigurationRedactedFieldsSingleHeader,
)
from constructs import Construct

from rules.logs import retention_problem

#: (rule group, rules inside it that only count instead of blocking)
MANAGED_RULE_GROUPS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("AWSManagedRulesAmazonIpReputationList", ()),
    ("AWSManagedRulesAnonymousIpList", ("HostingProviderIPList",)),
    ("AWSManagedRulesCommonRuleSet", ("SizeRestrictions_BODY",)),
    ("AWSManagedRulesKnownBadInputsRuleSet", ()),
)
#: Request headers never written to the WAF log.
REDACTED_HEADERS = ("authorization", "cookie")


@dataclass(frozen=True, kw_only=True)
class WebAclProps:
    """Inputs of :class:`WebAcl`."""

    name: str
    """Physical name prefix, ``{app}-{env}``: the ACL is ``{name}-web``, the log group ``aws-waf-logs-{name}``."""
    alb_arn: str
    """The load balancer the ACL protects."""
    log_retention_days: int
    """Retention of the WAF log group; must be a CloudWatch retention value."""
    log_kms_key_arn: str | None = None
    """KMS key of the WAF log group; CloudWatch Logs' own encryption unless set."""

    def __post_init__(self) -> None:
        problem = retention_problem(self.log_retention_days)
        if problem:
            raise ValueError("WebAclProps.log_retention_days=%s" % problem)


def _metric(name: str) -> dict[str, Any]:
    return {"cloudwatch_metrics_enabled": True, "metric_name": name, "sampled_requests_enabled": True}


def managed_rule(priority: int, group: str, count_only: tuple[str, ...]) -> Wafv2WebAclRule:
    statement: dict[str, Any] = {"name": group, "vendor_name": "AWS"}
    if count_only:
        statement["rule_action_override"] = [{"name": rule, "action_to_use": {"count": {}}} for rule in count_only]
    return Wafv2WebAclRule(
        name=group,
        priority=priority,
        override_action=Wafv2WebAclRuleOverrideAction(none={}),
        statement={"managed_rule_group_statement": statement},
        visibility_config=Wafv2WebAclRuleVisibilityConfig(**_metric(group)),
    )


class WebAcl(Construct):
    """Regional WAF web ACL with AWS managed rules, associated with the ALB and logged (see module docstring)."""

    web_acl_arn: str
    log_group_name: str

    def __init__(self, scope: Construct, id_: str, *, props: WebAclProps) -> None:
        super().__init__(scope, id_)
        acl_name = "%s-web" % props.name
        acl = Wafv2WebAcl(
            self,
            "WebAcl",
            name=acl_name,
            description="Managed protections for the %s load balancer" % props.name,
            scope="REGIONAL",
            default_action=Wafv2WebAclDefaultAction(allow={}),
            rule=[managed_rule(i, group, count) for i, (group, count) in enumerate(MANAGED_RULE_GROUPS)],
            visibility_config=Wafv2WebAclVisibilityConfig(**_metric(acl_name)),
            tags={"Name": acl_name},
        )
        self.web_acl_arn = acl.arn
        Wafv2WebAclAssociation(self, "Association", resource_arn=props.alb_arn, web_acl_arn=self.web_acl_arn)
        self.log_group_name = "aws-waf-logs-%s" % props.name
        group_arn = CloudwatchLogGroup(
            self,
            "LogGroup",
            name=self.log_group_name,
            retention_in_days=props.log_retention_days,
            kms_key_id=props.log_kms_key_arn,
            tags={"Name": self.log_group_name},
        ).arn
        Wafv2WebAclLoggingConfiguration(
            self,
            "Logging",
            resource_arn=self.web_acl_arn,
            log_destination_configs=[group_arn],
            redacted_fields=[
                Wafv2WebAclLoggingConfigurationRedactedFields(
                    single_header=Wafv2WebAclLoggingConfigurationRedactedFieldsSingleHeader(name=header)
                )
                for header in REDACTED_HEADERS
            ],
        )
