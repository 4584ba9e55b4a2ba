"""The local AWS emulator: moto[server] on 127.0.0.1, plus the project's compatibility layer.

Example::

    python -m ops.emulator start     # idempotent; prints the endpoint
    python -m ops.emulator status    # exit 0 when it answers, 1 when not
    python -m ops.emulator stop      # stops the process named in .state/emulator.pid

``start`` launches ``python -m ops.emulator serve`` in the background, records its PID in
``.state/emulator-<port>.pid`` (log in ``.state/emulator-<port>.log``) and waits until it answers. ``serve``
runs moto in-process (moto's WSGI app on werkzeug, as ``ThreadedMotoServer`` does) so the patches below
reach moto's backends.

Every AWS request is also checked against botocore's API model (``ops/api_model.py``): moto accepts
values AWS rejects (bad enums, out-of-range numbers, missing members, over-long strings). One JSON
line per request goes to the record file; ``python -m ops.emulator api-report`` prints the coverage
(operations seen, validated, not validated and why) and each violation, and exits 1 on any.
`make test-e2e` fails on a violation.

The compatibility layer is deliberately small. Each patch names the API moto 5.2.5 lacks; it
fills in what the AWS provider reads back, so that creating the stacks does not hang and the
second plan is empty. Nothing is switched off in the ``local`` environment: it has the same shape
as prod. ``tests/ops/test_emulator_compat.py`` runs plain moto and fails once moto provides an API
itself, so the matching patch can be deleted.

Settings (environment variables):
    EMULATOR_PORT              port on 127.0.0.1 (default 5055)
    EMULATOR_LOG_REQUESTS=1    log every request in .state/emulator-<port>.log (errors are always logged)
    EMULATOR_API_LOG           file for the API-model check's records (default .state/emulator-<port>-api.jsonl)
    MOTO_ECS_SERVICE_RUNNING   running tasks moto reports per service (moto's own setting);
                               defaults to the largest desired_count of the emulator environments
    MOTO_ACM_VALIDATION_WAIT   seconds before moto issues a DNS-validated ACM certificate (moto's own
                               setting, moto's default 60); 0 unless set, so the stack's certificate
                               validates at once
"""

from __future__ import annotations

import argparse
import copy
import json
import logging
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, TextIO

from ops.context import DEFAULT_OUT, REPO_ROOT, STATE_DIR, OpsError, stack_dir

HOST = "127.0.0.1"
DEFAULT_PORT = 5055
START_TIMEOUT_SECONDS = 60.0

# Dummy credentials for the emulator; moto accepts any key pair.
DUMMY_ACCESS_KEY_ID = "testing"
DUMMY_SECRET_ACCESS_KEY = "testing"


class EmulatorError(OpsError):
    """The emulator could not be started, reached or stopped."""


def port() -> int:
    raw = os.environ.get("EMULATOR_PORT", str(DEFAULT_PORT))
    try:
        value = int(raw)
    except ValueError:
        raise EmulatorError("EMULATOR_PORT=%r is not a port number; allowed: 1024..65535" % raw) from None
    if not 1024 <= value <= 65535:
        raise EmulatorError("EMULATOR_PORT=%d is out of range; allowed: 1024..65535" % value)
    return value


def endpoint_url(port_: int | None = None) -> str:
    return "http://%s:%d" % (HOST, port_ if port_ is not None else port())


def pid_file(port_: int | None = None) -> Path:
    """``.state/emulator-<port>.pid``: "<pid> <port>" of the server ``start`` launched."""
    return STATE_DIR / ("emulator-%d.pid" % (port_ if port_ is not None else port()))


def log_file(port_: int | None = None) -> Path:
    return STATE_DIR / ("emulator-%d.log" % (port_ if port_ is not None else port()))


def api_log_file(port_: int | None = None) -> Path:
    """Where ``serve`` appends the API-model check's records: $EMULATOR_API_LOG, else .state/emulator-<port>-api.jsonl."""
    configured = os.environ.get("EMULATOR_API_LOG")
    if configured:
        return Path(configured)
    return STATE_DIR / ("emulator-%d-api.jsonl" % (port_ if port_ is not None else port()))


# --------------------------------------------------------------------------------------------
# Compatibility layer (runs inside the server process only).
# --------------------------------------------------------------------------------------------

# ECS CreateService request fields that moto 5.2.5 accepts but does not keep, so DescribeServices
# never returns them and the provider plans an update on every run. moto's UpdateService already
# stores every field it is given; only CreateService drops them.
ECS_CREATE_SERVICE_DROPPED_FIELDS: tuple[str, ...] = (
    "capacityProviderStrategy",
    "healthCheckGracePeriodSeconds",
    "availabilityZoneRebalancing",
    "deploymentConfiguration",
    "enableECSManagedTags",
    "enableExecuteCommand",
    "placementStrategy",
)

# The Application Auto Scaling tagging APIs moto 5.2.5 does not implement (HTTP 500
# NotImplementedError, which the provider retries ~25 times per call).
APPAUTOSCALING_TAGGING_ACTIONS: tuple[str, ...] = ("ListTagsForResource", "TagResource", "UntagResource")

_applied: list[str] = []


def apply_compat() -> list[str]:
    """Patch moto's response classes in this process; return the names of the patches applied.

    Safe to call twice. A patch is skipped when moto already provides the API.
    """
    if _applied:
        return list(_applied)
    _applied.extend(_patch_appautoscaling_tagging())
    _applied.extend(_patch_ecs_create_service())
    _applied.extend(_patch_ecs_update_service_deployment())
    _applied.extend(_patch_ec2_group_rule_description())
    _applied.extend(_patch_ecs_run_task_task_level_memory())
    _applied.extend(_patch_route53_create_existing_check())
    _applied.extend(_patch_servicediscovery_delete_namespace_zone())
    _applied.extend(_patch_ec2_revoke_unknown_rule_id())
    _applied.extend(_patch_elbv2_deletion_protection())
    _applied.extend(_patch_elbv2_private_link_enforcement())
    _applied.extend(_patch_sqs_attributes())
    _applied.extend(_patch_ec2_launch_template_own_tags())
    _applied.extend(_patch_codedeploy_lifecycle())
    _applied.extend(_patch_codedeploy_deployment_configs())
    _applied.extend(_patch_codedeploy_ecs_deployments())
    _applied.extend(_patch_ecs_code_deploy_task_set())
    _applied.extend(_patch_s3_eventbridge_notification())
    return list(_applied)


def _patch_appautoscaling_tagging() -> list[str]:
    """Application Auto Scaling ListTagsForResource / TagResource / UntagResource.

    moto 5.2.5 has none of the three and ignores the ``Tags`` of RegisterScalableTarget. The AWS
    provider tags ``aws_appautoscaling_target`` and reads the tags back after every create and
    refresh, so without this patch the create hangs for minutes on retried HTTP 500s.
    Tags are kept per scalable-target ARN and dropped when the target is deregistered.
    """
    from moto.applicationautoscaling import responses as aas

    cls = aas.ApplicationAutoScalingResponse
    if hasattr(cls, "list_tags_for_resource"):
        return []  # moto implements it now; tests/ops/test_emulator_compat.py says so too

    tags_by_arn: dict[tuple[str, str], dict[str, str]] = {}
    lock = threading.Lock()

    def _key(self: Any, arn: str) -> tuple[str, str]:
        return (str(self.current_account), arn)

    def _target_arns(self: Any) -> set[str]:
        backend = self.applicationautoscaling_backend
        return {t.arn for by_id in backend.targets.values() for t in by_id.values()}

    def _require_target(self: Any, arn: str) -> None:
        if arn not in _target_arns(self):
            from moto.applicationautoscaling.exceptions import AWSValidationException

            raise AWSValidationException("Resource %s not found" % arn)

    def list_tags_for_resource(self: Any) -> str:
        arn = self._get_param("ResourceARN")
        _require_target(self, arn)
        with lock:
            return json.dumps({"Tags": dict(tags_by_arn.get(_key(self, arn), {}))})

    def tag_resource(self: Any) -> str:
        arn = self._get_param("ResourceARN")
        _require_target(self, arn)
        with lock:
            tags_by_arn.setdefault(_key(self, arn), {}).update(self._get_param("Tags") or {})
        return json.dumps({})

    def untag_resource(self: Any) -> str:
        arn = self._get_param("ResourceARN")
        _require_target(self, arn)
        with lock:
            current = tags_by_arn.get(_key(self, arn), {})
            for key in self._get_param("TagKeys") or []:
                current.pop(key, None)
        return json.dumps({})

    original_register = cls.register_scalable_target
    original_deregister = cls.deregister_scalable_target

    def register_scalable_target(self: Any) -> str:
        body = original_register(self)
        tags = self._get_param("Tags")
        if tags:
            arn = json.loads(body)["ScalableTargetARN"]
            with lock:
                tags_by_arn.setdefault(_key(self, arn), {}).update(tags)
        return body

    def deregister_scalable_target(self: Any) -> str:
        before = _target_arns(self)
        body = original_deregister(self)
        gone = before - _target_arns(self)
        with lock:
            for arn in gone:
                tags_by_arn.pop(_key(self, arn), None)
        return body

    cls.list_tags_for_resource = list_tags_for_resource  # type: ignore[attr-defined]
    cls.tag_resource = tag_resource  # type: ignore[attr-defined]
    cls.untag_resource = untag_resource  # type: ignore[attr-defined]
    cls.register_scalable_target = register_scalable_target  # type: ignore[method-assign]
    cls.deregister_scalable_target = deregister_scalable_target  # type: ignore[method-assign]
    return ["application-autoscaling:" + action for action in APPAUTOSCALING_TAGGING_ACTIONS]


