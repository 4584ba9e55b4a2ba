"""``<env>-registry``: the ECR repository, applied before the image is pushed."""

from __future__ import annotations

from cdktf import TerraformOutput, TerraformStack
from constructs import Construct

from envconfig.model import EnvironmentConfig
from modules.registry import Registry, RegistryProps
from rules import stacks as stacks_rules
from stacks.base import configure_stack


def registry_stack_name(env: EnvironmentConfig) -> str:
    """``<env>-registry``: the registry stack's construct id and Terraform stack name."""
    return stacks_rules.registry_stack_name(env.name)


class RegistryStack(TerraformStack):
    registry: Registry

    def __init__(self, scope: Construct, env: EnvironmentConfig) -> None:
        stack_name = registry_stack_name(env)
        super().__init__(scope, stack_name)
        configure_stack(self, env, stack_name)
        self.registry = Registry(
            self,
            "Registry",
            props=RegistryProps(
                name=env.physical_name(),
                untagged_expiry_days=env.registry.untagged_expiry_days,
                keep_last_images=env.registry.keep_last_images,
                force_delete=env.registry.force_delete,
                encryption=env.registry.encryption,
            ),
        )
        TerraformOutput(self, "repository_url", value=self.registry.repository_url,
                        description="Push the image here")  # fmt: skip
        TerraformOutput(self, "repository_name", value=self.registry.repository_name)
        TerraformOutput(self, "repository_arn", value=self.registry.repository_arn)
