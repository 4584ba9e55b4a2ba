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
* One account per environment: :func:`session` assumes ``env.assume_role`` when set and checks
  with STS that the credentials act in ``env.account_id``; any other account stops the command
  before it reads or changes anything, naming both accounts. Terraform gets the same pin from
  the stacks (``allowed_account_ids`` and ``assume_role`` on the provider and the S3 backend).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from ops import emulator
from ops.context import OpsError

if TYPE_CHECKING:
    from envconfig import EnvironmentConfig

CONNECT_TIMEOUT_SECONDS = 5
READ_TIMEOUT_SECONDS = 60


class CredentialsError(OpsError):
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


def _base_session(env: EnvironmentConfig) -> Any:
    """The caller's own credentials (dummy keys for the emulator), before any role is assumed."""
    import boto3

    _harden_process()
    if env.emulator:
        return boto3.Session(
            aws_access_key_id=emulator.DUMMY_ACCESS_KEY_ID,
            aws_secret_access_key=emulator.DUMMY_SECRET_ACCESS_KEY,
            region_name=env.region,
        )
    return boto3.Session(region_name=env.region)


def _no_credentials(env: EnvironmentConfig) -> CredentialsError:
    return CredentialsError(
        "ENV=%s needs AWS credentials for region %s and none were found (looked at AWS_ACCESS_KEY_ID/"
        "AWS_SECRET_ACCESS_KEY, AWS_PROFILE and the shared config/credentials files, SSO and web identity;"
        " the instance-metadata endpoint is not consulted unless AWS_EC2_METADATA_DISABLED=false)."
        " Configure credentials (e.g. `aws sso login --profile X` then AWS_PROFILE=X), or use ENV=local,"
        " which runs against the emulator on 127.0.0.1 without an AWS account." % (env.name, env.region)
    )


def assume_role(env: EnvironmentConfig, base: Any) -> Any:
    """A Session with the credentials of ``env.assume_role`` (STS AssumeRole from ``base``)."""
    import boto3
    from botocore.exceptions import BotoCoreError, ClientError

    role = env.assume_role
    assert role is not None
    kwargs: dict[str, Any] = {"RoleArn": role.role_arn, "RoleSessionName": role.session_name}
    if role.external_id is not None:
        kwargs["ExternalId"] = role.external_id
    sts = base.client("sts", config=client_config(1), **_endpoint(env))
    try:
        credentials = sts.assume_role(**kwargs)["Credentials"]
    except (BotoCoreError, ClientError) as exc:
        raise CredentialsError(
            "ENV=%s: could not assume %s (assume_role.role_arn): %s" % (env.name, role.role_arn, exc)
        ) from None
    return boto3.Session(
        aws_access_key_id=credentials["AccessKeyId"],
        aws_secret_access_key=credentials["SecretAccessKey"],
        aws_session_token=credentials["SessionToken"],
        region_name=env.region,
    )


#: Verified sessions of this process: (environment, account, role, endpoint) -> (session, identity line).
_SESSIONS: dict[tuple[str, str, str, str], tuple[Any, str]] = {}


def session(env: EnvironmentConfig) -> Any:
    """A boto3 Session acting in ``env``'s account: its role assumed, the account checked.

    Raises :class:`CredentialsError` without credentials, when the role cannot be assumed, or when
    the credentials belong to another account than ``env.account_id`` (both ids in the message),
    before any command reads or changes anything. Cached per process.
    """
    return _verified(env)[0]


def _verified(env: EnvironmentConfig) -> tuple[Any, str]:
    key = (env.name, env.account_id, repr(env.assume_role), emulator.endpoint_url() if env.emulator else "")
    if key not in _SESSIONS:
        base = _base_session(env)
        if not env.emulator and base.get_credentials() is None:
            raise _no_credentials(env)
        sess = assume_role(env, base) if env.assume_role else base
        _SESSIONS[key] = (sess, check_account(env, sess))
    return _SESSIONS[key]


def check_account(env: EnvironmentConfig, sess: Any) -> str:
    """STS GetCallerIdentity; raise CredentialsError unless it is ``env.account_id``. Returns a description."""
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        identity = sess.client("sts", config=client_config(1), **_endpoint(env)).get_caller_identity()
    except (BotoCoreError, ClientError) as exc:
        raise CredentialsError("ENV=%s: STS GetCallerIdentity failed: %s" % (env.name, exc)) from None
    if identity["Account"] != env.account_id:
        raise CredentialsError(
            "ENV=%s lives in AWS account %s (account_id), but the credentials are for account %s (%s);"
            " nothing was read or changed. Use credentials for %s, or fix account_id in envconfig/environments.toml"
            % (env.name, env.account_id, identity["Account"], identity["Arn"], env.account_id)
        )
    return "account %s as %s" % (identity["Account"], identity["Arn"])


def _endpoint(env: EnvironmentConfig) -> dict[str, str]:
    return {"endpoint_url": emulator.endpoint_url()} if env.emulator else {}


def client_config(max_attempts: int = 3) -> Any:
    from botocore.config import Config

    return Config(
        connect_timeout=CONNECT_TIMEOUT_SECONDS,
        read_timeout=READ_TIMEOUT_SECONDS,
        retries={"max_attempts": max_attempts, "mode": "standard"},
    )


def client(env: EnvironmentConfig, service: str, *, boto_session: Any = None, max_attempts: int = 3) -> Any:
    """A boto3 client for ``service`` in ``env`` (its account checked), with short connect timeouts."""
    sess = boto_session or session(env)
    return sess.client(service, config=client_config(max_attempts), **_endpoint(env))


def require_credentials(env: EnvironmentConfig) -> str:
    """Fail fast unless ``env`` has usable credentials for its own account; one line describing them.

    Resolves credentials without the instance-metadata endpoint, assumes ``env.assume_role`` if
    set, and checks the account with STS GetCallerIdentity (5 s connect timeout, one attempt).
    For the emulator the same happens against its STS with dummy keys.
    """
    identity = _verified(env)[1]
    if env.emulator:
        return "emulator at %s (dummy credentials): %s" % (emulator.endpoint_url(), identity)
    return identity
