"""Audit every IAM policy in the synthesized stacks with parliament.

    .tools-venv/bin/python security/iam_audit.py cdktf.out [--json]

Exit 0 when there is no finding, 1 when there is one (each printed), 2 when a policy cannot
be evaluated. Runs in the scanner venv (``make security`` creates it); it imports nothing
from the project.

What is audited, per stack (``<out>/stacks/<stack>/cdk.tf.json``):

* every ``aws_iam_policy_document`` data source, rendered the way the provider renders it
  (``statement`` blocks -> ``Statement`` entries);
* every policy-valued attribute of a resource that is not a reference to such a document
  (an inline JSON ``policy`` / ``assume_role_policy`` string), parsed as JSON.

Terraform references inside a policy (``${aws_cloudwatch_log_group.X.arn}``, the account id,
a cross-stack output) have no value at synth time. They are replaced by placeholder values of
the right service and shape (:data:`ARN_SHAPES`), so parliament can still check that each
action's resource type matches the ARN given. A reference this script does not know is an
error, never silently skipped: add its shape to :data:`ARN_SHAPES`.

How a document is used decides how it is read:

* ``trust`` (``assume_role_policy``): a trust policy has no ``Resource``; what it governs is
  ``sts:AssumeRole`` on the role it is attached to, so it is audited with that role's ARN;
* ``key`` (``aws_kms_key.policy``): in a key policy ``"*"`` means *this key*; it is audited with
  the key's ARN in its place;
* ``identity`` / ``resource``: audited as written.

Parliament runs with its default auditors; those findings fail the audit. Its optional
community auditors run too, and their findings are listed for information only
(``community_findings``): they flag ``sts:AssumeRole`` in every trust policy and
``ecr:GetAuthorizationToken`` in every ECS execution role, which those policies exist to grant.

On top of parliament's findings:

* ``WILDCARD_ACTION``: an action containing ``*`` (no ``"*"``, no ``service:*``) in an Allow
  statement; a Deny may name ``service:*`` (the queues' deny-without-TLS statement does, as AWS
  recommends): a wildcard there only takes more away;
* ``WILDCARD_RESOURCE``: ``"Resource": "*"`` with an action not in :data:`WILDCARD_RESOURCE_ACTIONS`
  (actions AWS offers no resource-level permission for; documented in docs/security.md).
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ACCOUNT = "123456789012"
PARTITION = "aws"
KEY_ID = "0123abcd-45ef-67ab-89cd-0123456789ab"

#: Actions that may have ``"Resource": "*"`` because IAM offers no narrower resource for them.
WILDCARD_RESOURCE_ACTIONS: dict[str, str] = {
    "ecr:GetAuthorizationToken": "returns a registry-wide login token; the action has no resource type",
    "ssmmessages:CreateControlChannel": "ECS Exec agent channel; ssmmessages has no resource types",
    "ssmmessages:CreateDataChannel": "ECS Exec agent channel; ssmmessages has no resource types",
    "ssmmessages:OpenControlChannel": "ECS Exec agent channel; ssmmessages has no resource types",
    "ssmmessages:OpenDataChannel": "ECS Exec agent channel; ssmmessages has no resource types",
    "xray:PutTraceSegments": "the OpenTelemetry collector sidecar sends traces; X-Ray has no resource type for it",
    "xray:PutTelemetryRecords": "the collector's own telemetry; X-Ray has no resource type for it",
    "xray:GetSamplingRules": "the collector reads the account's sampling rules; no resource-level permission",
    "xray:GetSamplingTargets": "the collector reports sampling statistics; no resource-level permission",
    "xray:GetSamplingStatisticSummaries": "sampling statistics of the account; no resource-level permission",
}

#: ``<resource type>.<attribute>`` -> placeholder value ({region}, {account}, {name} filled in).
ARN_SHAPES: dict[str, str] = {
    "aws_cloudwatch_log_group.arn": "arn:aws:logs:{region}:{account}:log-group:/placeholder/{name}",
    "aws_cloudwatch_log_group.name": "/placeholder/{name}",
    "aws_ecr_repository.arn": "arn:aws:ecr:{region}:{account}:repository/placeholder-{name}",
    "aws_ecr_repository.name": "placeholder-{name}",
    "aws_kms_key.arn": "arn:aws:kms:{region}:{account}:key/" + KEY_ID,
    "aws_kms_key.key_id": KEY_ID,
    "aws_kms_alias.arn": "arn:aws:kms:{region}:{account}:alias/placeholder-{name}",
    "aws_sns_topic.arn": "arn:aws:sns:{region}:{account}:placeholder-{name}",
    "aws_iam_role.arn": "arn:aws:iam::{account}:role/placeholder-{name}",
    "aws_iam_role.name": "placeholder-{name}",
    "aws_ecs_cluster.arn": "arn:aws:ecs:{region}:{account}:cluster/placeholder-{name}",
    "aws_ecs_service.id": "arn:aws:ecs:{region}:{account}:service/placeholder/placeholder-{name}",
    "aws_ecs_task_definition.arn": "arn:aws:ecs:{region}:{account}:task-definition/placeholder-{name}:1",
    "aws_ecs_task_definition.arn_without_revision": "arn:aws:ecs:{region}:{account}:task-definition/placeholder-{name}",
    "aws_lb.arn": "arn:aws:elasticloadbalancing:{region}:{account}:loadbalancer/app/placeholder-{name}/0123456789abcdef",
    "aws_lb_target_group.arn": "arn:aws:elasticloadbalancing:{region}:{account}:targetgroup/placeholder-{name}/0123456789abcdef",
    "aws_wafv2_web_acl.arn": "arn:aws:wafv2:{region}:{account}:regional/webacl/placeholder-{name}/" + KEY_ID,
    "aws_service_discovery_service.arn": "arn:aws:servicediscovery:{region}:{account}:service/srv-placeholder",
    "aws_cloudwatch_metric_alarm.arn": "arn:aws:cloudwatch:{region}:{account}:alarm:placeholder-{name}",
    "aws_cloudwatch_event_rule.arn": "arn:aws:events:{region}:{account}:rule/placeholder-{name}",
    "aws_sqs_queue.arn": "arn:aws:sqs:{region}:{account}:placeholder-{name}",
    "aws_sqs_queue.url": "https://sqs.{region}.amazonaws.com/{account}/placeholder-{name}",
    "aws_sqs_queue.name": "placeholder-{name}",
    "aws_scheduler_schedule.arn": "arn:aws:scheduler:{region}:{account}:schedule/default/placeholder-{name}",
    "aws_s3_bucket.arn": "arn:aws:s3:::placeholder-{name}",
    "aws_s3_bucket.bucket": "placeholder-{name}",
    "aws_ssm_parameter.arn": "arn:aws:ssm:{region}:{account}:parameter/placeholder-{name}",
    "aws_secretsmanager_secret.arn": "arn:aws:secretsmanager:{region}:{account}:secret:placeholder-{name}-AbCdEf",
    "data.aws_caller_identity.account_id": "{account}",
    "data.aws_region.name": "{region}",
    "data.aws_region.region": "{region}",
    "data.aws_partition.partition": PARTITION,
}

#: (resource type, attribute) -> how the policy there is used.
POLICY_ATTRIBUTES: dict[tuple[str, str], str] = {
    ("aws_iam_role", "assume_role_policy"): "trust",
    ("aws_iam_role_policy", "policy"): "identity",
    ("aws_iam_policy", "policy"): "identity",
    ("aws_kms_key", "policy"): "key",
    ("aws_ecr_repository_policy", "policy"): "resource",
    ("aws_ecr_registry_policy", "policy"): "resource",
    ("aws_sns_topic_policy", "policy"): "resource",
    ("aws_sqs_queue_policy", "policy"): "resource",
    ("aws_sns_topic", "policy"): "resource",
    ("aws_s3_bucket_policy", "policy"): "resource",
    ("aws_cloudwatch_log_resource_policy", "policy_document"): "resource",
    ("aws_secretsmanager_secret_policy", "policy"): "resource",
}

_TOKEN = re.compile(r"\$\{([^{}]*)\}")
_DOC_REF = re.compile(r"^\$\{data\.aws_iam_policy_document\.([A-Za-z0-9_-]+)\.json\}$")


class AuditError(Exception):
    """A policy that cannot be evaluated (an unknown reference or an unsupported construct)."""


@dataclass
class PolicyDoc:
    stack: str
    address: str
    """``data.aws_iam_policy_document.<name>`` or ``<type>.<name>.<attribute>``."""
    kind: str = "identity"
    used_by: list[str] = field(default_factory=list)
    subject_arn: str | None = None
    """The role (trust) or key (key policy) the document is attached to, as a placeholder ARN."""
    body: dict[str, Any] | None = None
    """The data-source body (for documents) ..."""
    raw: str | None = None
    """... or the inline JSON string (for inline policies)."""
    rendered: dict[str, Any] = field(default_factory=dict)


@dataclass
class Finding:
    stack: str
    policy: str
    issue: str
    severity: str
    detail: str

    def line(self) -> str:
        return "%s %s: %s [%s] %s" % (self.stack, self.policy, self.issue, self.severity, self.detail)


class Resolver:
    """Replaces Terraform references in one stack with placeholder values of the right shape."""

    def __init__(self, stacks: dict[str, dict[str, Any]], stack: str) -> None:
        self.stacks = stacks
        self.stack = stack
        doc = stacks[stack]
        (provider,) = doc.get("provider", {}).get("aws", [{}])[:1] or [{}]
        self.region = provider.get("region", "us-east-1")

    def value(self, expression: str, depth: int = 0) -> str:
        parts = expression.strip().split(".")
        if parts[0] == "data" and len(parts) >= 2 and parts[1] == "terraform_remote_state":
            return self._remote(parts, depth)
        if parts[0] == "data":
            if len(parts) != 4:
                raise AuditError("unsupported reference ${%s} in stack %s" % (expression, self.stack))
            key = "data.%s.%s" % (parts[1], parts[3])
            name = parts[2]
        else:
            if len(parts) != 3:
                raise AuditError("unsupported reference ${%s} in stack %s" % (expression, self.stack))
            key = "%s.%s" % (parts[0], parts[2])
            name = parts[1]
        shape = ARN_SHAPES.get(key)
        if shape is None:
            raise AuditError(
                "no placeholder shape for ${%s} (stack %s); add %r to ARN_SHAPES in security/iam_audit.py"
                % (expression, self.stack, key)
            )
        return shape.format(region=self.region, account=ACCOUNT, name=name.lower().replace("_", "-")[:40])

    def _remote(self, parts: list[str], depth: int) -> str:
        # data.terraform_remote_state.<name>.outputs.<output>: the value of that output in the stack
        # whose state the data source reads (its local path or S3 key names the stack).
        if len(parts) != 5 or parts[3] != "outputs" or depth > 3:
            raise AuditError("unsupported remote-state reference %s in stack %s" % (".".join(parts), self.stack))
        remote = self.stacks[self.stack]["data"]["terraform_remote_state"][parts[2]]
        config = remote.get("config", {})
        source = str(config.get("path") or config.get("key") or "")
        other = Path(source).name.removesuffix(".tfstate")
        if other not in self.stacks:
            raise AuditError("remote state %s (%s) names no synthesized stack" % (parts[2], source))
        output = self.stacks[other].get("output", {}).get(parts[4])
        if output is None:
            raise AuditError("stack %s has no output %s" % (other, parts[4]))
        return Resolver(self.stacks, other).text(str(output["value"]), depth + 1)

    def text(self, value: str, depth: int = 0) -> str:
        return _TOKEN.sub(lambda m: self.value(m.group(1), depth), value)

    def deep(self, value: Any) -> Any:
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, list):
            return [self.deep(v) for v in value]
        if isinstance(value, dict):
            return {k: self.deep(v) for k, v in value.items()}
        return value


def _one_or_many(values: list[str]) -> str | list[str]:
    return values[0] if len(values) == 1 else values


def render_document(body: dict[str, Any], resolver: Resolver) -> dict[str, Any]:
    """The JSON policy the provider renders from an ``aws_iam_policy_document`` data source."""
    unsupported = {"source_policy_documents", "override_policy_documents", "source_json", "override_json"} & set(body)
    if unsupported:
        raise AuditError("aws_iam_policy_document uses %s, which this audit does not render" % sorted(unsupported))
    statements = []
    for st in body.get("statement", []):
        out: dict[str, Any] = {}
        if st.get("sid"):
            out["Sid"] = st["sid"]
        out["Effect"] = st.get("effect", "Allow")
        for key, name in (("actions", "Action"), ("not_actions", "NotAction"),
                          ("resources", "Resource"), ("not_resources", "NotResource")):  # fmt: skip
            if st.get(key):
                out[name] = _one_or_many(sorted(resolver.deep(st[key])))
        for key, name in (("principals", "Principal"), ("not_principals", "NotPrincipal")):
            if st.get(key):
                principal: dict[str, Any] = {}
                for block in st[key]:
                    if block["type"] == "*" and block["identifiers"] == ["*"]:
                        principal = {"*": "*"}
                        break
                    principal.setdefault(block["type"], []).extend(resolver.deep(block["identifiers"]))
                out[name] = "*" if "*" in principal else {k: _one_or_many(sorted(v)) for k, v in principal.items()}
        if st.get("condition"):
            condition: dict[str, dict[str, Any]] = {}
            for block in st["condition"]:
                condition.setdefault(block["test"], {})[block["variable"]] = _one_or_many(
                    resolver.deep(block["values"])
                )
            out["Condition"] = condition
        statements.append(out)
    document: dict[str, Any] = {"Version": body.get("version", "2012-10-17"), "Statement": statements}
    if body.get("policy_id"):
        document["Id"] = body["policy_id"]
    return document


def load_stacks(out: Path) -> dict[str, dict[str, Any]]:
    stacks_dir = out / "stacks"
    if not stacks_dir.is_dir():
        raise AuditError("%s has no stacks/ directory; synthesize first (make synth)" % out)
    return {p.name: json.loads((p / "cdk.tf.json").read_text()) for p in sorted(stacks_dir.iterdir())
            if (p / "cdk.tf.json").is_file()}  # fmt: skip


def collect(stacks: dict[str, dict[str, Any]]) -> list[PolicyDoc]:
    """Every policy document and inline policy of every stack, with how it is used."""
    policies: list[PolicyDoc] = []
    for stack, doc in stacks.items():
        resolver = Resolver(stacks, stack)
        documents = {
            name: PolicyDoc(stack, "data.aws_iam_policy_document.%s" % name, body=body)
            for name, body in doc.get("data", {}).get("aws_iam_policy_document", {}).items()
        }
        for rtype, items in doc.get("resource", {}).items():
            for rname, body in items.items():
                for (ptype, attribute), kind in POLICY_ATTRIBUTES.items():
                    if ptype != rtype or attribute not in body:
                        continue
                    value = body[attribute]
                    subject = None
                    if kind == "trust":
                        subject = "arn:aws:iam::%s:role/%s" % (ACCOUNT, body.get("name", "placeholder-role"))
                    elif kind == "key":
                        subject = resolver.value("aws_kms_key.%s.arn" % rname)
                    ref = _DOC_REF.match(value) if isinstance(value, str) else None
                    if ref:
                        target = documents.get(ref.group(1))
                        if target is None:
                            raise AuditError("%s.%s references a missing policy document %s" % (rtype, rname, value))
                        if target.used_by and target.kind != kind:
                            raise AuditError(
                                "%s is used both as %s and %s policy" % (target.address, target.kind, kind)
                            )
                        target.kind = kind
                        target.used_by.append("%s.%s.%s" % (rtype, rname, attribute))
                        # One document may back several roles; any one of them stands for all.
                        target.subject_arn = target.subject_arn or subject
                    elif isinstance(value, str) and value.lstrip().startswith("{"):
                        policies.append(PolicyDoc(stack, "%s.%s.%s" % (rtype, rname, attribute), kind=kind,
                                                  used_by=["%s.%s" % (rtype, rname)], subject_arn=subject, raw=value))  # fmt: skip
                    else:
                        raise AuditError("%s.%s.%s is %r: not a policy document reference or JSON; cannot audit"
                                         % (rtype, rname, attribute, value))  # fmt: skip
        policies.extend(documents.values())
        for policy in policies:
            if policy.stack != stack:
                continue
            if policy.body is not None:
                policy.rendered = render_document(policy.body, resolver)
            else:
                assert policy.raw is not None
                try:
                    policy.rendered = json.loads(resolver.text(policy.raw))
                except json.JSONDecodeError as exc:
                    raise AuditError("%s %s is not JSON: %s" % (stack, policy.address, exc)) from None
    return policies


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def for_parliament(policy: PolicyDoc) -> dict[str, Any]:
    """The document as parliament should read it (see the module docstring: trust and key policies)."""
    document: dict[str, Any] = json.loads(json.dumps(policy.rendered))
    for st in _as_list(document.get("Statement", [])):
        if policy.kind == "trust" and "Resource" not in st and "NotResource" not in st:
            st["Resource"] = policy.subject_arn
        if policy.kind == "key" and st.get("Resource") == "*":
            st["Resource"] = policy.subject_arn
    return document


def own_checks(policy: PolicyDoc) -> list[Finding]:
    findings: list[Finding] = []
    for st in _as_list(policy.rendered.get("Statement", [])):
        actions = [str(a) for a in _as_list(st.get("Action", []))]
        sid = st.get("Sid", "(no sid)")
        wild = [a for a in actions if "*" in a] if st.get("Effect", "Allow") == "Allow" else []
        if wild or "NotAction" in st:
            findings.append(Finding(policy.stack, policy.address, "WILDCARD_ACTION", "HIGH",
                                    "statement %s: %s" % (sid, wild or "NotAction")))  # fmt: skip
        if policy.kind == "key" or st.get("Effect") != "Allow":
            continue
        if "*" in _as_list(st.get("Resource", [])) or "NotResource" in st:
            extra = sorted(a for a in actions if a not in WILDCARD_RESOURCE_ACTIONS)
            if extra:
                findings.append(Finding(policy.stack, policy.address, "WILDCARD_RESOURCE", "HIGH",
                                        "statement %s grants %s on Resource '*'" % (sid, extra)))  # fmt: skip
    return findings


def audit(out: Path) -> dict[str, Any]:
    """Run parliament and the project's own checks; returns a JSON-able report."""
    from parliament import analyze_policy_string

    stacks = load_stacks(out)
    policies = collect(stacks)
    findings: list[Finding] = []
    community: list[Finding] = []
    wildcard: list[dict[str, Any]] = []
    statements = 0
    for policy in policies:
        text = json.dumps(for_parliament(policy))
        result = analyze_policy_string(text)
        for f in result.findings:
            findings.append(
                Finding(policy.stack, policy.address, f.issue, str(f.severity), json.dumps(f.detail, default=str))
            )
        default_issues = {(f.issue, json.dumps(f.detail, default=str)) for f in result.findings}
        for f in analyze_policy_string(text, include_community_auditors=True).findings:
            if (f.issue, json.dumps(f.detail, default=str)) not in default_issues:
                community.append(Finding(policy.stack, policy.address, f.issue, str(f.severity),
                                         json.dumps(f.location.get("actions", f.detail), default=str)))  # fmt: skip
        findings.extend(own_checks(policy))
        for st in _as_list(policy.rendered.get("Statement", [])):
            statements += 1
            if policy.kind != "key" and "*" in _as_list(st.get("Resource", [])):
                wildcard.append({"stack": policy.stack, "policy": policy.address, "sid": st.get("Sid"),
                                 "actions": sorted(_as_list(st.get("Action", [])))})  # fmt: skip
    return {
        "stacks": sorted(stacks),
        "policies": [
            {"stack": p.stack, "address": p.address, "kind": p.kind, "used_by": p.used_by, "document": p.rendered}
            for p in policies
        ],
        "statements": statements,
        "wildcard_resource_statements": wildcard,
        "findings": [f.__dict__ for f in findings],
        "community_findings": [f.__dict__ for f in community],
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Audit the synthesized IAM policies with parliament.")
    parser.add_argument("out", type=Path, help="synthesized output (cdktf.out)")
    parser.add_argument("--json", action="store_true", help="print the full report as JSON")
    args = parser.parse_args(argv)
    try:
        report = audit(args.out)
    except AuditError as exc:
        sys.stderr.write("error: %s\n" % exc)
        return 2
    if args.json:
        print(json.dumps(report, indent=2, sort_keys=True))
    else:
        for f in report["findings"]:
            print("finding: %s %s: %s [%s] %s" % (f["stack"], f["policy"], f["issue"], f["severity"], f["detail"]))
        for f in report["community_findings"]:
            print("info (community auditor): %s %s: %s %s" % (f["stack"], f["policy"], f["issue"], f["detail"]))
        print("parliament: %d policies, %d statements across %d stacks; %d findings (%d informational from community"
              " auditors); '*' resources in %d statements"
              % (len(report["policies"]), report["statements"], len(report["stacks"]), len(report["findings"]),
                 len(report["community_findings"]), len(report["wildcard_resource_statements"])))  # fmt: skip
    return 1 if report["findings"] else 0


if __name__ == "__main__":
    sys.exit(main())