def _patch_ecs_create_service() -> list[str]:
    """ECS CreateService: keep the fields moto drops (``ECS_CREATE_SERVICE_DROPPED_FIELDS``).

    moto 5.2.5 ignores capacityProviderStrategy, healthCheckGracePeriodSeconds,
    availabilityZoneRebalancing and deploymentConfiguration on CreateService, so DescribeServices
    omits them and every later plan shows an in-place update of ``aws_ecs_service``. The patch
    stores each one on the service exactly as sent, the way moto's own UpdateService does.
    """
    from moto.core.utils import camelcase_to_underscores
    from moto.ecs import responses as ecs

    cls = ecs.EC2ContainerServiceResponse
    original = cls.create_service

    def create_service(self: Any) -> Any:
        result = original(self)
        service = result.result["service"]  # type: ignore[index]
        for field in ECS_CREATE_SERVICE_DROPPED_FIELDS:
            value = self._get_param(field)
            attr = camelcase_to_underscores(field)
            if value is not None and getattr(service, attr, None) is None:
                setattr(service, attr, value)
        return result

    cls.create_service = create_service  # type: ignore[method-assign]
    return ["ecs:CreateService." + field for field in ECS_CREATE_SERVICE_DROPPED_FIELDS]


def _patch_ecs_update_service_deployment() -> list[str]:
    """ECS UpdateService: start a new PRIMARY deployment when the task definition changes.

    moto 5.2.5 keeps the deployment created by CreateService forever, still naming the first
    task definition, so a deploy waiting for "the PRIMARY deployment runs the new revision" never
    finishes. The patch replaces it with a new PRIMARY deployment of the new revision whose counts
    and rolloutState follow moto's own rule at create time (MOTO_ECS_SERVICE_RUNNING).
    """
    from moto.core.utils import utcnow
    from moto.ecs import responses as ecs
    from moto.moto_api._internal import mock_random

    cls = ecs.EC2ContainerServiceResponse
    original = cls.update_service

    def update_service(self: Any) -> Any:
        result = original(self)
        service = result.result["service"]  # type: ignore[index]
        deployments = getattr(service, "deployments", None) or []
        primary = next((d for d in deployments if d.get("status") == "PRIMARY"), None)
        if primary is None or primary.get("taskDefinition") == service.task_definition:
            return result
        desired = int(service.desired_count or 0)
        running = min(int(service.running_count or 0), desired) if desired else int(service.running_count or 0)
        deployment_id = "ecs-svc/%d" % mock_random.randint(0, 32**12)
        done = running >= desired
        now = utcnow()
        new = dict(primary)
        new.update(
            id=deployment_id,
            taskDefinition=service.task_definition,
            desiredCount=desired,
            runningCount=running,
            pendingCount=max(desired - running, 0),
            rolloutState="COMPLETED" if done else "IN_PROGRESS",
            rolloutStateReason="ECS deployment %s %s." % (deployment_id, "completed" if done else "in progress"),
            createdAt=now,
            updatedAt=now,
        )
        service.deployments = [new]
        return result

    cls.update_service = update_service  # type: ignore[method-assign]
    return ["ecs:UpdateService.deployments"]


def _patch_ec2_group_rule_description() -> list[str]:
    """EC2 DescribeSecurityGroupRules: the Description of rules that reference a security group.

    moto 5.2.5 returns a rule's description only for CIDR rules; for a rule whose source or
    destination is another security group it is dropped (DescribeSecurityGroups still has it),
    so every ``aws_vpc_security_group_{ingress,egress}_rule`` with ``referenced_security_group_id``
    and a description plans an update forever.
    """
    from moto.ec2.models.security_groups import SecurityGroupRule

    def description(self: Any) -> str | None:
        value = self.ip_range.get("Description")
        if value is None and self.source_group:
            value = self.source_group.get("Description")
        return value  # type: ignore[no-any-return]

    SecurityGroupRule.description = property(description)  # type: ignore[assignment,method-assign]
    return ["ec2:DescribeSecurityGroupRules.Description"]


def _patch_route53_create_existing_check() -> list[str]:
    """Route 53 ChangeResourceRecordSets: CREATE fails only when that exact record set exists.

    moto 5.2.5 checks a CREATE against the zone's change journal: when the same change was ever
    made before (a deploy, destroy, deploy on one emulator re-creates the same alias record), it
    lists the zone's records *starting at* that name and type and calls any hit "already exists".
    Every record sorting after it counts too - the next deploy's new certificate validation
    record ``_<hash>.flask-app.local.test`` does - so the second deploy fails with
    ``InvalidChangeBatch: ... but it already exists`` for a record that was deleted. AWS refuses a
    CREATE only when a record set with the same name, type and set identifier exists; the patch
    checks exactly that and drops moto's journal entries of those CREATEs (they describe records
    that no longer exist; the CREATE journals itself again).
    """
    from moto.route53.exceptions import ResourceRecordAlreadyExists
    from moto.route53.models import Route53Backend

    original = Route53Backend.change_resource_record_sets

    def _key(record_set: dict[str, Any]) -> tuple[str, str, str | None]:
        name = str(record_set["Name"]).rstrip(".").lower()
        return (name, str(record_set["Type"]), record_set.get("SetIdentifier"))

    def change_resource_record_sets(self: Any, zoneid: str, change_list: list[dict[str, Any]]) -> None:
        zone = self.get_hosted_zone(zoneid)
        creates = [change for change in change_list if change.get("Action") == "CREATE"]
        existing = {(rrset.name.rstrip(".").lower(), rrset.type, rrset.set_identifier) for rrset in zone.rrsets}
        for change in creates:
            name, type_, _ = key = _key(change["ResourceRecordSet"])
            if key in existing:
                raise ResourceRecordAlreadyExists(name=name + ".", _type=type_)
        created = {_key(change["ResourceRecordSet"]) for change in creates}
        zone.rr_changes[:] = [
            change for change in zone.rr_changes
            if change.get("Action") != "CREATE" or _key(change["ResourceRecordSet"]) not in created
        ]  # fmt: skip
        original(self, zoneid, change_list)

    Route53Backend.change_resource_record_sets = change_resource_record_sets  # type: ignore[method-assign]
    return ["route53:ChangeResourceRecordSets.CREATE-exists-check"]


def _patch_servicediscovery_delete_namespace_zone() -> list[str]:
    """Cloud Map DeleteNamespace: delete the hosted zone the namespace created.

    moto 5.2.5 creates a Route 53 hosted zone for every DNS namespace
    (``DnsProperties.HostedZoneId``) but DeleteNamespace only forgets the namespace, so each
    deploy/destroy cycle leaves one more private zone behind. In AWS the zone belongs to the
    namespace and goes with it. The patch deletes it after moto deleted the namespace.
    """
    from moto.route53.models import route53_backends
    from moto.servicediscovery.models import ServiceDiscoveryBackend
    from moto.utilities.utils import get_partition

    original = ServiceDiscoveryBackend.delete_namespace

    def delete_namespace(self: Any, namespace_id: str) -> str:
        namespace = self.get_namespace(namespace_id)  # NamespaceNotFound as before
        zone_id = str((namespace.dns_properties or {}).get("HostedZoneId") or "")
        operation_id: str = original(self, namespace_id)
        if zone_id:
            zones = route53_backends[self.account_id][get_partition(self.region_name)].zones
            zones.pop(zone_id.replace("/hostedzone/", ""), None)
        return operation_id

    ServiceDiscoveryBackend.delete_namespace = delete_namespace  # type: ignore[method-assign]
    return ["servicediscovery:DeleteNamespace.hosted-zone"]


