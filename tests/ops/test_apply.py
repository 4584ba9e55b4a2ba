"""ops.apply and ops.fingerprint: the reviewed plan's fingerprint and every reason to refuse it.

Fast: stub stacks and hand-made fingerprints, no Terraform (tests/e2e/test_reviewed_plan.py runs
the real workflow on the emulator).
"""

from __future__ import annotations

import dataclasses
import io
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from envconfig import load_environment
from ops import access, apply, deploy, fingerprint, tf
from ops.apply import ApplyError
from ops.confirm import ConfirmationError, confirm_production
from ops.plan import Flag

OPEN_443 = Flag("open-ingress", "local", "aws_vpc_security_group_ingress_rule.https", "ingress tcp 443 from 0.0.0.0/0")
REPLACED_VPC = Flag("stateful-replace", "local", "aws_vpc.main", "VPC (everything in it); forces replacement: cidr_block")


def observed(**changes: Any) -> fingerprint.Observed:
    base = fingerprint.Observed(
        terraform_version="1.11.4",
        synth_digest="d1",
        python="3.12.3 (main)",
        config="envconfig/environments.toml",
        config_sha256="c1",
        inputs={"envconfig/environments.toml": "c1", "modules/service.py": "s1"},
        states={"local-registry": tf.StateVersion("lin-r", 3), "local": tf.StateVersion("lin-s", 7)},
        plan_sha256={"local-registry": "a" * 64, "local": "b" * 64},
    )
    return dataclasses.replace(base, **changes)


def reviewed(*, flags: list[Flag] | None = None, skipped: bool = False, **changes: Any) -> fingerprint.Fingerprint:
    seen = observed(**changes)
    if skipped:
        seen = dataclasses.replace(seen, plan_sha256={"local-registry": "a" * 64})
    return fingerprint.Fingerprint(
        env="local",
        image_tag=None if skipped else "abc1234",
        changes={"local-registry": True} if skipped else {"local-registry": False, "local": True},
        skipped={"local": "registry not applied"} if skipped else {},
        flags=flags or [],
        observed=seen,
    )


# ---- the fingerprint ---------------------------------------------------------------------


def test_fingerprint_round_trips_through_its_file(tmp_path: Path) -> None:
    written = reviewed(flags=[OPEN_443])
    path = fingerprint.write(tmp_path, written)
    assert path == tmp_path / "fingerprint.json"
    assert fingerprint.read(tmp_path) == written


def test_nothing_moved_means_no_differences() -> None:
    assert fingerprint.differences(observed(), observed()) == []


def test_observe_reads_synth_stamp_inputs_states_and_plan_hashes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    class StubStack:
        def __init__(self, serial: int) -> None:
            self.serial = serial

        def state_version(self) -> tf.StateVersion:
            return tf.StateVersion("lineage", self.serial)

    (tmp_path / ".inputs.sha256").write_text("digest\n")
    (tmp_path / "local-registry.tfplan").write_bytes(b"plan")
    monkeypatch.setattr(tf, "terraform_version", lambda: "1.11.4")
    stacks: dict[str, Any] = {"local-registry": StubStack(3), "local": StubStack(7)}
    seen = fingerprint.observe(tmp_path, tmp_path, stacks, planned=["local-registry", "local"], config=None)
    assert (seen.synth_digest, seen.terraform_version, seen.config) == ("digest", "1.11.4", "envconfig/environments.toml")
    assert seen.states == {"local-registry": tf.StateVersion("lineage", 3), "local": tf.StateVersion("lineage", 7)}
    assert seen.plan_sha256 == {"local-registry": fingerprint.sha256_file(tmp_path / "local-registry.tfplan")}
    assert seen.inputs["envconfig/environments.toml"] == seen.config_sha256
    assert "main.py" in seen.inputs


def test_observe_without_a_synth_refuses(tmp_path: Path) -> None:
    with pytest.raises(tf.TerraformError, match=r"\.inputs\.sha256 does not exist; run the synth step first"):
        fingerprint.observe(tmp_path, tmp_path, {}, planned=[], config=None)


# ---- every reason to refuse ----------------------------------------------------------------


def refusal(planned: fingerprint.Fingerprint, now: fingerprint.Observed, ack: frozenset[str] = frozenset()) -> str:
    with pytest.raises(ApplyError) as caught:
        apply.check_reviewed("local", planned, now, ack)
    return str(caught.value)


