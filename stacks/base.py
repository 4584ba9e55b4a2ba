"""Provider and backend settings shared by every stack of an environment."""

from __future__ import annotations

from cdktf import LocalBackend, S3Backend, TerraformStack
from cdktf_cdktf_provider_aws.provider import AwsProvider, AwsProviderDefaultTags

from envconfig.model import EnvironmentConfig
from rules.tags import default_tags as tags_of

# Terraform runs each stack in cdktf.out/stacks/<stack>/; state lives outside cdktf.out so a
# re-synth (which replaces cdktf.out wholesale) can never touch it.
LOCAL_STATE_DIR = "../../../.state"


def default_tags(env: EnvironmentConfig) -> dict[str, str]:
    """Tags on every resource: project, environment, managed-by, app, plus the environment's own."""
    return tags_of(env.name, env.app_name, env.tags)


def configure_stack(stack: TerraformStack, env: EnvironmentConfig, stack_name: str) -> None:
    """Add the AWS provider (region, default tags) and the backend to ``stack``."""
    AwsProvider(stack, "aws", region=env.region, default_tags=[AwsProviderDefaultTags(tags=default_tags(env))])
    if env.backend.type == "s3":
        assert env.backend.bucket is not None  # the config model guarantees it
        S3Backend(
            stack,
            bucket=env.backend.bucket,
            key="%s/%s.tfstate" % (env.backend.key_prefix, stack_name),
            region=env.backend.region or env.region,
            encrypt=True,
        )
        # S3-native state locking (Terraform >= 1.10). The cdktf 0.21 S3Backend binding predates
        # the `use_lockfile` argument, so it is set on the backend block directly.
        stack.add_override("terraform.backend.s3.use_lockfile", True)
    else:
        LocalBackend(stack, path="%s/%s.tfstate" % (LOCAL_STATE_DIR, stack_name))
