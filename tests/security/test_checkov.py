"""checkov over every synthesized stack (``--framework terraform_json``), against the allow-list.

* no failed check outside ``security/checkov_allowlist.toml``;
* no allow-list entry that no longer matches a failure (per stack it names);
* at most five entries, each with a check id, a resource and a one-line reason;
* a built-in check with an incomplete type list runs widened (``WIDENED``): everything it covers,
  plus the missing types, under its own id; the widening goes away once checkov knows the types;
* the gate itself works: an injected misconfiguration is reported as a new failure, and an
  entry matching nothing is reported as stale.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from tests.security.scanners import load_script, run_json

checkov = load_script("run_checkov")
ALLOWLIST, MAX_ENTRIES, WIDENED = checkov.ALLOWLIST, checkov.MAX_ENTRIES, checkov.WIDENED
CheckovError, widened_check = checkov.CheckovError, checkov.widened_check
Entry, Result, evaluate, load_allowlist = checkov.Entry, checkov.Result, checkov.evaluate, checkov.load_allowlist


def test_allowlist_is_small_and_explained() -> None:
    entries = load_allowlist()
    assert len(entries) <= MAX_ENTRIES == 5
    for entry in entries:
        assert entry.check.startswith(("CKV_", "CKV2_")), entry
        assert "." in entry.resource, "resource must be an address like aws_lb.<name>: %s" % entry
        assert 20 <= len(entry.reason) <= 200 and "\n" not in entry.reason, entry


def test_allowlist_rejects_more_than_five_entries(tmp_path: Path) -> None:
    path = tmp_path / "allow.toml"
    path.write_text(
        "".join('[[allow]]\ncheck = "CKV_AWS_%d"\nresource = "aws_lb.x"\nreason = "r"\n' % i for i in range(6))
    )
    with pytest.raises(Exception, match="has 6 entries; allowed: at most 5"):
        load_allowlist(path)


def _graph_check(connected: list[str]) -> dict[str, Any]:
    return {
        "metadata": {"id": "CKV2_AWS_5", "name": "Ensure that Security Groups are attached to another resource"},
        "definition": {"and": [
            {"cond_type": "filter", "attribute": "resource_type", "value": ["aws_security_group"], "operator": "within"},
            {"resource_types": ["aws_security_group"], "connected_resource_types": connected, "operator": "exists",
             "attribute": "networking", "cond_type": "connection"},
        ]},
    }  # fmt: skip


def test_a_widened_check_keeps_every_type_of_the_builtin_and_adds_the_missing_ones() -> None:
    builtin = _graph_check(["aws_lb", "aws_ecs_service"])
    widened = widened_check("CKV2_AWS_5", builtin)
    new_id, added, _ = WIDENED["CKV2_AWS_5"]
    assert widened["metadata"]["id"] == new_id != "CKV2_AWS_5"
    assert widened["definition"]["and"][1]["connected_resource_types"] == ["aws_lb", "aws_ecs_service", *added]
    assert widened["definition"]["and"][0] == builtin["definition"]["and"][0]
    assert builtin["definition"]["and"][1]["connected_resource_types"] == ["aws_lb", "aws_ecs_service"]  # not mutated


def test_a_widening_checkov_made_unnecessary_is_refused() -> None:
    with pytest.raises(
        CheckovError, match=r"CKV2_AWS_5 now connects aws_scheduler_schedule itself; remove its WIDENED"
    ):
        widened_check("CKV2_AWS_5", _graph_check(["aws_lb", "aws_scheduler_schedule"]))


def test_a_builtin_check_of_another_shape_is_refused() -> None:
    document = _graph_check(["aws_lb"])
    document["definition"]["and"].pop()
    with pytest.raises(CheckovError, match=r"CKV2_AWS_5 no longer has exactly one connection condition"):
        widened_check("CKV2_AWS_5", document)


def test_evaluate_flags_new_failures_and_stale_entries() -> None:
    entries = [
        Entry("CKV_AWS_333", "aws_ecs_service.S", "dev opts into public IPs", ("dev",)),
        Entry("CKV_AWS_91", "aws_lb.L", "no longer failing anywhere"),
        Entry("CKV_AWS_150", "aws_lb.L", "non-production", ("dev", "staging")),
    ]
    failed = [
        Result("CKV_AWS_333", "", "dev", "aws_ecs_service.S"),
        Result("CKV_AWS_333", "", "prod", "aws_ecs_service.S"),  # same check, a stack the entry does not name
        Result("CKV_AWS_150", "", "dev", "aws_lb.L"),
    ]
    allowed, new, stale = evaluate(failed, entries)
    assert [(r.stack, r.check_id) for r in allowed] == [("dev", "CKV_AWS_333"), ("dev", "CKV_AWS_150")]
    assert [(r.stack, r.check_id) for r in new] == [("prod", "CKV_AWS_333")]
    assert any("CKV_AWS_91 on aws_lb.L matches no failed check" in s for s in stale)
    assert any("CKV_AWS_150 on aws_lb.L in dev, staging no longer fails in staging" in s for s in stale)


def test_every_stack_is_scanned(checkov_report: dict[str, Any], synth_all: dict[str, Any]) -> None:
    assert checkov_report["stacks"] == sorted(synth_all)
    assert checkov_report["summary"]["parsing_errors"] == 0
    assert checkov_report["summary"]["passed"] > 0


def test_no_failed_check_outside_the_allowlist(checkov_report: dict[str, Any]) -> None:
    new = ["%(stack)s %(check_id)s on %(resource)s: %(check_name)s" % r for r in checkov_report["new_failures"]]
    assert new == [], "checkov failures not in %s:\n  %s" % (ALLOWLIST.name, "\n  ".join(new))


def test_no_stale_allowlist_entry(checkov_report: dict[str, Any]) -> None:
    assert checkov_report["stale_entries"] == []


def test_injected_misconfiguration_is_a_new_failure(tools_python: Path, synth_dir: Path, tmp_path: Path) -> None:
    """Turn off scan-on-push and tag immutability in one registry stack: the gate must name both."""
    out = tmp_path / "cdktf.out"
    shutil.copytree(synth_dir / "stacks" / "prod-registry", out / "stacks" / "prod-registry")
    path = out / "stacks" / "prod-registry" / "cdk.tf.json"
    stack = json.loads(path.read_text())
    (repo,) = stack["resource"]["aws_ecr_repository"].values()
    repo["image_scanning_configuration"] = {"scan_on_push": False}
    repo["image_tag_mutability"] = "MUTABLE"
    path.write_text(json.dumps(stack))
    allow = tmp_path / "allow.toml"
    allow.write_text("")

    code, report, stderr = run_json(tools_python, "run_checkov.py", str(out), "--allowlist", str(allow))

    assert code == 1, stderr
    new = {(r["stack"], r["check_id"]) for r in report["new_failures"]}
    assert {("prod-registry", "CKV_AWS_163"), ("prod-registry", "CKV_AWS_51")} <= new, new


def test_the_widened_check_still_fails_a_security_group_nothing_uses(
    tools_python: Path, synth_dir: Path, tmp_path: Path
) -> None:
    """prod's job group passes through its schedule; a copy of it that nothing references must fail the widened
    check (and the built-in one must not run at all)."""
    out = tmp_path / "cdktf.out"
    shutil.copytree(synth_dir / "stacks" / "prod", out / "stacks" / "prod")
    path = out / "stacks" / "prod" / "cdk.tf.json"
    stack = json.loads(path.read_text())
    groups = stack["resource"]["aws_security_group"]
    groups["Orphan"] = dict(groups["Workload-report_TaskSecurityGroup_1968456A"], name_prefix="orphan-")
    path.write_text(json.dumps(stack))
    allow = tmp_path / "allow.toml"
    allow.write_text("")

    code, report, stderr = run_json(tools_python, "run_checkov.py", str(out), "--allowlist", str(allow))

    assert code == 1, stderr
    by_check = {(r["check_id"], r["resource"]) for r in report["new_failures"]}
    assert ("CKV2_PRJ_5", "aws_security_group.Orphan") in by_check, by_check
    assert not [r for r in report["new_failures"] if r["check_id"] in ("CKV2_AWS_5", "CKV2_PRJ_5")
                and r["resource"] != "aws_security_group.Orphan"], by_check  # fmt: skip


def test_an_existing_certificate_instead_of_a_requested_one_passes_too(tools_python: Path, tmp_path: Path) -> None:
    """TLS through ``certificate_arn`` (no domain, no requested certificate) is just as clean: the
    shipped environments with their domain replaced by an existing certificate pass the same gate,
    allow-list included (docs/security.md, "TLS")."""
    import main
    from tests.badinput.cases import shipped
    from tests.badinput.tomlgen import dumps

    doc = shipped()
    doc["defaults"]["load_balancer"] = {
        "certificate_arn": "arn:aws:acm:ap-southeast-1:123456789012:certificate/0123abcd-45ef-67ab-89cd-0123456789ab",
    }
    for env in doc["environments"].values():
        env.pop("load_balancer", None)
    config = tmp_path / "environments.toml"
    config.write_text(dumps(doc))
    out = tmp_path / "cdktf.out"
    main.build(str(out), config=config)
    stacks = sorted(out.glob("stacks/*/cdk.tf.json"))
    assert len(stacks) == 8
    assert not [p for p in stacks if "aws_acm_certificate" in json.loads(p.read_text()).get("resource", {})]

    code, report, stderr = run_json(tools_python, "run_checkov.py", str(out))

    assert len(report["stacks"]) == 8, stderr
    assert report["new_failures"] == [] and report["stale_entries"] == [], report
    assert code == 0, stderr


def test_a_web_workload_behind_an_nlb_passes_the_gate_in_prod(tools_python: Path, tmp_path: Path) -> None:
    """An NLB web workload (TLS, access logs to a bucket) added to prod brings no new failure: the NLB, its
    listener, target group, security group and rules pass with the shipped allow-list (no entry for them)."""
    import main
    from envconfig import DEFAULT_FILE

    config = tmp_path / "environments.toml"
    config.write_text(DEFAULT_FILE.read_text() + """
[environments.prod.workloads.stream]
kind = "web"
nlb = { port = 8443, certificate_arn = "arn:aws:acm:ap-southeast-1:123456789012:certificate/0123abcd-45ef-67ab-89cd-0123456789ab", access_log_bucket = "flask-app-prod-lb-logs" }
""")  # fmt: skip
    out = tmp_path / "cdktf.out"
    main.build(str(out), config=config, only=["prod"])
    stack = json.loads((out / "stacks" / "prod" / "cdk.tf.json").read_text())
    assert any(b.get("load_balancer_type") == "network" for b in stack["resource"]["aws_lb"].values())

    code, report, stderr = run_json(tools_python, "run_checkov.py", str(out))

    assert code in (0, 1) and report, stderr  # 1: the entries of the stacks not built here are stale
    assert report["new_failures"] == [], report["new_failures"]