def test_changed_input_file_is_named() -> None:
    now = observed(synth_digest="d2", inputs={"envconfig/environments.toml": "c2", "modules/service.py": "s1"}, config_sha256="c2")
    with pytest.raises(ApplyError, match=r"inputs changed since the plan \(changed: envconfig/environments.toml\)"):
        apply.check_reviewed("local", reviewed(), now, frozenset())


def test_new_and_removed_inputs_are_named() -> None:
    now = observed(synth_digest="d2", inputs={"envconfig/environments.toml": "c1", "modules/waf.py": "w1"})
    with pytest.raises(ApplyError, match=r"inputs changed since the plan \(new: modules/waf.py; gone: modules/service.py\)"):
        apply.check_reviewed("local", reviewed(), now, frozenset())


def test_another_environments_file_is_named() -> None:
    now = observed(synth_digest="d2", config="/tmp/other.toml", config_sha256="c9")
    with pytest.raises(ApplyError, match=r"environments file /tmp/other.toml, planned with envconfig/environments.toml"):
        apply.check_reviewed("local", reviewed(), now, frozenset())


def test_an_edited_environments_file_outside_the_inputs_is_named() -> None:
    planned = reviewed(config="/tmp/copy.toml", config_sha256="c1")
    now = observed(synth_digest="d2", config="/tmp/copy.toml", config_sha256="c2")
    with pytest.raises(ApplyError, match=r"inputs changed since the plan \(changed: /tmp/copy.toml\)"):
        apply.check_reviewed("local", planned, now, frozenset())


def test_another_python_is_named() -> None:
    now = observed(synth_digest="d2", python="3.13.0 (main)")
    with pytest.raises(ApplyError, match=r"inputs changed since the plan \(Python 3.13.0, planned with 3.12.3\)"):
        apply.check_reviewed("local", reviewed(), now, frozenset())


def test_changed_state_names_the_stack_and_serials() -> None:
    now = observed(states={"local-registry": tf.StateVersion("lin-r", 3), "local": tf.StateVersion("lin-s", 9)})
    message = refusal(reviewed(), now)
    assert "  - local: state changed since the plan (serial 7 -> 9)" in message
    assert "local-registry" not in message
    assert message.endswith("run make plan ENV=local again and review it")


def test_replaced_and_created_state_are_named() -> None:
    now = observed(states={"local-registry": tf.StateVersion("lin-x", 1), "local": tf.StateVersion("lin-s", 7)})
    with pytest.raises(ApplyError, match=r"local-registry: state replaced since the plan \(lineage lin-r -> lin-x\)"):
        apply.check_reviewed("local", reviewed(), now, frozenset())
    planned = reviewed(states={"local-registry": tf.StateVersion("lin-r", 3), "local": tf.StateVersion(None, None)})
    with pytest.raises(ApplyError, match=r"local: state changed since the plan \(no state -> serial 7\)"):
        apply.check_reviewed("local", planned, observed(), frozenset())


def test_changed_or_missing_plan_file_is_named() -> None:
    now = observed(plan_sha256={"local-registry": "c" * 64})
    message = refusal(reviewed(), now)
    assert "local-registry: the plan file local-registry.tfplan changed since the plan (sha256 aaaaaaaaaaaa... -> cccccccccccc...)" in message
    assert "local: the plan file local.tfplan is missing" in message


def test_another_terraform_version_is_named() -> None:
    with pytest.raises(ApplyError, match=r"terraform version changed since the plan \(1.11.4 -> 1.12.0\)"):
        apply.check_reviewed("local", reviewed(), observed(terraform_version="1.12.0"), frozenset())


def test_every_reason_is_listed_at_once() -> None:
    now = observed(synth_digest="d2", states={"local-registry": tf.StateVersion("lin-r", 4), "local": tf.StateVersion("lin-s", 7)})
    message = refusal(reviewed(), now)
    assert "is stale; nothing was applied" in message
    assert "inputs changed since the plan (the synth digest differs)" in message
    assert "local-registry: state changed since the plan (serial 3 -> 4)" in message


# ---- warnings need ACK ---------------------------------------------------------------------


