"""boto3 sessions and subprocess environments for one environment: the emulator or a real account.

Example::

    from envconfig import load_environment
    from ops import aws

    env = load_environment("local")
    ecs = aws.client(env, "ecs")          # talks to the emulator on 127.0.0.1
    aws.require_credentials(load_environment("prod"))   # raises CredentialsError at once

Rules, for both boto3 and the Terraform subprocesses (``subprocess_env``):

* The instance-metadata endpoint is never consulted unless ``AWS_EC2_METADATA_DISABLED=false`` is
  set explicitly, and even then with a 1 s timeout and one attempt: a laptop or CI runner without
  credentials fails at once instead of hanging on 169.254.169.254.
* An environment with ``emulator = true`` gets ``AWS_ENDPOINT_URL`` pointing at the emulator and
  dummy keys; any profile or session token from the caller's shell is dropped.
* A real environment never inherits ``AWS_ENDPOINT_URL`` / ``AWS_ENDPOINT_URL_*`` from the shell, so
  a variable left over from emulator work cannot send ``ENV=prod`` to the emulator (or the reverse).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from ops import emulator

if TYPE_CHECKING:
    from envconfig import EnvironmentConfig

CONNECT_TIMEOUT_SECONDS = 5
READ_TIMEOUT_SECONDS = 60


class CredentialsError(RuntimeError):
    """No usable AWS credentials for a real (non-emulator) environment."""


def _imds_disabled(base: Mapping[str, str]) -> bool:
    return base.get("AWS_EC2_METADATA_DISABLED", "true").strip().lower() != "false"


def subprocess_env(env: EnvironmentConfig, base: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment variables for Terraform / the AWS CLI acting on ``env``."""
    out = dict(os.environ if base is None else base)
    for key in list(out):
        if key == "AWS_ENDPOINT_URL" or key.startswith("AWS_ENDPOINT_URL_"):
            del out[key]
    out["AWS_REGION"] = env.region
    out["AWS_DEFAULT_REGION"] = env.region
    out["AWS_EC2_METADATA_DISABLED"] = "true" if _imds_disabled(out) else "false"
    out["AWS_METADATA_SERVICE_TIMEOUT"] = "1"
    out["AWS_METADATA_SERVICE_NUM_ATTEMPTS"] = "1"
    out["CHECKPOINT_DISABLE"] = "1"
    if env.emulator:
        for key in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN",
                    "AWS_ROLE_ARN", "AWS_WEB_IDENTITY_TOKEN_FILE"):  # fmt: skip
            out.pop(key, None)
        out["AWS_ENDPOINT_URL"] = emulator.endpoint_url()
        out["AWS_ACCESS_KEY_ID"] = emulator.DUMMY_ACCESS_KEY_ID
        out["AWS_SECRET_ACCESS_KEY"] = emulator.DUMMY_SECRET_ACCESS_KEY
    return out


def _harden_process() -> None:
    """Make botocore in this process skip (or time-box) the instance-metadata lookup."""
    os.environ["AWS_EC2_METADATA_DISABLED"] = "true" if _imds_disabled(os.environ) else "false"
    os.environ["AWS_METADATA_SERVICE_TIMEOUT"] = "1"
    os.environ["AWS_METADATA_SERVICE_NUM_ATTEMPTS"] = "1"
    if os.environ.get("AWS_ENDPOINT_URL"):
        # Endpoints are chosen per environment by client(); never inherited from the shell.
        for key in [k for k in os.environ if k == "AWS_ENDPOINT_URL" or k.startswith("AWS_ENDPOINT_URL_")]:
            del os.environ[key]


def session(env: EnvironmentConfig) -> Any:
    """A boto3 Session for ``env`` (dummy keys for the emulator)."""
    import boto3

    _harden_process()
    if env.emulator:
        return boto3.Session(
            aws_access_key_id=emulator.DUMMY_ACCESS_KEY_ID,
            aws_secret_access_key=emulator.DUMMY_SECRET_ACCESS_KEY,
            region_name=env.region,
        )
    return boto3.Session(region_name=env.region)


def client_config(max_attempts: int = 3) -> Any:
    from botocore.config import Config

    return Config(
        connect_timeout=CONNECT_TIMEOUT_SECONDS,
        read_timeout=READ_TIMEOUT_SECONDS,
        retries={"max_attempts": max_attempts, "mode": "standard"},
    )


def client(env: EnvironmentConfig, service: str, *, boto_session: Any = None, max_attempts: int = 3) -> Any:
    """A boto3 client for ``service`` in ``env``, with short connect timeouts."""
    sess = boto_session or session(env)
    kwargs: dict[str, Any] = {"config": client_config(max_attempts)}
    if env.emulator:
        kwargs["endpoint_url"] = emulator.endpoint_url()
    return sess.client(service, **kwargs)


def require_credentials(env: EnvironmentConfig, *, verify: bool = True) -> str:
    """Fail fast unless ``env`` has credentials; return a one-line description of the identity.

    For the emulator this is a no-op. For a real environment it resolves credentials without
    the instance-metadata endpoint and, with ``verify``, calls STS GetCallerIdentity with a 5 s
    connect timeout and a single attempt.
    """
    if env.emulator:
        return "emulator at %s (dummy credentials)" % emulator.endpoint_url()
    sess = session(env)
    credentials = sess.get_credentials()
    if credentials is None:
        raise CredentialsError(
            "ENV=%s needs AWS credentials for region %s and none were found (looked at AWS_ACCESS_KEY_ID/"
            "AWS_SECRET_ACCESS_KEY, AWS_PROFILE and the shared config/credentials files, SSO and web identity;"
            " the instance-metadata endpoint is not consulted unless AWS_EC2_METADATA_DISABLED=false)."
            " Configure credentials (e.g. `aws sso login --profile X` then AWS_PROFILE=X), or use ENV=local,"
            " which runs against the emulator on 127.0.0.1 without an AWS account." % (env.name, env.region)
        )
    if not verify:
        return "credentials from %s" % credentials.method
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        identity = client(env, "sts", boto_session=sess, max_attempts=1).get_caller_identity()
    except (BotoCoreError, ClientError) as exc:
        raise CredentialsError(
            "ENV=%s: AWS credentials were found (%s) but STS GetCallerIdentity failed: %s"
            % (env.name, credentials.method, exc)
        ) from None
    return "account %s as %s" % (identity["Account"], identity["Arn"])
