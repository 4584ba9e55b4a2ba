"""The security gate over a production environment that reaches a database (tests/test_egress.py's stack).

Egress rules to a security group, a prefix list, a port range open to the internet with a reason, a
job's own rule, kms:Decrypt on a secret's key and the Secrets Manager / SSM endpoints: checkov finds
nothing beyond the checked-in allow-list (no new entry for them), and parliament finds nothing.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.security.scanners import ROOT, run_json
from tests.test_egress import hardened  # noqa: F401  (the module fixture: one synth of the stack)


def test_checkov_needs_no_new_exception(tools_python: Path, hardened: Path) -> None:  # noqa: F811
    code, report, stderr = run_json(tools_python, "run_checkov.py", str(hardened),
                                    "--allowlist", str(ROOT / "security" / "checkov_allowlist.toml"))  # fmt: skip
    assert report, "run_checkov.py printed no report (exit %d): %s" % (code, stderr)
    assert report["summary"]["passed"] > 0 and report["summary"]["parsing_errors"] == 0
    new = ["%(check_id)s on %(resource)s: %(check_name)s" % r for r in report["new_failures"]]
    assert new == []  # stale entries are expected: the other environments' stacks are not in this output


def test_parliament_finds_nothing(tools_python: Path, hardened: Path) -> None:  # noqa: F811
    code, report, stderr = run_json(tools_python, "iam_audit.py", str(hardened))
    assert report, "iam_audit.py printed no report (exit %d): %s" % (code, stderr)
    findings = ["%(stack)s %(policy)s: %(issue)s %(detail)s" % f for f in report["findings"]]
    assert findings == [] and code == 0, "\n".join(findings) + stderr
    decrypt: list[dict[str, Any]] = [
        st for p in report["policies"] for st in _statements(p) if "kms:Decrypt" in _as_list(st.get("Action"))
        and p["address"].startswith("data.aws_iam_policy_document.Service_ExecutionPolicyDocument")
    ]  # fmt: skip
    assert len(decrypt) == 1 and "kms:ViaService" in str(decrypt[0]["Condition"])


def _statements(policy: dict[str, Any]) -> list[dict[str, Any]]:
    statements = policy["document"]["Statement"]
    return statements if isinstance(statements, list) else [statements]


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]