def test_unacknowledged_warnings_name_the_kinds_and_resources() -> None:
    message = refusal(reviewed(flags=[OPEN_443, REPLACED_VPC]), observed(), frozenset({"open-ingress"}))
    assert "the plan for local has 1 warning; acknowledge it with ACK=stateful-replace:" in message
    assert "  - stateful-replace: aws_vpc.main in stack local - VPC (everything in it); forces replacement: cidr_block" in message
    assert "aws_vpc_security_group_ingress_rule.https" not in message
    with pytest.raises(ApplyError, match=r"2 warnings; acknowledge them with ACK=open-ingress,stateful-replace:"):
        apply.check_reviewed("local", reviewed(flags=[OPEN_443, REPLACED_VPC]), observed(), frozenset())


def test_acknowledged_warnings_pass() -> None:
    apply.check_reviewed("local", reviewed(flags=[OPEN_443, REPLACED_VPC]), observed(), apply.parse_ack("open-ingress, stateful-replace"))


def test_a_stale_plan_is_refused_before_its_warnings() -> None:
    with pytest.raises(ApplyError, match=r"is stale"):
        apply.check_reviewed("local", reviewed(flags=[OPEN_443]), observed(synth_digest="d2"), frozenset())


def test_unknown_ack_kind_is_refused_with_the_allowed_kinds() -> None:
    with pytest.raises(
        ApplyError,
        match=r"ACK=open-ingres: unknown warning kind 'open-ingres'; allowed: stateful-replace, stateful-destroy, open-ingress, protection-off, controller-switch",
    ):
        apply.parse_ack("open-ingres")
    assert apply.parse_ack(None) == frozenset()


# ---- no plan, image tag, CONFIRM -----------------------------------------------------------


def test_no_saved_plan_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ApplyError, match=r"^no reviewed plan for local; run make plan ENV=local$"):
        apply.load_reviewed(tmp_path / "local", "local")