def _patch_ec2_revoke_unknown_rule_id() -> list[str]:
    """EC2 RevokeSecurityGroupIngress/Egress by ``SecurityGroupRuleIds``: AWS's error for an unknown id.

    AWS answers ``InvalidSecurityGroupRuleId.NotFound`` for a rule id the group does not have; the
    provider treats that as "already revoked" (creating ``aws_default_security_group`` revokes
    the default group's rules one id at a time). moto 5.2.5 answers
    ``InvalidPermission.NotFound`` instead, which the provider does not expect, so a revoke that
    is repeated - an SDK retry of a request moto had already carried out, seen on a loaded
    machine in a redeploy - failed the apply. The patch raises AWS's error before moto's.
    """
    from moto.ec2.exceptions import InvalidSecurityGroupRuleIdNotFoundError
    from moto.ec2.models.security_groups import SecurityGroupBackend

    def patch(name: str, rules_attribute: str) -> None:
        original = getattr(SecurityGroupBackend, name)

        def revoke(self: Any, *args: Any, **kwargs: Any) -> Any:
            rule_ids = kwargs.get("security_rule_ids") or []
            group = self.get_security_group_by_name_or_id(kwargs.get("group_name_or_id"), kwargs.get("vpc_id"))
            if rule_ids and group is not None:
                known = {rule.id for rule in getattr(group, rules_attribute)}
                for rule_id in rule_ids:
                    if rule_id not in known:
                        raise InvalidSecurityGroupRuleIdNotFoundError(rule_id)
            return original(self, *args, **kwargs)

        setattr(SecurityGroupBackend, name, revoke)

    patch("revoke_security_group_ingress", "ingress_rules")
    patch("revoke_security_group_egress", "egress_rules")
    return ["ec2:RevokeSecurityGroup{Ingress,Egress}.unknown-rule-id"]


def _patch_elbv2_deletion_protection() -> list[str]:
    """ELBv2 DeleteLoadBalancer: refuse a load balancer with deletion protection, as AWS does.

    moto 5.2.5 stores the ``deletion_protection.enabled`` attribute but deletes the load balancer
    anyway, so a destroy of a protected environment "works" on the emulator and fails on AWS.
    AWS answers ``OperationNotPermitted``; the patch does too, so the emulator proves that
    ``make destroy`` turns protection off first (``ops.teardown``).
    """
    from moto.elbv2.exceptions import ELBClientError
    from moto.elbv2.models import ELBv2Backend

    class OperationNotPermitted(ELBClientError):
        code = "OperationNotPermitted"

    original = ELBv2Backend.delete_load_balancer

    def delete_load_balancer(self: Any, arn: str) -> None:
        balancer = self.load_balancers.get(arn)
        if balancer is not None and str(balancer.attrs.get("deletion_protection.enabled")).lower() == "true":
            raise OperationNotPermitted(
                "Load balancer '%s' cannot be deleted because deletion protection is enabled" % arn
            )
        original(self, arn)

    ELBv2Backend.delete_load_balancer = delete_load_balancer  # type: ignore[method-assign]
    return ["elbv2:DeleteLoadBalancer.deletion-protection"]


def _patch_elbv2_private_link_enforcement() -> list[str]:
    """ELBv2 SetSecurityGroups / DescribeLoadBalancers: keep ``EnforceSecurityGroupInboundRulesOnPrivateLinkTraffic``.

    A network load balancer with security groups (``modules.network_load_balancer``) sets it
    through SetSecurityGroups. moto 5.2.5 ignores the field and never returns it, so the provider
    plans to set it again on every run (drift that is not there). The patch keeps the value on the
    load balancer, answers it from SetSecurityGroups, and DescribeLoadBalancers serializes it from
    the attribute of the same (snake_case) name, as for the fields moto knows.
    """
    from moto.elbv2.responses import ELBV2Response

    original = ELBV2Response.set_security_groups

    def set_security_groups(self: Any) -> Any:
        result = original(self)
        value = self._get_param("EnforceSecurityGroupInboundRulesOnPrivateLinkTraffic")
        balancer = self.elbv2_backend.load_balancers.get(self._get_param("LoadBalancerArn"))
        if value and balancer is not None:
            balancer.enforce_security_group_inbound_rules_on_private_link_traffic = value
        current = getattr(balancer, "enforce_security_group_inbound_rules_on_private_link_traffic", None)
        if current is not None and isinstance(result.result, dict):
            result.result["EnforceSecurityGroupInboundRulesOnPrivateLinkTraffic"] = current
        return result

    ELBV2Response.set_security_groups = set_security_groups  # type: ignore[method-assign]
    return ["elbv2:SetSecurityGroups.private-link-enforcement"]


def _patch_s3_eventbridge_notification() -> list[str]:
    """S3 GetBucketNotificationConfiguration: answer ``EventBridgeConfiguration`` when it is on.

    The ALB access-log bucket (``modules.access_log_bucket``) sends its events to EventBridge.
    moto 5.2.5 keeps ``EventBridgeConfiguration`` from PutBucketNotificationConfiguration but
    leaves it out of the answer, so the provider reads ``eventbridge = false`` and plans to turn it
    on again after every apply (drift that is not there). The patch adds the (empty) element to
    the answer whenever the bucket's configuration holds it, as S3 does.
    """
    from moto.s3.responses import S3Response

    original = S3Response.get_bucket_notification

    def get_bucket_notification(self: Any) -> Any:
        config = self.backend.get_bucket_notification_configuration(self.bucket_name)
        if config is None or getattr(config, "event_bridge", None) is None:
            return original(self)
        serialize = self.serialized

        def with_event_bridge(result: Any) -> Any:
            if isinstance(getattr(result, "result", None), dict):
                result.result["EventBridgeConfiguration"] = {}
            return serialize(result)

        self.serialized = with_event_bridge
        try:
            return original(self)
        finally:
            del self.serialized

    S3Response.get_bucket_notification = get_bucket_notification  # type: ignore[method-assign]
    return ["s3:GetBucketNotificationConfiguration.eventbridge"]


def _patch_ec2_launch_template_own_tags() -> list[str]:
    """EC2 CreateLaunchTemplate: keep the template's own tags out of its launch template data.

    The request's top-level ``TagSpecifications`` (resource type ``launch-template``) tag the
    template itself. moto 5.2.5 also appends them to the first version's
    ``LaunchTemplateData.TagSpecifications``, where AWS accepts only instance, volume,
    network-interface and similar types, so DescribeLaunchTemplateVersions shows a
    ``launch-template`` entry the configuration never had and every plan proposes a new version.
    The patch leaves the version's data as sent.
    """
    from moto.ec2.responses.launch_templates import LaunchTemplates

    original = LaunchTemplates.create_launch_template

    def create_launch_template(self: Any) -> Any:
        # A copy: moto extends the parsed request's own list in place.
        sent = copy.deepcopy(self._get_param("LaunchTemplateData", {}).get("TagSpecifications"))
        result = original(self)
        template = self.ec2_backend.get_launch_template_by_name(self._get_param("LaunchTemplateName"))
        data = template.versions[0].data
        if sent is None:
            data.pop("TagSpecifications", None)
        else:
            data["TagSpecifications"] = sent
        return result

    LaunchTemplates.create_launch_template = create_launch_template  # type: ignore[method-assign]
    return ["ec2:CreateLaunchTemplate.own-tags"]


def _patch_sqs_attributes() -> list[str]:
    """SQS queue attributes: ``RedriveAllowPolicy`` exists, and SetQueueAttributes keeps ``Policy``.

    moto 5.2.5 answers ``InvalidAttributeName`` for ``RedriveAllowPolicy`` (the provider's
    ``aws_sqs_queue_redrive_allow_policy`` then polls until it times out), and every
    SetQueueAttributes call resets ``Policy`` to the value in that request (``None`` when the call
    sets another attribute), so applying a dead-letter queue's redrive-allow policy after its
    TLS-only policy silently dropped the latter. AWS changes only the attributes named in the
    request; the patch does the same, stores ``RedriveAllowPolicy`` like the other attributes, and
    treats an attribute set to ``""`` as removed. moto also answers ``RedrivePolicy`` re-serialized
    with spaces (``{"deadLetterTargetArn": ..., "maxReceiveCount": 3}``), which the provider shows as
    a change on every plan; AWS answers it compact, as the provider sent it, and so does the patch.
    """
    from moto.sqs.models import Queue

    if "RedriveAllowPolicy" in Queue.BASE_ATTRIBUTES:
        return []  # moto knows it now; tests/ops/test_emulator_compat.py says so too

    Queue.BASE_ATTRIBUTES = [*Queue.BASE_ATTRIBUTES, "RedriveAllowPolicy"]
    Queue.redrive_allow_policy = None  # type: ignore[attr-defined]  # class default: unset
    original_set = Queue._set_attributes
    original_attributes = Queue.attributes

    def _set_attributes(self: Any, attributes: dict[str, Any], now: float | None = None) -> None:
        kept = getattr(self, "policy", None)
        original_set(self, attributes, now)
        if "Policy" not in attributes:
            self.policy = kept

    def attributes(self: Any) -> dict[str, Any]:
        # An attribute set to "" is removed, as on AWS (the provider deletes a policy that way).
        result = {k: v for k, v in original_attributes.fget(self).items() if v not in (None, "")}  # type: ignore[attr-defined]
        if self.redrive_policy:  # AWS answers the JSON as it was sent, without moto's added spaces
            result["RedrivePolicy"] = json.dumps(self.redrive_policy, separators=(",", ":"))
        return result

    Queue._set_attributes = _set_attributes  # type: ignore[method-assign]
    Queue.attributes = property(attributes)  # type: ignore[assignment,method-assign]
    return ["sqs:RedriveAllowPolicy", "sqs:SetQueueAttributes.keeps-policy"]


