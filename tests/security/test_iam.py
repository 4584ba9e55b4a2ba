"""Every IAM policy in the synthesized output, audited with parliament (security/iam_audit.py).

* parliament: 0 findings over every policy document and inline policy of every stack;
* no action containing ``*``;
* ``"Resource": "*"`` only for the actions listed in ``WILDCARD_RESOURCE_ACTIONS``, each of
  which docs/security.md lists;
* the audit sees every policy (counted independently from the JSON here), and it does find
  problems: a crafted stack with a resource mismatch, a wildcard action and a wildcard
  resource is reported, and an unknown reference stops it (exit 2).
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

from tests.conftest import ROOT
from tests.security.scanners import SECURITY, load_script, run_json

audit = load_script("iam_audit")


def _statements(report: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    out = []
    for policy in report["policies"]:
        statements = policy["document"]["Statement"]
        for st in statements if isinstance(statements, list) else [statements]:
            out.append((policy["stack"], policy["address"], st))
    return out


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def test_parliament_finds_nothing(iam_report: dict[str, Any]) -> None:
    findings = ["%(stack)s %(policy)s: %(issue)s %(detail)s" % f for f in iam_report["findings"]]
    assert findings == [], "\n".join(findings)


def test_every_policy_is_audited(iam_report: dict[str, Any], synth_all: dict[str, dict[str, Any]]) -> None:
    expected = {
        (stack, "data.aws_iam_policy_document.%s" % name)
        for stack, doc in synth_all.items()
        for name in doc.get("data", {}).get("aws_iam_policy_document", {})
    }
    audited = {(p["stack"], p["address"]) for p in iam_report["policies"]}
    assert expected <= audited
    roles = [(s, r) for s, doc in synth_all.items() for r in doc.get("resource", {}).get("aws_iam_role", {})]
    trust_users = {u for p in iam_report["policies"] if p["kind"] == "trust" for u in p["used_by"]}
    for stack, role in roles:
        assert any(u.startswith("aws_iam_role.%s." % role) for u in trust_users), (stack, role)
    assert len(iam_report["policies"]) >= len(expected) > 0


def test_no_wildcard_action(iam_report: dict[str, Any]) -> None:
    """No wildcard in what a statement allows; a Deny may use ``service:*`` (it only takes more away)."""
    denies = 0
    for stack, address, st in _statements(iam_report):
        assert "NotAction" not in st, (stack, address, st)
        if st.get("Effect", "Allow") != "Allow":
            denies += 1
            continue
        assert not [a for a in _as_list(st["Action"]) if "*" in a], (stack, address, st)
    assert denies  # the queues' deny-without-TLS statements are audited too


def test_wildcard_resource_only_where_needed(iam_report: dict[str, Any]) -> None:
    allowed = audit.WILDCARD_RESOURCE_ACTIONS
    key_policies = {p["address"] for p in iam_report["policies"] if p["kind"] == "key"}
    for stack, address, st in _statements(iam_report):
        if address in key_policies:
            continue  # in a key policy "*" is the key itself
        if "*" in _as_list(st.get("Resource", [])):
            assert set(_as_list(st["Action"])) <= set(allowed), (stack, address, st)


def test_wildcard_resource_actions_are_documented(iam_report: dict[str, Any]) -> None:
    doc = (ROOT / "docs" / "security.md").read_text()
    for action in audit.WILDCARD_RESOURCE_ACTIONS:
        assert "`%s`" % action in doc, "docs/security.md does not list %s" % action
    used = {a for entry in iam_report["wildcard_resource_statements"] for a in entry["actions"]}
    assert used <= set(audit.WILDCARD_RESOURCE_ACTIONS)


def _crafted_out(tmp_path: Path, statements: list[dict[str, Any]]) -> Path:
    stack = {
        "provider": {"aws": [{"region": "eu-west-1"}]},
        "data": {"aws_iam_policy_document": {"Doc": {"statement": statements}}},
        "resource": {
            "aws_cloudwatch_log_group": {"Logs": {"name": "/x"}},
            "aws_iam_role": {"Role": {"name": "r", "assume_role_policy": json.dumps({
                "Version": "2012-10-17",
                "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
                               "Principal": {"Service": "ecs-tasks.amazonaws.com"}}]})}},
            "aws_iam_role_policy": {"Policy": {"role": "r", "policy": "${data.aws_iam_policy_document.Doc.json}"}},
        },
    }  # fmt: skip
    out = tmp_path / "cdktf.out"
    (out / "stacks" / "crafted").mkdir(parents=True)
    (out / "stacks" / "crafted" / "cdk.tf.json").write_text(json.dumps(stack))
    return out


def test_audit_reports_bad_policies(tools_python: Path, tmp_path: Path) -> None:
    out = _crafted_out(tmp_path, [
        {"sid": "Mismatch", "actions": ["s3:GetObject"], "resources": ["${aws_cloudwatch_log_group.Logs.arn}"]},
        {"sid": "AnyAction", "actions": ["logs:*"], "resources": ["${aws_cloudwatch_log_group.Logs.arn}:*"]},
        {"sid": "AnyResource", "actions": ["logs:PutLogEvents"], "resources": ["*"]},
    ])  # fmt: skip
    code, report, stderr = run_json(tools_python, "iam_audit.py", str(out))
    assert code == 1, stderr
    issues = {(f["issue"], f["policy"]) for f in report["findings"]}
    doc = "data.aws_iam_policy_document.Doc"
    assert {("RESOURCE_MISMATCH", doc), ("WILDCARD_ACTION", doc), ("WILDCARD_RESOURCE", doc)} <= issues, issues
    # the inline trust policy was audited too (as the role's trust policy), and is clean
    assert any(p["kind"] == "trust" and p["address"].endswith("assume_role_policy") for p in report["policies"])


def test_audit_refuses_references_it_cannot_shape(tools_python: Path, tmp_path: Path) -> None:
    out = _crafted_out(tmp_path, [{"actions": ["dynamodb:GetItem"], "resources": ["${aws_dynamodb_table.T.arn}"]}])
    proc = subprocess.run([str(tools_python), str(SECURITY / "iam_audit.py"), str(out)],
                          capture_output=True, text=True, check=False)  # fmt: skip
    assert proc.returncode == 2
    assert "no placeholder shape for ${aws_dynamodb_table.T.arn}" in proc.stderr