def test_make_apply_without_a_plan_refuses_before_anything_runs(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(access, "prepare", lambda *a, **k: pytest.fail("started the emulator without a plan to check"))
    assert apply.main(["--env", "local", "--plans-dir", str(tmp_path)]) == 1
    assert "apply: REFUSED: no reviewed plan for local; run make plan ENV=local" in capsys.readouterr().err


def test_make_apply_refuses_an_unknown_ack(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert apply.main(["--env", "local", "--plans-dir", str(tmp_path), "--ack", "everything"]) == 1
    assert "apply: REFUSED: ACK=everything: unknown warning kind 'everything'" in capsys.readouterr().err


def test_a_planned_tag_this_tree_does_not_build_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(deploy, "image_tag", lambda env, explicit: "def5678")
    env = load_environment("local")
    problem = apply.image_problem(env, "abc1234", None, skip_image=False)
    assert problem == "image tag abc1234 was planned, but this tree builds def5678 (or SKIP_IMAGE=1 if abc1234 is already pushed)"
    with pytest.raises(ApplyError, match=r"image tag abc1234 was planned, but this tree builds def5678"):
        apply.check_reviewed("local", reviewed(), observed(), frozenset(), image_problem=problem)
    # Nothing to build: the tag already runs, SKIP_IMAGE, or <env> was not planned.
    assert apply.image_problem(env, "abc1234", "abc1234", skip_image=False) is None
    assert apply.image_problem(env, "abc1234", None, skip_image=True) is None
    assert apply.image_problem(env, None, None, skip_image=False) is None


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_production_deploy_refuses_a_wrong_confirm_before_planning(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(access, "prepare", lambda *a, **k: pytest.fail("planned before the confirmation"))
    prod = load_environment("prod")
    with pytest.raises(ConfirmationError, match=r"^CONFIRM='yes' does not match the environment; allowed: CONFIRM=prod to apply prod$"):
        deploy.deploy(prod, confirmation="yes", log=io.StringIO())  # make deploy ENV=prod goes the reviewed way
    with pytest.raises(ConfirmationError, match=r"ENV=prod is a production environment: .* or pass CONFIRM=prod"):
        apply.deploy_reviewed(prod, confirmation=None, stdin=io.StringIO(), log=io.StringIO())


def test_production_prompt_shows_the_summary_then_asks_for_the_name() -> None:
    prod = load_environment("prod")
    log = io.StringIO()
    confirm_production(prod, None, action="apply", summary="## Terraform plan: `prod`", stdin=Terminal("prod\n"), log=log)
    assert log.getvalue().startswith("## Terraform plan: `prod`\nENV=prod is PRODUCTION. Type the environment name to apply it")
    with pytest.raises(ConfirmationError, match=r"^typed 'y', not 'prod'; nothing was applied$"):
        confirm_production(prod, None, action="apply", summary="...", stdin=Terminal("y\n"), log=io.StringIO())


def test_non_production_needs_no_confirmation() -> None:
    confirm_production(load_environment("local"), None, action="apply", stdin=io.StringIO())


# ---- applying: stub stacks -----------------------------------------------------------------


class StubStack:
    def __init__(self, name: str, fail: bool = False) -> None:
        self.name = name
        self.fail = fail
        self.applied: list[Path] = []

    def apply_plan(self, plan_file: Path) -> None:
        self.applied.append(plan_file)
        if self.fail:
            raise tf.TerraformError("terraform apply failed in %s" % self.name)


def saved_plan(folder: Path, planned: fingerprint.Fingerprint) -> Path:
    folder.mkdir(parents=True)
    for name in planned.observed.plan_sha256:
        fingerprint.plan_file(folder, name).write_bytes(b"plan")
    (folder / "summary.md").write_text("summary\n")
    fingerprint.write(folder, planned)
    return folder


def run_execute(folder: Path, planned: fingerprint.Fingerprint, stacks: dict[str, Any], log: io.StringIO) -> int:
    return apply.execute(
        load_environment("local"), planned, stacks, out=folder, folder=folder, deployed_tag=None, skip_image=True,
        registry=None, timeout=1, smoke_timeout=1, command="apply", started=0.0, log=log,
    )  # fmt: skip


def test_registry_only_plan_applies_the_registry_and_says_to_plan_again(tmp_path: Path) -> None:
    planned = reviewed(skipped=True)
    folder = saved_plan(tmp_path / "local", planned)
    stacks: dict[str, Any] = {"local-registry": StubStack("local-registry"), "local": StubStack("local")}
    log = io.StringIO()
    assert run_execute(folder, planned, stacks, log) == 0
    assert stacks["local-registry"].applied == [folder / "local-registry.tfplan"]
    assert stacks["local"].applied == []
    assert log.getvalue().rstrip().endswith(
        "apply: applied local-registry only; local was not planned (its registry did not exist yet):"
        " run make plan ENV=local again, review it, then make apply ENV=local"
    )
    (kept,) = (folder / "applied").iterdir()
    assert sorted(p.name for p in kept.iterdir()) == ["fingerprint.json", "local-registry.tfplan", "summary.md"]
    assert not (folder / "fingerprint.json").exists()


def test_both_plans_applied_in_order_then_consumed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    planned = dataclasses.replace(reviewed(), changes={"local-registry": True, "local": True})
    folder = saved_plan(tmp_path / "local", planned)
    stacks: dict[str, Any] = {"local-registry": StubStack("local-registry"), "local": StubStack("local")}

    def roll_out(env: Any, stack: Any, apply_stack: Callable[[], None], **kwargs: Any) -> deploy.Rollout:
        assert stacks["local-registry"].applied, "the registry plan goes first"
        apply_stack()
        return deploy.Rollout(True, "https://flask-app.local.test")

    monkeypatch.setattr(deploy, "roll_out", roll_out)
    log = io.StringIO()
    assert run_execute(folder, planned, stacks, log) == 0
    assert stacks["local"].applied == [folder / "local.tfplan"]
    assert "apply: local is up at https://flask-app.local.test (image abc1234)" in log.getvalue()
    assert fingerprint.read(folder) is None and len(list((folder / "applied").iterdir())) == 1


def test_a_failed_apply_still_consumes_the_plan(tmp_path: Path) -> None:
    planned = reviewed(skipped=True)
    folder = saved_plan(tmp_path / "local", planned)
    stacks: dict[str, Any] = {"local-registry": StubStack("local-registry", fail=True), "local": StubStack("local")}
    with pytest.raises(tf.TerraformError, match="terraform apply failed in local-registry"):
        run_execute(folder, planned, stacks, io.StringIO())
    assert fingerprint.read(folder) is None, "a partly applied plan is stale; it must not stay applicable"