# --------------------------------------------------------------------------------------------
# CodeDeploy (blue/green releases of an ECS service, modules/blue_green.py).
# --------------------------------------------------------------------------------------------

# The CodeDeploy APIs moto 5.2.5 lacks that the provider calls for the BlueGreen construct's resources.
CODEDEPLOY_LIFECYCLE_ACTIONS: tuple[str, ...] = ("DeleteApplication", "DeleteDeploymentGroup", "UpdateDeploymentGroup")
CODEDEPLOY_CONFIG_ACTIONS: tuple[str, ...] = (
    "CreateDeploymentConfig",
    "GetDeploymentConfig",
    "DeleteDeploymentConfig",
    "ListDeploymentConfigs",
)

#: The predefined deployment configs (CodeDeploy User Guide, "Working with deployment configurations"):
#: EC2/on-premises ones by minimum healthy hosts, ECS ones by traffic routing (rules.releases).
_SERVER_DEFAULTS: dict[str, dict[str, Any]] = {
    "CodeDeployDefault.AllAtOnce": {"type": "FLEET_PERCENT", "value": 0},
    "CodeDeployDefault.HalfAtATime": {"type": "FLEET_PERCENT", "value": 50},
    "CodeDeployDefault.OneAtATime": {"type": "HOST_COUNT", "value": 1},
}

#: ECS deployment states that still block another deployment of the same group.
_ACTIVE_DEPLOYMENT_STATES = ("Created", "Queued", "InProgress", "Ready", "Baking")


def _codedeploy_error(code: str, message: str) -> Exception:
    from moto.codedeploy.exceptions import CodeDeployException

    return CodeDeployException(code, message)


def _patch_codedeploy_lifecycle() -> list[str]:
    """CodeDeploy DeleteApplication, DeleteDeploymentGroup, UpdateDeploymentGroup; alarms read back.

    moto 5.2.5 creates applications and deployment groups but cannot update or delete them (HTTP
    500 ``NotImplementedError``, which the provider retries for minutes before ``terraform destroy``
    fails), and GetDeploymentGroup answers ``alarmConfiguration`` as ``{}`` whatever was sent, so a
    group with rollback alarms (``BlueGreenProps.alarm_names``) would plan an update on every run.
    As on AWS: deleting an application deletes its deployment groups; deleting what is not there
    succeeds (the provider deletes idempotently); UpdateDeploymentGroup changes the fields sent,
    renames with ``newDeploymentGroupName`` and answers ``hooksNotCleanedUp``.
    """
    from moto.codedeploy import responses as cd
    from moto.core.responses import ActionResult

    cls = cd.CodeDeployResponse
    if hasattr(cls, "delete_deployment_group"):
        return []  # moto implements it now; tests/ops/test_emulator_compat.py says so too

    def delete_application(self: Any) -> Any:
        backend = self.codedeploy_backend
        name = self._get_param("applicationName")
        backend.applications.pop(name, None)
        for group_name in backend.deployment_groups.pop(name, {}):
            backend.tagger.delete_all_tags_for_resource(backend._deployment_group_arn(name, group_name))
        backend.tagger.delete_all_tags_for_resource(backend._application_arn(name))
        return ActionResult({})

    def delete_deployment_group(self: Any) -> Any:
        backend = self.codedeploy_backend
        name, group_name = self._get_param("applicationName"), self._get_param("deploymentGroupName")
        backend.get_application(name)  # ApplicationDoesNotExistException as on AWS
        if backend.deployment_groups.get(name, {}).pop(group_name, None) is not None:
            backend.tagger.delete_all_tags_for_resource(backend._deployment_group_arn(name, group_name))
        return ActionResult({"hooksNotCleanedUp": []})

    updatable = {
        "deploymentConfigName": "deployment_config_name", "ec2TagFilters": "ec2_tag_filters",
        "onPremisesInstanceTagFilters": "on_premises_instance_tag_filters", "autoScalingGroups": "auto_scaling_groups",
        "serviceRoleArn": "service_role_arn", "triggerConfigurations": "trigger_configurations",
        "alarmConfiguration": "alarm_configuration", "autoRollbackConfiguration": "auto_rollback_configuration",
        "outdatedInstancesStrategy": "outdated_instances_strategy", "deploymentStyle": "deployment_style",
        "blueGreenDeploymentConfiguration": "blue_green_deployment_configuration",
        "loadBalancerInfo": "load_balancer_info", "ec2TagSet": "ec2_tag_set", "ecsServices": "ecs_services",
        "onPremisesTagSet": "on_premises_tag_set", "terminationHookEnabled": "termination_hook_enabled",
    }  # fmt: skip

    def update_deployment_group(self: Any) -> Any:
        backend = self.codedeploy_backend
        name = self._get_param("applicationName")
        current = self._get_param("currentDeploymentGroupName")
        group = backend.get_deployment_group(name, current)  # ...DoesNotExistException as on AWS
        for param, attribute in updatable.items():
            value = self._get_param(param)
            if value is not None:
                setattr(group, attribute, value)
        new_name = self._get_param("newDeploymentGroupName")
        if new_name and new_name != current:
            groups = backend.deployment_groups[name]
            if new_name in groups:
                from moto.codedeploy.exceptions import DeploymentGroupAlreadyExistsException

                raise DeploymentGroupAlreadyExistsException("Deployment group %s already exists." % new_name)
            groups[new_name] = groups.pop(current)
            group.deployment_group_name = new_name
            old_arn, new_arn = backend._deployment_group_arn(name, current), backend._deployment_group_arn(name, new_name)
            tags = backend.tagger.list_tags_for_resource(old_arn)["Tags"]
            backend.tagger.delete_all_tags_for_resource(old_arn)
            if tags:
                backend.tagger.tag_resource(new_arn, tags)
        return ActionResult({"hooksNotCleanedUp": []})

    original_info = cd._deployment_group_info

    def deployment_group_info(group: Any) -> dict[str, Any]:
        info = original_info(group)
        info["alarmConfiguration"] = group.alarm_configuration or {}
        return info

    cls.delete_application = delete_application  # type: ignore[attr-defined]
    cls.delete_deployment_group = delete_deployment_group  # type: ignore[attr-defined]
    cls.update_deployment_group = update_deployment_group  # type: ignore[attr-defined]
    cd._deployment_group_info = deployment_group_info  # type: ignore[assignment]
    return ["codedeploy:" + action for action in CODEDEPLOY_LIFECYCLE_ACTIONS] + [
        "codedeploy:GetDeploymentGroup.alarmConfiguration"
    ]


def _deployment_configs(backend: Any) -> dict[str, dict[str, Any]]:
    """The custom deployment configs of one CodeDeploy backend (account and region), by name."""
    configs: dict[str, dict[str, Any]] = backend.__dict__.setdefault("compat_deployment_configs", {})
    return configs


def _predefined_deployment_config(name: str) -> dict[str, Any] | None:
    """DeploymentConfigInfo of a predefined config, or None."""
    from rules.releases import PREDEFINED_CONFIGS, ROUTING_TYPES

    if name in _SERVER_DEFAULTS:
        return {"deploymentConfigName": name, "computePlatform": "Server", "minimumHealthyHosts": _SERVER_DEFAULTS[name]}
    for (strategy, percent, minutes), config in PREDEFINED_CONFIGS.items():
        if config != name:
            continue
        routing: dict[str, Any] = {"type": ROUTING_TYPES[strategy]}
        if strategy == "canary":
            routing["timeBasedCanary"] = {"canaryPercentage": percent, "canaryInterval": minutes}
        elif strategy == "linear":
            routing["timeBasedLinear"] = {"linearPercentage": percent, "linearInterval": minutes}
        return {"deploymentConfigName": name, "computePlatform": "ECS", "trafficRoutingConfig": routing}
    return None


def _find_deployment_config(backend: Any, name: str) -> dict[str, Any]:
    found = _predefined_deployment_config(name) or _deployment_configs(backend).get(name)
    if found is None:
        raise _codedeploy_error(
            "DeploymentConfigDoesNotExistException",
            "The deployment configuration %s does not exist with the user or AWS account." % name,
        )
    return found


