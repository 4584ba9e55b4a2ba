"""The stack-naming and image-tag rules (rules/stacks.py, rules/images.py) every layer reads."""

from __future__ import annotations

import pytest

from ops import context, image
from rules.images import deploy_tag, dirty_problem, tag_problem
from rules.stacks import registry_stack_name, service_stack_name, stack_names


def test_an_environment_has_a_registry_stack_then_a_service_stack() -> None:
    assert stack_names("prod") == ("prod-registry", "prod")
    assert (registry_stack_name("dev"), service_stack_name("dev")) == ("dev-registry", "dev")
    assert context.stack_names is stack_names  # ops names stacks through the rule only


def test_the_registry_stack_is_named_by_the_rule() -> None:
    from envconfig import load_environment
    from stacks.registry import registry_stack_name as stack_level

    assert stack_level(load_environment("prod")) == "prod-registry"


@pytest.mark.parametrize("tag", ["3f9c2ab", "3f9c2ab-dirty", "v1.2.3", "_x"])
def test_valid_tags(tag: str) -> None:
    assert tag_problem(tag) is None
    assert image.validate_tag(tag) == tag


def test_latest_is_never_a_deploy_tag() -> None:
    assert tag_problem("latest") == "tag='latest' is not allowed as a deploy tag; allowed: a git sha (the default)"
    with pytest.raises(image.ImageError, match=r"tag='latest' is not allowed as a deploy tag"):
        image.validate_tag("latest")


@pytest.mark.parametrize("tag", ["-x", ".x", "a b", "x" * 129, ""])
def test_a_tag_must_be_a_docker_tag(tag: str) -> None:
    with pytest.raises(image.ImageError, match=r"is not a valid Docker tag; allowed: \[A-Za-z0-9_\]\[A-Za-z0-9_.-\]\{0,127\}"):
        image.validate_tag(tag)


def test_the_dirty_tree_rule() -> None:
    assert deploy_tag("abc1234", dirty=[]) == "abc1234"
    assert deploy_tag("abc1234", dirty=["app/x.py"], allow_dirty=True, diff_hash="0123456789ab") == "abc1234-dirty-0123456789ab"
    assert dirty_problem("abc1234", [], allow_dirty=False) is None
    many = ["f%d" % n for n in range(12)]
    with pytest.raises(ValueError, match=r"^the build inputs differ from HEAD \(abc1234\): f0, f1, .*, f9 \.\.\.; commit them,"
                       r" or set ALLOW_DIRTY=1 to build a '<sha>-dirty-<hash>' tag that production never deploys$"):  # fmt: skip
        deploy_tag("abc1234", dirty=many)


@pytest.mark.parametrize("diff_hash", [None, "", "0123456789a", "0123456789abc", "0123456789AB", "0123456789ag"])
def test_a_dirty_tag_needs_the_content_hash_of_the_changes(diff_hash: str | None) -> None:
    with pytest.raises(ValueError, match=r"^diff_hash=.* for the uncommitted build inputs; allowed: 12 lowercase hex characters$"):
        deploy_tag("abc1234", dirty=["app/x.py"], allow_dirty=True, diff_hash=diff_hash)


def test_every_command_error_is_an_ops_error() -> None:
    from ops import apply, aws, bootstrap, confirm, cost, deploy, destroy, emulator, migrate_state, tf

    for error in (tf.TerraformError, aws.CredentialsError, emulator.EmulatorError, deploy.DeployError,
                  destroy.DestroyError, confirm.ConfirmationError, bootstrap.BootstrapError,
                  migrate_state.MigrateError, image.ImageError, cost.CostError, apply.ApplyError):  # fmt: skip
        assert issubclass(error, context.OpsError), error
