"""Provider and backend settings shared by every stack of an environment."""

from __future__ import annotations

from typing import Any

from cdktf import LocalBackend, S3Backend, S3BackendAssumeRoleConfig, TerraformStack
from cdktf_cdktf_provider_aws.provider import AwsProvider, AwsProviderAssumeRole, AwsProviderDefaultTags

from envconfig.model import EnvironmentConfig
from rules.tags import default_tags as tags_of

# With `backend.type = "local"`, Terraform runs each stack in cdktf.out/stacks/<stack>/; state
# lives outside cdktf.out so a re-synth (which replaces cdktf.out wholesale) can never touch it.
LOCAL_STATE_DIR = "../../../.state"


def default_tags(env: EnvironmentConfig) -> dict[str, str]:
    """Tags on every resource: project, environment, managed-by, app, plus the environment's own."""
    return tags_of(env.name, env.app_name, env.tags)


def configure_stack(stack: TerraformStack, env: EnvironmentConfig, stack_name: str) -> None:
    """Add the AWS provider (region, account pin, role, default tags) and the backend to ``stack``."""
    # role_arn, external_id and session_name: the same names in the provider and the backend blocks.
    role_args: dict[str, Any] | None = env.assume_role.model_dump() if env.assume_role else None
    AwsProvider(
        stack,
        "aws",
        region=env.region,
        # Terraform refuses to plan or apply with credentials for any other account.
        allowed_account_ids=[env.account_id],
        assume_role=[AwsProviderAssumeRole(**role_args)] if role_args else None,
        default_tags=[AwsProviderDefaultTags(tags=default_tags(env))],
    )
    if env.backend.type == "s3":
        S3Backend(
            stack,
            bucket=env.state_bucket,
            key=env.state_key(stack_name),
            region=env.state_region,
            encrypt=True,
            allowed_account_ids=[env.account_id],
            assume_role=S3BackendAssumeRoleConfig(**role_args) if role_args else None,
            # The emulator serves every bucket under one host name (127.0.0.1:<port>/<bucket>).
            use_path_style=True if env.emulator else None,
        )
        # S3-native state locking (Terraform >= 1.10). The cdktf 0.21 S3Backend binding predates
        # the `use_lockfile` argument, so it is set on the backend block directly.
        stack.add_override("terraform.backend.s3.use_lockfile", True)
    else:
        LocalBackend(stack, path="%s/%s.tfstate" % (LOCAL_STATE_DIR, stack_name))