def _patch_codedeploy_deployment_configs() -> list[str]:
    """CodeDeploy Create/Get/Delete/ListDeploymentConfig(s), and the predefined configs.

    moto 5.2.5 has no deployment configs at all: the ``aws_codedeploy_deployment_config`` that
    ``BlueGreen`` creates for a traffic shift without a predefined config (``TrafficShift("linear",
    percent=20, minutes=2)``) cannot be created, read or destroyed. As on AWS: a config is created
    once per name (``DeploymentConfigAlreadyExistsException``), GetDeploymentConfig answers the
    predefined ``CodeDeployDefault.*`` configs too and ``DeploymentConfigDoesNotExistException`` for
    an unknown name, a predefined config cannot be deleted (``InvalidOperationException``), nor one
    a deployment group uses (``DeploymentConfigInUseException``).
    """
    import uuid

    from moto.codedeploy import responses as cd
    from moto.core.responses import ActionResult
    from moto.core.utils import utcnow

    cls = cd.CodeDeployResponse
    if hasattr(cls, "create_deployment_config"):
        return []  # moto implements it now; tests/ops/test_emulator_compat.py says so too

    def create_deployment_config(self: Any) -> Any:
        backend = self.codedeploy_backend
        name = self._get_param("deploymentConfigName")
        configs = _deployment_configs(backend)
        if name in configs or _predefined_deployment_config(name) is not None:
            raise _codedeploy_error(
                "DeploymentConfigAlreadyExistsException",
                "A deployment configuration with the name %s already exists with the user or AWS account." % name,
            )
        info: dict[str, Any] = {
            "deploymentConfigId": str(uuid.uuid4()),
            "deploymentConfigName": name,
            "computePlatform": self._get_param("computePlatform") or "Server",
            "createTime": utcnow(),
        }
        for field in ("minimumHealthyHosts", "trafficRoutingConfig", "zonalConfig"):
            value = self._get_param(field)
            if value is not None:
                info[field] = value
        configs[name] = info
        return ActionResult({"deploymentConfigId": info["deploymentConfigId"]})

    def get_deployment_config(self: Any) -> Any:
        info = _find_deployment_config(self.codedeploy_backend, self._get_param("deploymentConfigName"))
        return ActionResult({"deploymentConfigInfo": info})

    def delete_deployment_config(self: Any) -> Any:
        backend = self.codedeploy_backend
        name = self._get_param("deploymentConfigName")
        if _predefined_deployment_config(name) is not None:
            raise _codedeploy_error(
                "InvalidOperationException", "The predefined deployment configuration %s cannot be deleted." % name
            )
        for groups in backend.deployment_groups.values():
            if any(str(group.deployment_config_name) == name for group in groups.values()):
                raise _codedeploy_error(
                    "DeploymentConfigInUseException", "The deployment configuration %s is still in use." % name
                )
        _deployment_configs(backend).pop(name, None)
        return ActionResult({})

    def list_deployment_configs(self: Any) -> Any:
        from rules.releases import PREDEFINED_CONFIGS

        names = [*_SERVER_DEFAULTS, *PREDEFINED_CONFIGS.values(), *_deployment_configs(self.codedeploy_backend)]
        return ActionResult({"deploymentConfigsList": names})

    cls.create_deployment_config = create_deployment_config  # type: ignore[attr-defined]
    cls.get_deployment_config = get_deployment_config  # type: ignore[attr-defined]
    cls.delete_deployment_config = delete_deployment_config  # type: ignore[attr-defined]
    cls.list_deployment_configs = list_deployment_configs  # type: ignore[attr-defined]
    return ["codedeploy:" + action for action in CODEDEPLOY_CONFIG_ACTIONS]


def _parse_appspec(revision: dict[str, Any]) -> dict[str, Any]:
    """The AppSpec of an ``AppSpecContent`` (or ``String``) revision, parsed (JSON or YAML). Raises ValueError."""
    import yaml

    kind = revision.get("revisionType")
    content = (revision.get("appSpecContent") or {}).get("content") if kind == "AppSpecContent" else None
    if kind == "String":
        content = (revision.get("string") or {}).get("content")
    if not content:
        raise ValueError("revisionType %r with no AppSpec content" % kind)
    try:
        spec = yaml.safe_load(content)  # YAML 1.1 reads JSON too
    except yaml.YAMLError as exc:
        raise ValueError("the AppSpec content is neither JSON nor YAML (%s)" % str(exc).splitlines()[0]) from None
    if not isinstance(spec, dict):
        raise ValueError("the AppSpec content is not a mapping")
    return spec


def _ecs_target(spec: dict[str, Any]) -> tuple[str, str, int, dict[str, Any]]:
    """(task definition, container name, container port, properties) of the AppSpec's ECS service. Raises ValueError."""
    for resource in spec.get("Resources") or []:
        target = (resource or {}).get("TargetService") or {}
        if target.get("Type") == "AWS::ECS::Service":
            props = target.get("Properties") or {}
            info = props.get("LoadBalancerInfo") or {}
            task_definition, container, port = props.get("TaskDefinition"), info.get("ContainerName"), info.get("ContainerPort")
            if not task_definition or not container or port is None:
                raise ValueError(
                    "the AppSpec's TargetService needs Properties.TaskDefinition and LoadBalancerInfo.ContainerName"
                    " and ContainerPort; got %r" % props
                )
            return str(task_definition), str(container), int(port), props
    raise ValueError("the AppSpec has no Resources entry with a TargetService of Type AWS::ECS::Service")


def _swap_forward(listener: Any, current: str, replacement: str) -> None:
    """Point a listener's forward default action from ``current`` to ``replacement`` (the rest unchanged)."""
    from moto.elbv2.models import FakeAction

    actions = []
    for action in listener.default_actions:
        data = json.loads(json.dumps(action.data, default=str))
        if str(data.get("Type", "")).lower() == "forward":
            if data.get("TargetGroupArn") == current:
                data["TargetGroupArn"] = replacement
            for group in (data.get("ForwardConfig") or {}).get("TargetGroups") or []:
                if group.get("TargetGroupArn") == current:
                    group["TargetGroupArn"] = replacement
        actions.append(FakeAction(data))
    listener.default_actions = actions
    listener._default_rule[0].actions = actions


def _forward_target(listener: Any) -> str | None:
    for action in listener.default_actions:
        if str(action.data.get("Type", "")).lower() == "forward":
            single = action.data.get("TargetGroupArn")
            groups = (action.data.get("ForwardConfig") or {}).get("TargetGroups") or []
            return str(single or (groups[0]["TargetGroupArn"] if groups else "")) or None
    return None


def _release_ecs(backend: Any, deployment: Any) -> tuple[str, str] | None:
    """Carry out an ECS blue/green deployment at once; returns (error code, message) when it fails, else None.

    The steps AWS runs (CodeDeploy User Guide, "What happens during an Amazon ECS deployment"), here
    one after the other with no waits:

    1. Install: "CodeDeploy creates a replacement task set" from the AppSpec's TaskDefinition, its
       tasks registered with the replacement target group (the target group of the pair that the
       production listener does not forward to). A task definition that does not exist, or an
       AppSpec container (name and port) it does not have, fails the deployment here
       (``ECS_UPDATE_ERROR``), before any traffic moved.
    2. AllowTestTraffic: the test listener is pointed at the replacement target group.
    3. AllowTraffic: the production listeners are pointed at it (all at once: the canary and linear
       intervals of the deployment config are not waited for).
    4. The replacement task set becomes the service's PRIMARY one (DescribeServices then reports
       its taskDefinition and loadBalancers), and the original task set is terminated (the group's
       termination wait is not waited for either).

    Lifecycle hooks (Lambda functions) in the AppSpec are not called.
    """
    from moto.ecs.models import ecs_backends
    from moto.elbv2.models import elbv2_backends

    try:
        task_definition, container, port, props = _ecs_target(_parse_appspec(deployment.revision or {}))
    except ValueError as exc:
        return "INVALID_REVISION", "The AppSpec file cannot be used: %s." % exc
    group = deployment.deployment_group
    ecs_service: dict[str, Any] = (group.ecs_services or [{}])[0]
    cluster_name, service_name = ecs_service.get("clusterName", ""), ecs_service.get("serviceName", "")
    ecs = ecs_backends[backend.account_id][backend.region_name]
    try:
        service = ecs._get_service(cluster_name, service_name)
    except Exception:
        return "INVALID_ECS_SERVICE", "The ECS service %s in cluster %s does not exist." % (service_name, cluster_name)
    if service.deployment_controller.get("type") != "CODE_DEPLOY":
        return "INVALID_ECS_SERVICE", (
            "The ECS service %s does not use the CODE_DEPLOY deployment controller." % service_name
        )
    try:
        definition = ecs.describe_task_definition(task_definition)
    except Exception:
        return "ECS_UPDATE_ERROR", (
            "The ECS service cannot be updated: the task definition %s in the AppSpec file does not exist."
            % task_definition
        )
    containers: dict[str, dict[str, Any]] = {str(c.get("name")): c for c in definition.container_definitions}
    if container not in containers:
        return "ECS_UPDATE_ERROR", (
            "The ECS service cannot be updated: the container %s in the AppSpec file is not in the task definition"
            " %s (its containers: %s)." % (container, definition.arn, ", ".join(sorted(map(str, containers))))
        )
    ports = [int(m.get("containerPort", -1)) for m in containers[container].get("portMappings") or []]
    if port not in ports:
        return "ECS_UPDATE_ERROR", (
            "The ECS service cannot be updated: the container %s of task definition %s does not map port %d in the"
            " AppSpec file (its ports: %s)." % (container, definition.arn, port, ports)
        )

    elbv2 = elbv2_backends[backend.account_id][backend.region_name]
    pair: dict[str, Any] = (group.load_balancer_info.get("targetGroupPairInfoList") or [{}])[0]
    names = [t.get("name") for t in pair.get("targetGroups") or []]
    arns = {tg.name: tg.arn for tg in elbv2.target_groups.values()}
    prod = (pair.get("prodTrafficRoute") or {}).get("listenerArns") or []
    test = (pair.get("testTrafficRoute") or {}).get("listenerArns") or []
    try:
        listeners = {arn: elbv2.describe_listeners(None, [arn])[0] for arn in [*prod, *test]}
    except Exception:
        return "ELASTIC_LOAD_BALANCING_INVALID", "A listener of the deployment group does not exist: %s." % (prod + test)
    if len(names) != 2 or any(name not in arns for name in names) or not prod:
        return "ELASTIC_LOAD_BALANCING_INVALID", (
            "The deployment group needs a production listener and two existing target groups; it has %s and %s."
            % (prod, names)
        )
    current = _forward_target(listeners[prod[0]])
    pair_arns = [arns[name] for name in names]
    if current not in pair_arns:
        return "ELASTIC_LOAD_BALANCING_INVALID", (
            "The production listener %s forwards to %s, neither target group of the deployment group (%s)."
            % (prod[0], current, ", ".join(names))
        )
    replacement = pair_arns[1 - pair_arns.index(current)]

    # 1. Install: the replacement task set.
    strategy = getattr(service, "capacity_provider_strategy", None) or []
    task_set = ecs.create_task_set(
        service.name, service.cluster_name, definition.arn, external_id=deployment.deployment_id,
        network_configuration=(props.get("NetworkConfiguration") and _lower_keys(props["NetworkConfiguration"]))
        or service.network_configuration or None,
        load_balancers=[{"targetGroupArn": replacement, "containerName": container, "containerPort": port}],
        launch_type=service.launch_type or (None if strategy else "FARGATE"), capacity_provider_strategy=strategy,
        platform_version=props.get("PlatformVersion") or service.platform_version,
    )  # fmt: skip
    if strategy and not service.launch_type:
        task_set.launch_type = None  # placed by the capacity-provider strategy, as the service's tasks are
    # 2. AllowTestTraffic, 3. AllowTraffic.
    for arn in [*test, *prod]:
        _swap_forward(listeners[arn], current, replacement)
    # 4. The replacement task set serves; the original one is terminated.
    ecs.update_service_primary_task_set(service.cluster_name, service.name, task_set.task_set_arn)
    service.task_sets = [task_set]
    return None


def _lower_keys(value: Any) -> Any:
    """An AppSpec's NetworkConfiguration (``AwsvpcConfiguration``: ``Subnets``...) in ECS API casing."""
    if isinstance(value, dict):
        return {k[:1].lower() + k[1:]: _lower_keys(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_lower_keys(v) for v in value]
    return value


#: The lifecycle events of an ECS blue/green deployment, in order (CodeDeploy User Guide).
_ECS_LIFECYCLE_EVENTS = ("BeforeInstall", "Install", "AfterInstall", "AllowTestTraffic", "AfterAllowTestTraffic",
                         "BeforeAllowTraffic", "AllowTraffic", "AfterAllowTraffic")  # fmt: skip


def _patch_codedeploy_ecs_deployments() -> list[str]:
    """CodeDeploy ECS blue/green deployments that run: CreateDeployment, GetDeployment, StopDeployment.

    moto 5.2.5 records a deployment and leaves it ``Created`` forever: it reads no AppSpec, changes
    neither the ECS service nor a listener, answers ``errorInformation`` as ``{}``, and has no
    StopDeployment. The patch runs ECS deployments (the application's compute platform is ``ECS``)
    as CodeDeploy does, one step per read: CreateDeployment answers a ``d-XXXXXXXXX`` id in status
    ``Created``; the first GetDeployment (or BatchGetDeployments) of it moves it to ``InProgress``;
    the next carries the release out (:func:`_release_ecs`: replacement task set, test then production
    listeners to the other target group of the pair, the new task set PRIMARY) and answers
    ``Succeeded``, or ``Failed`` with ``errorInformation`` (``code``, ``message``). A poller therefore
    sees Created -> InProgress -> Succeeded in three reads, in well under a second rather than the
    deployment config's minutes.

    As on AWS, CreateDeployment refuses a second deployment while the group has an active one
    (``DeploymentLimitExceededException``) and a deployment config that does not exist
    (``DeploymentConfigDoesNotExistException``); the AppSpec itself is checked when the deployment
    runs, so a bad one fails the deployment, not the call. StopDeployment stops an active
    deployment (status ``Stopped``, ``errorInformation.code`` ``MANUAL_STOP``; nothing had moved yet,
    so the original task set keeps serving) and refuses a finished one
    (``DeploymentAlreadyCompletedException``). ListDeployments is moto's own. Deployments of the
    other compute platforms stay as moto makes them.

    ListDeploymentTargets / BatchGetDeploymentTargets (which moto 5.2.5 does not implement: HTTP 500)
    answer the deployment's one ECS target, ``<cluster>:<service>``, as AWS does once it started
    (before, ``DeploymentNotStartedException``): its status, the ECS lifecycle events so far
    (InProgress: BeforeInstall done, Install running; Succeeded: all done; Failed: Install failed with
    the deployment's error as its diagnostics) and the task sets' traffic weights (blue 100 while in
    progress, green 100 once it succeeded).
    """
    from moto.codedeploy import responses as cd
    from moto.codedeploy.models import CodeDeployBackend
    from moto.core.responses import ActionResult
    from moto.core.utils import utcnow
    from moto.moto_api._internal import mock_random

    cls = cd.CodeDeployResponse
    if hasattr(cls, "stop_deployment"):
        return []  # moto implements it now; tests/ops/test_emulator_compat.py says so too

    original_create = CodeDeployBackend.create_deployment
    original_get = CodeDeployBackend.get_deployment
    original_batch = CodeDeployBackend.batch_get_deployments
    original_info = cd._deployment_info
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"

    def create_deployment(self: Any, application_name: str, deployment_group_name: str, revision: dict[str, Any],
                          deployment_config_name: str | None = None, **kwargs: Any) -> str:  # fmt: skip
        application = self.applications.get(application_name)
        group = self.deployment_groups.get(application_name, {}).get(deployment_group_name)
        if application is None or group is None or application.compute_platform != "ECS":
            return original_create(self, application_name, deployment_group_name, revision,  # type: ignore[no-any-return]
                                   deployment_config_name=deployment_config_name, **kwargs)  # fmt: skip
        config_name = str(deployment_config_name or group.deployment_config_name)
        _find_deployment_config(self, config_name)
        for other in self.deployments.values():
            if other.deployment_group is group and other.status in _ACTIVE_DEPLOYMENT_STATES:
                raise _codedeploy_error(
                    "DeploymentLimitExceededException",
                    "The Deployment Group '%s' already has an active Deployment '%s'"
                    % (deployment_group_name, other.deployment_id),
                )
        moto_id = original_create(self, application_name, deployment_group_name, revision,
                                  deployment_config_name=config_name, **kwargs)  # fmt: skip
        deployment = self.deployments.pop(moto_id)
        deployment.deployment_id = "d-" + "".join(mock_random.choice(alphabet) for _ in range(9))
        self.deployments[deployment.deployment_id] = deployment
        old_arn, new_arn = self._arn("deployment:%s" % moto_id), self._arn("deployment:%s" % deployment.deployment_id)
        tags = self.tagger.list_tags_for_resource(old_arn)["Tags"]
        self.tagger.delete_all_tags_for_resource(old_arn)
        if tags:
            self.tagger.tag_resource(new_arn, tags)
        deployment.compat_ecs = True
        deployment.compat_error = None
        deployment.deployment_overview.update(Pending=1)
        return str(deployment.deployment_id)

    def advance(self: Any, deployment: Any) -> None:
        if not getattr(deployment, "compat_ecs", False):
            return
        overview = deployment.deployment_overview
        if deployment.status == "Created":
            deployment.status, deployment.start_time = "InProgress", utcnow()
            overview.update(Pending=0, InProgress=1)
        elif deployment.status == "InProgress":
            error = _release_ecs(self, deployment)
            deployment.complete_time = utcnow()
            overview.update(InProgress=0)
            if error is None:
                deployment.status = "Succeeded"
                overview.update(Succeeded=1)
            else:
                deployment.status = "Failed"
                deployment.compat_error = {"code": error[0], "message": error[1]}
                overview.update(Failed=1)

    def get_deployment(self: Any, deployment_id: str) -> Any:
        deployment = original_get(self, deployment_id)
        advance(self, deployment)
        return deployment

    def batch_get_deployments(self: Any, deployment_ids: list[str]) -> Any:
        deployments = original_batch(self, deployment_ids)
        for deployment in deployments:
            advance(self, deployment)
        return deployments

    def deployment_info(deployment: Any) -> dict[str, Any]:
        info = original_info(deployment)
        error = getattr(deployment, "compat_error", None)
        info["errorInformation"] = error or {}
        return info

    def stop_deployment(self: Any) -> Any:
        backend = self.codedeploy_backend
        deployment_id = self._get_param("deploymentId")
        deployment = backend.deployments.get(deployment_id)
        if deployment is None:
            original_get(backend, deployment_id)  # DeploymentDoesNotExistException as on AWS
        if deployment.status not in _ACTIVE_DEPLOYMENT_STATES:
            raise _codedeploy_error(
                "DeploymentAlreadyCompletedException", "The deployment %s has already completed." % deployment_id
            )
        deployment.status, deployment.complete_time = "Stopped", utcnow()
        deployment.compat_error = {"code": "MANUAL_STOP", "message": "The deployment was stopped by a user."}
        deployment.deployment_overview.update(Pending=0, InProgress=0, Skipped=1)
        return ActionResult({"status": "Succeeded", "statusMessage": "The deployment %s is stopped." % deployment_id})

    def ecs_target(backend: Any, deployment_id: str) -> dict[str, Any]:
        deployment = original_get(backend, deployment_id)
        if deployment.status == "Created" or not getattr(deployment, "compat_ecs", False):
            raise _codedeploy_error("DeploymentNotStartedException", "The deployment %s has not started." % deployment_id)
        group = deployment.deployment_group
        service = (group.ecs_services or [{}])[0]
        target_id = "%s:%s" % (service.get("clusterName", "?"), service.get("serviceName", "?"))
        status = deployment.status
        events: list[dict[str, Any]] = []
        for i, name in enumerate(_ECS_LIFECYCLE_EVENTS):
            if status == "Succeeded" or (status == "InProgress" and i == 0):
                events.append({"lifecycleEventName": name, "status": "Succeeded"})
            elif status == "InProgress" and i == 1:
                events.append({"lifecycleEventName": name, "status": "InProgress"})
            elif status == "Failed" and i == 1:
                error = getattr(deployment, "compat_error", None) or {}
                events.append({"lifecycleEventName": name, "status": "Failed", "diagnostics": {
                    "errorCode": "UnknownError", "message": str(error.get("message", ""))[:1000]}})  # fmt: skip
            else:
                events.append({"lifecycleEventName": name, "status": "Skipped" if status in ("Failed", "Stopped")
                               else "Pending"})  # fmt: skip
        green = 100.0 if status == "Succeeded" else 0.0
        return {"deploymentTargetType": "ECSTarget", "ecsTarget": {
            "deploymentId": deployment_id, "targetId": target_id, "lastUpdatedAt": utcnow(), "status": status,
            "lifecycleEvents": events,
            "taskSetsInfo": [{"taskSetLabel": "Blue", "trafficWeight": 100.0 - green},
                             {"taskSetLabel": "Green", "trafficWeight": green}],
        }}  # fmt: skip

    def list_deployment_targets(self: Any) -> Any:
        target = ecs_target(self.codedeploy_backend, self._get_param("deploymentId"))
        return ActionResult({"targetIds": [target["ecsTarget"]["targetId"]]})

    def batch_get_deployment_targets(self: Any) -> Any:
        target = ecs_target(self.codedeploy_backend, self._get_param("deploymentId"))
        wanted = self._get_param("targetIds") or []
        return ActionResult({"deploymentTargets": [target] if target["ecsTarget"]["targetId"] in wanted else []})

    CodeDeployBackend.create_deployment = create_deployment  # type: ignore[method-assign,assignment]
    CodeDeployBackend.get_deployment = get_deployment  # type: ignore[method-assign]
    CodeDeployBackend.batch_get_deployments = batch_get_deployments  # type: ignore[method-assign]
    cd._deployment_info = deployment_info
    cls.stop_deployment = stop_deployment  # type: ignore[attr-defined]
    cls.list_deployment_targets = list_deployment_targets  # type: ignore[attr-defined]
    cls.batch_get_deployment_targets = batch_get_deployment_targets  # type: ignore[attr-defined]
    return ["codedeploy:CreateDeployment.ecs", "codedeploy:GetDeployment.ecs", "codedeploy:StopDeployment",
            "codedeploy:ListDeploymentTargets.ecs", "codedeploy:BatchGetDeploymentTargets.ecs"]  # fmt: skip


def _patch_ecs_code_deploy_task_set() -> list[str]:
    """ECS CreateService with the ``CODE_DEPLOY`` controller: the service's first task set.

    On AWS such a service starts with one PRIMARY task set (its task definition and load
    balancers), which a CodeDeploy deployment later replaces; DescribeServices lists it under
    ``taskSets``. moto 5.2.5 creates none, so the original task set a release terminates did not
    exist. The patch creates it.
    """
    from moto.ecs import responses as ecs

    cls = ecs.EC2ContainerServiceResponse
    original = cls.create_service

    def create_service(self: Any) -> Any:
        result = original(self)
        service = result.result["service"]  # type: ignore[index]
        if service.deployment_controller.get("type") == "CODE_DEPLOY" and not service.task_sets and service.task_definition:
            strategy = getattr(service, "capacity_provider_strategy", None) or []
            task_set = self.ecs_backend.create_task_set(
                service.name, service.cluster_name, service.task_definition,
                network_configuration=service.network_configuration or None, load_balancers=service.load_balancers,
                launch_type=service.launch_type or (None if strategy else "FARGATE"),
                capacity_provider_strategy=strategy, platform_version=service.platform_version,
            )  # fmt: skip
            if strategy and not service.launch_type:
                task_set.launch_type = None
            task_set.status = "PRIMARY"
        return result

    cls.create_service = create_service  # type: ignore[method-assign]
    return ["ecs:CreateService.code-deploy-task-set"]


# --------------------------------------------------------------------------------------------
# Server process.
# --------------------------------------------------------------------------------------------


def _patch_ecs_run_task_task_level_memory() -> list[str]:
    """ECS RunTask: accept a Fargate task definition whose memory is set on the task only.

    moto 5.2.5 adds up ``memory`` / ``memoryReservation`` of each container to place a task and
    fails with HTTP 500 (``TypeError``) when a container has neither. For Fargate both are
    optional on the container (the task-level ``memory`` is what counts), and the service's task
    definition sets memory on the task only, so `make run-task` on the emulator failed. The patch
    counts the task-level memory, shared out over containers that set none.
    """
    from moto.ecs import models as ecs

    cls = ecs.EC2ContainerServiceBackend
    original = cls._calculate_task_resource_requirements

    def calculate(task_definition: Any) -> Any:
        containers = task_definition.container_definitions
        unset = [
            c for c in containers if not any(k in c for k in ("memory", "memoryReservation", "Memory", "MemoryReservation"))
        ]
        if not unset or not task_definition.memory:
            return original(task_definition)
        share = int(task_definition.memory) // len(unset)
        task_definition.container_definitions = [
            {**c, "memory": share} if any(c is u for u in unset) else c for c in containers
        ]
        try:
            return original(task_definition)
        finally:
            task_definition.container_definitions = containers

    cls._calculate_task_resource_requirements = staticmethod(calculate)  # type: ignore[method-assign,assignment]
    return ["ecs:RunTask.task-level-memory"]


class OneRequestAtATime:
    """WSGI middleware: the wrapped app serves one request at a time, its response read in full under the lock.

    moto keeps its backends in plain dicts and lists that its handlers change without locks, while
    Terraform sends up to ten requests at once to the threaded server. On a loaded machine the e2e
    lane twice saw a resource refused as existing although the request log holds a single create
    for it (an ECR repository; an ``AuthorizeSecurityGroupEgress`` answered
    ``InvalidPermission.Duplicate``). Serializing costs little here: every handler answers from
    memory, and no client of this emulator long-polls (``make run``'s SQS emulator is another
    server).
    """

    def __init__(self, app: Callable[..., Iterable[bytes]]) -> None:
        self.app = app
        self.lock = threading.Lock()

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        with self.lock:
            result = self.app(environ, start_response)
            try:
                return [b"".join(result)]
            finally:
                close = getattr(result, "close", None)
                if close is not None:
                    close()


def serve(port_: int) -> int:
    """Run the patched moto server in the foreground until SIGTERM/SIGINT."""
    os.environ["MOTO_IAM_LOAD_MANAGED_POLICIES"] = "true"
    os.environ.setdefault("MOTO_ACM_VALIDATION_WAIT", "0")
    if os.environ.get("EMULATOR_LOG_REQUESTS", "").lower() not in ("1", "true", "yes"):
        # One line per request fills the log; errors (with tracebacks) are still written.
        logging.getLogger("werkzeug").setLevel(logging.WARNING)
    # moto's ThreadedMotoServer, with the API-model check (ops.api_model) around its WSGI app.
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication, MotoRequestHandler, create_backend_app
    from werkzeug.serving import make_server

    from ops.api_model import ApiModelMiddleware

    patches = apply_compat()
    records = api_log_file(port_)
    app = OneRequestAtATime(ApiModelMiddleware(DomainDispatcherApplication(create_backend_app), records))
    server = make_server(HOST, port_, app, threaded=True, request_handler=MotoRequestHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    print(
        "emulator: moto serving %s (pid %d); MOTO_ECS_SERVICE_RUNNING=%s; compat patches: %s; API-model records: %s"
        % (endpoint_url(port_), os.getpid(), os.environ.get("MOTO_ECS_SERVICE_RUNNING", "0"), ", ".join(patches), records),
        flush=True,
    )
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    stop.wait()
    server.shutdown()
    thread.join()
    print("emulator: stopped", flush=True)
    return 0


# --------------------------------------------------------------------------------------------
# Control: start / stop / status.
# --------------------------------------------------------------------------------------------


def is_up(url: str | None = None, timeout: float = 1.0) -> bool:
    """True when something answers moto's dashboard path at ``url``."""
    target = (url or endpoint_url()) + "/moto-api/"
    try:
        with urllib.request.urlopen(target, timeout=timeout) as response:
            return bool(response.status == 200)
    except (urllib.error.URLError, OSError):
        return False


def has_compat(url: str | None = None, timeout: float = 5.0) -> bool:
    """True when the emulator at ``url`` answers Application Auto Scaling ListTagsForResource.

    An emulator started without this module's patches answers HTTP 500 instead.
    """
    request = urllib.request.Request(
        (url or endpoint_url()) + "/",
        data=json.dumps({"ResourceARN": "arn:aws:application-autoscaling:us-east-1:123456789012:scalable-target/probe"}).encode(),
        headers={
            "Content-Type": "application/x-amz-json-1.1",
            "X-Amz-Target": "AnyScaleFrontendService.ListTagsForResource",
            "Authorization": "AWS4-HMAC-SHA256 Credential=%s/20250101/us-east-1/application-autoscaling/aws4_request, "
            "SignedHeaders=host, Signature=0" % DUMMY_ACCESS_KEY_ID,
        },
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout):
            return True
    except urllib.error.HTTPError as exc:
        return exc.code != 500
    except (urllib.error.URLError, OSError):
        return False


def _read_pid() -> int | None:
    try:
        return int(pid_file().read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return None


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _default_running_count() -> str:
    """Largest desired_count among the emulator environments (moto reports it as runningCount)."""
    try:
        from envconfig import load_environments

        counts = [env.scaling.desired_count for env in load_environments().values() if env.emulator]
    except Exception as exc:
        print("emulator: could not read envconfig (%s); MOTO_ECS_SERVICE_RUNNING=1" % exc, file=sys.stderr)
        return "1"
    return str(max(counts, default=1))


def start(timeout: float = START_TIMEOUT_SECONDS) -> bool:
    """Start the emulator unless it already answers. Returns True when this call started it."""
    url = endpoint_url()
    if is_up(url):
        if not has_compat(url):
            raise EmulatorError(
                "%s answers but without this project's compatibility layer (Application Auto Scaling"
                " ListTagsForResource returns HTTP 500); stop that server or set EMULATOR_PORT to a free port" % url
            )
        return False
    STATE_DIR.mkdir(parents=True, exist_ok=True)
    pid_path, log_path = pid_file(), log_file()
    env = dict(os.environ)
    env["MOTO_IAM_LOAD_MANAGED_POLICIES"] = "true"
    env.setdefault("MOTO_ECS_SERVICE_RUNNING", _default_running_count())
    env.setdefault("MOTO_ACM_VALIDATION_WAIT", "0")
    env.setdefault("EMULATOR_API_LOG", str(api_log_file()))  # next to the PID file and the log
    env["PYTHONUNBUFFERED"] = "1"
    with log_path.open("ab") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "ops.emulator", "serve", "--port", str(port())],
            cwd=REPO_ROOT,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    pid_path.write_text("%d %d\n" % (process.pid, port()))
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pid_path.unlink(missing_ok=True)
            raise EmulatorError(
                "the emulator exited with code %d during start-up; see %s" % (process.returncode, log_path)
            )
        if is_up(url, timeout=0.5):
            return True
        time.sleep(0.2)
    _terminate(process.pid)
    pid_path.unlink(missing_ok=True)
    raise EmulatorError("the emulator did not answer on %s within %.0f s; see %s" % (url, timeout, log_path))


def _terminate(pid: int, timeout: float = 10.0) -> None:
    try:
        os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            finished, _ = os.waitpid(pid, os.WNOHANG)
            if finished:
                return
        except ChildProcessError:
            if not _alive(pid):
                return
        time.sleep(0.1)
    if _alive(pid):
        os.kill(pid, signal.SIGKILL)


def stop() -> bool:
    """Stop the emulator recorded in the PID file. Returns True when a process was stopped."""
    pid = _read_pid()
    if pid is None:
        return False
    stopped = _alive(pid)
    if stopped:
        _terminate(pid)
    pid_file().unlink(missing_ok=True)
    return stopped


def status() -> dict[str, Any]:
    pid = _read_pid()
    url = endpoint_url()
    return {
        "endpoint": url,
        "answers": is_up(url),
        "pid": pid,
        "pid_alive": pid is not None and _alive(pid),
        "pid_file": str(pid_file()),
        "log_file": str(log_file()),
    }


def reset(url: str | None = None) -> None:
    """Drop every resource the emulator holds (moto's /moto-api/reset)."""
    request = urllib.request.Request((url or endpoint_url()) + "/moto-api/reset", data=b"", method="POST")
    with urllib.request.urlopen(request, timeout=10):
        pass


def archive_state(stacks: Iterable[str], out: Path = DEFAULT_OUT, log: TextIO = sys.stdout) -> list[Path]:
    """Move the state files of ``stacks`` to ``stale/`` beside them (they describe a dead emulator)."""
    from ops.tf import state_file

    moved: list[Path] = []
    stamp = time.strftime("%Y%m%d-%H%M%S")
    for stack in stacks:
        directory = stack_dir(stack, out)
        # Not synthesized yet: the stacks' convention, .state/<stack>.tfstate.
        synthesized = (directory / "cdk.tf.json").is_file()
        path = state_file(directory) if synthesized else STATE_DIR / ("%s.tfstate" % stack)
        if path is None or not path.is_file():
            continue
        stale = path.parent / "stale"  # .state/stale/ for the stacks' usual backend path
        stale.mkdir(parents=True, exist_ok=True)
        target = stale / ("%s.%s" % (path.name, stamp))
        path.rename(target)
        backup = path.with_name(path.name + ".backup")
        if backup.is_file():
            backup.rename(stale / ("%s.%s" % (backup.name, stamp)))
        print("   state of %s described the previous emulator run; moved to %s" % (stack, target), file=log)
        moved.append(target)
    return moved


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m ops.emulator", description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("start", help="start the emulator unless it is already running")
    sub.add_parser("stop", help="stop the emulator started by `start`")
    sub.add_parser("status", help="print whether the emulator answers; exit 1 when not")
    sub.add_parser("reset", help="drop every resource the running emulator holds")
    serve_p = sub.add_parser("serve", help="run the emulator in the foreground")
    serve_p.add_argument("--port", type=int, default=None)
    sub.add_parser(
        "api-report", help="API-model coverage and violations of the requests so far (exit 1 on a violation)"
    )
    args = parser.parse_args(argv)
    try:
        if args.command == "api-report":
            from ops import api_model

            return api_model.main(["report", str(api_log_file())])
        if args.command == "serve":
            return serve(args.port if args.port is not None else port())
        if args.command == "start":
            started = start()
            print("emulator: %s at %s (pid file %s)" % ("started" if started else "already running", endpoint_url(), pid_file()))
            return 0
        if args.command == "stop":
            print("emulator: stopped" if stop() else "emulator: no running emulator recorded in %s" % pid_file())
            return 0
        if args.command == "reset":
            reset()
            print("emulator: reset %s" % endpoint_url())
            return 0
        info = status()
        print(json.dumps(info, indent=2))
        return 0 if info["answers"] else 1
    except EmulatorError as exc:
        print("emulator: error: %s" % exc, file=sys.stderr)
        return 1


if __name__ == "__main__":
    raise SystemExit(main())
