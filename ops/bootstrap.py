"""Account prerequisites of an environment that live outside its stacks: the state bucket, the S3
access-log bucket, the zone.

Example::

    make bootstrap ENV=prod          # python -m ops.bootstrap --env prod: the state bucket, once per account

    from ops.bootstrap import ensure_prerequisites
    ensure_prerequisites(env, aws.session(env))   # the emulator: bucket and zone, created when missing

**The state bucket** (``backend.type = "s3"``, the default) holds every stack's Terraform state
and lock files for one account and region: ``tfstate-<account_id>-<region>`` unless
``backend.bucket`` names another. ``make bootstrap`` creates it, or brings an existing one to
these settings (idempotent; one progress line each):

* versioning on, so every state write can be rolled back; old versions expire after
  ``backend.noncurrent_version_days`` (90 unless set) and unfinished uploads after 7 days;
* default encryption with KMS (the AWS-managed ``aws/s3`` key, bucket key on);
* all four public-access blocks on, object ownership enforced (no ACLs);
* a bucket policy that denies any request without TLS and denies ``s3:DeleteBucket``: the
  bucket is not part of any stack, so ``make destroy`` never touches it, and deleting it by
  hand needs the policy removed first.

``make plan`` / ``deploy`` / ``destroy`` check that the bucket exists before running Terraform
and stop with the bootstrap command to run when it does not.

**The S3 access-log bucket** receives the S3 server access logs of the ALB access-log bucket
(``modules.access_log_bucket``; who read or deleted which log file), one per account and region:
``s3-access-logs-<account_id>-<region>`` unless ``access_logs.server_access_log_bucket`` names
another. ``make bootstrap`` creates or updates it beside the state bucket: SSE-S3 (server access
logs are delivered only to SSE-S3 buckets), all public access blocked, ownership enforced, a
lifecycle that deletes logs after a year (or ``access_logs.retention_days`` when longer) and a
policy that lets only ``logging.s3.amazonaws.com`` of this account write, over TLS. It does not
log itself: S3 advises against a log bucket that logs its own access (Amazon S3 User Guide,
"Logging requests with server access logging"). ``make plan`` / ``deploy`` / ``destroy`` check
it exists when access logs are on.

**The public hosted zone** ``load_balancer.hosted_zone_name`` is looked up by the service stack
(for its certificate's DNS validation and its alias record) and never created by it: in an
account the zone is set up once and delegated from the registrar. In the emulator both the
zone and the bucket are created when missing (the emulator starts empty), so every command
finds them; in a real account a missing zone fails ``terraform plan`` before anything changes.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable
from typing import Any, Literal, TextIO

from ops.context import OpsError

#: Comment set on zones created here, so a reader of the emulator knows where they came from.
ZONE_COMMENT = "Account prerequisite created by ops/bootstrap.py for the emulator (not managed by a stack)"
#: Tags of the state bucket. No ``environment`` tag: it serves every environment of its account.
STATE_BUCKET_TAGS = {"purpose": "terraform-state", "managed-by": "ops/bootstrap.py"}
ABORT_INCOMPLETE_UPLOAD_DAYS = 7
#: Tags of the S3 access-log bucket; like the state bucket, it serves every environment of its account.
SERVER_ACCESS_LOG_BUCKET_TAGS = {"purpose": "s3-server-access-logs", "managed-by": "ops/bootstrap.py"}


class BootstrapError(OpsError):
    """A prerequisite is missing or cannot be created; the message says what to run."""


def find_public_zone(route53: Any, name: str) -> str | None:
    """Id (``/hostedzone/...``) of the public hosted zone called ``name``, else None."""
    wanted = name.rstrip(".") + "."
    response = route53.list_hosted_zones_by_name(DNSName=wanted)
    for zone in response.get("HostedZones", []):
        if zone.get("Name") == wanted and not zone.get("Config", {}).get("PrivateZone", False):
            return str(zone["Id"])
    return None


def _ensure_zone(env_config: Any, session: Any) -> str:
    from ops import aws

    zone_name = env_config.load_balancer.hosted_zone_name
    if zone_name is None:
        return "prerequisites: no hosted zone (no load_balancer.hosted_zone_name)"
    route53 = aws.client(env_config, "route53", boto_session=session)
    existing = find_public_zone(route53, zone_name)
    if existing is not None:
        return "prerequisites: public hosted zone %s exists (%s)" % (zone_name, existing)
    created = route53.create_hosted_zone(
        Name=zone_name,
        CallerReference="ops-bootstrap-%s-%d" % (zone_name, time.time_ns()),
        HostedZoneConfig={"Comment": ZONE_COMMENT, "PrivateZone": False},
    )
    return "prerequisites: created public hosted zone %s (%s) in the emulator" % (zone_name, created["HostedZone"]["Id"])


# --------------------------------------------------------------------------------------------
# The state bucket.
# --------------------------------------------------------------------------------------------


def bucket_exists(s3: Any, bucket: str, env_config: Any, *, field: str = "backend.bucket") -> bool:
    """True when ``bucket`` exists and this account may use it; False when it does not exist. ``field`` is the
    setting that names another bucket (in the error when the bucket belongs to another account)."""
    from botocore.exceptions import ClientError

    try:
        s3.head_bucket(Bucket=bucket, ExpectedBucketOwner=env_config.account_id)
    except ClientError as exc:
        code = str(exc.response.get("Error", {}).get("Code"))
        if code in ("404", "NoSuchBucket", "NotFound"):
            return False
        if code in ("403", "AccessDenied", "Forbidden"):
            default = {"backend.bucket": "tfstate-<account_id>-<region>"}.get(field, "s3-access-logs-<account_id>-<region>")
            raise BootstrapError(
                "the %s %s exists but is not usable from account %s (HTTP 403: owned by another account,"
                " or no s3:ListBucket); allowed: a bucket of account %s, e.g. leave %s unset for %s"
                % ("state bucket" if field == "backend.bucket" else "S3 access-log bucket", bucket,
                   env_config.account_id, env_config.account_id, field, default)
            ) from None  # fmt: skip
        raise
    return True


def state_bucket_policy(bucket: str, *, tls_only: bool = True) -> dict[str, Any]:
    """TLS only, and no DeleteBucket (the state of every stack of the account lives here).

    ``tls_only=False`` is for the emulator alone, which serves plain HTTP and, like S3, enforces
    the policy: with the TLS statement no request could reach the bucket.
    """
    arn = "arn:aws:s3:::%s" % bucket
    statements: list[dict[str, Any]] = [
        {"Sid": "DenyBucketDeletion", "Effect": "Deny", "Principal": "*", "Action": "s3:DeleteBucket", "Resource": arn}
    ]
    if tls_only:
        statements.insert(0, {
            "Sid": "DenyInsecureTransport",
            "Effect": "Deny",
            "Principal": "*",
            "Action": "s3:*",
            "Resource": [arn, arn + "/*"],
            "Condition": {"Bool": {"aws:SecureTransport": "false"}},
        })  # fmt: skip
    return {"Version": "2012-10-17", "Statement": statements}


def _private_bucket(
    s3: Any, bucket: str, region: str, exists: bool, label: str, account: str, say: Callable[[str], None]
) -> None:
    """Create ``bucket`` unless it ``exists``; either way enforce object ownership (no ACLs) and all four
    public-access blocks. The caller applies (and reports) the rest of its settings."""
    if exists:
        say("%s s3://%s exists; bringing its settings up to date" % (label, bucket))
    else:
        kwargs: dict[str, Any] = {"Bucket": bucket, "ObjectOwnership": "BucketOwnerEnforced"}
        if region != "us-east-1":
            kwargs["CreateBucketConfiguration"] = {"LocationConstraint": region}
        s3.create_bucket(**kwargs)
        say("created %s s3://%s in %s (account %s)" % (label, bucket, region, account))
    s3.put_bucket_ownership_controls(
        Bucket=bucket, OwnershipControls={"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]}
    )
    s3.put_public_access_block(
        Bucket=bucket,
        PublicAccessBlockConfiguration={
            "BlockPublicAcls": True, "IgnorePublicAcls": True, "BlockPublicPolicy": True, "RestrictPublicBuckets": True,
        },
    )  # fmt: skip


def ensure_state_bucket(
    env_config: Any, session: Any, *, mode: Literal["check", "create-missing", "configure"], log: TextIO = sys.stdout
) -> list[str]:
    """The state bucket, one line per step: ``check`` that it exists; ``create-missing``: create and
    configure it only when it does not exist; ``configure``: create it if needed and (re)apply every
    setting (``make bootstrap``)."""
    from ops import aws

    bucket, region = env_config.state_bucket, env_config.state_region
    s3 = aws.client(env_config, "s3", boto_session=session)
    lines: list[str] = []

    def say(line: str) -> None:
        lines.append(line)
        print("   " + line, file=log, flush=True)

    exists = bucket_exists(s3, bucket, env_config)
    if mode == "check" or (mode == "create-missing" and exists):
        if not exists:
            raise BootstrapError(
                "the state bucket %s does not exist in account %s (region %s); create it once per account and"
                " region with `make bootstrap ENV=%s`" % (bucket, env_config.account_id, region, env_config.name)
            )
        say("state bucket: s3://%s (account %s, %s)" % (bucket, env_config.account_id, region))
        return lines
    _private_bucket(s3, bucket, region, exists, "state bucket", env_config.account_id, say)
    say("  public access: all four blocks on; object ownership enforced (no ACLs)")
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    say("  versioning: on")
    s3.put_bucket_encryption(
        Bucket=bucket,
        ServerSideEncryptionConfiguration={
            "Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms"}, "BucketKeyEnabled": True}]
        },
    )
    say("  default encryption: aws:kms (AWS-managed aws/s3 key, bucket key on)")
    days = env_config.backend.noncurrent_version_days
    s3.put_bucket_lifecycle_configuration(
        Bucket=bucket,
        LifecycleConfiguration={
            "Rules": [
                {
                    "ID": "expire-old-state-versions",
                    "Status": "Enabled",
                    "Filter": {},
                    "NoncurrentVersionExpiration": {"NoncurrentDays": days},
                    "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": ABORT_INCOMPLETE_UPLOAD_DAYS},
                }
            ]
        },
    )
    say("  lifecycle: old state versions expire after %d days; unfinished uploads after %d"
        % (days, ABORT_INCOMPLETE_UPLOAD_DAYS))  # fmt: skip
    tls_only = not env_config.emulator
    s3.put_bucket_policy(Bucket=bucket, Policy=json.dumps(state_bucket_policy(bucket, tls_only=tls_only)))
    say("  policy: %ss3:DeleteBucket denied (make destroy never deletes it)"
        % ("TLS only; " if tls_only else "NOT TLS-only (the emulator serves plain HTTP); "))  # fmt: skip
    s3.put_bucket_tagging(Bucket=bucket, Tagging={"TagSet": [{"Key": k, "Value": v} for k, v in STATE_BUCKET_TAGS.items()]})
    return lines


def server_access_log_bucket_policy(bucket: str, account_id: str, *, tls_only: bool = True) -> dict[str, Any]:
    """S3 server access log delivery from this account's buckets only; TLS only (except in the emulator)."""
    arn = "arn:aws:s3:::%s" % bucket
    statements: list[dict[str, Any]] = [{
        "Sid": "AllowS3ServerAccessLogs",
        "Effect": "Allow",
        "Principal": {"Service": "logging.s3.amazonaws.com"},
        "Action": "s3:PutObject",
        "Resource": arn + "/*",
        "Condition": {"StringEquals": {"aws:SourceAccount": account_id}},
    }]  # fmt: skip
    if tls_only:
        statements.append({
            "Sid": "DenyInsecureTransport", "Effect": "Deny", "Principal": "*", "Action": "s3:*",
            "Resource": [arn, arn + "/*"], "Condition": {"Bool": {"aws:SecureTransport": "false"}},
        })  # fmt: skip
    return {"Version": "2012-10-17", "Statement": statements}


def ensure_server_access_log_bucket(
    env_config: Any, session: Any, *, mode: Literal["check", "create-missing", "configure"], log: TextIO = sys.stdout
) -> list[str]:
    """The S3 access-log bucket, as :func:`ensure_state_bucket` does the state bucket (same modes)."""
    from ops import aws
    from rules.logs import security_log_retention_days

    bucket, region, account = env_config.server_access_log_bucket, env_config.region, env_config.account_id
    s3 = aws.client(env_config, "s3", boto_session=session)
    lines: list[str] = []

    def say(line: str) -> None:
        lines.append(line)
        print("   " + line, file=log, flush=True)

    exists = bucket_exists(s3, bucket, env_config, field="access_logs.server_access_log_bucket")
    if mode == "check" or (mode == "create-missing" and exists):
        if not exists:
            raise BootstrapError(
                "the S3 access-log bucket %s does not exist in account %s (region %s); create it once per account"
                " and region with `make bootstrap ENV=%s`" % (bucket, account, region, env_config.name)
            )
        say("S3 access-log bucket: s3://%s (account %s, %s)" % (bucket, account, region))
        return lines
    _private_bucket(s3, bucket, region, exists, "S3 access-log bucket", account, say)
    s3.put_bucket_encryption(
        Bucket=bucket,
        ServerSideEncryptionConfiguration={"Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]},
    )
    say("  public access: all four blocks on; ownership enforced; default encryption SSE-S3 (AES256)")
    days = security_log_retention_days(env_config.access_logs.retention_days)
    s3.put_bucket_lifecycle_configuration(
        Bucket=bucket,
        LifecycleConfiguration={"Rules": [{
            "ID": "expire-access-logs", "Status": "Enabled", "Filter": {}, "Expiration": {"Days": days},
            "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": ABORT_INCOMPLETE_UPLOAD_DAYS},
        }]},
    )  # fmt: skip
    say("  lifecycle: logs expire after %d days" % days)
    tls_only = not env_config.emulator
    policy = server_access_log_bucket_policy(bucket, account, tls_only=tls_only)
    s3.put_bucket_policy(Bucket=bucket, Policy=json.dumps(policy))
    say("  policy: only S3 log delivery of account %s writes%s" % (account, "; TLS only" if tls_only else
        " (NOT TLS-only: the emulator serves plain HTTP)"))  # fmt: skip
    s3.put_bucket_tagging(
        Bucket=bucket, Tagging={"TagSet": [{"Key": k, "Value": v} for k, v in SERVER_ACCESS_LOG_BUCKET_TAGS.items()]}
    )
    return lines


def ensure_prerequisites(env_config: Any, session: Any, *, log: TextIO = sys.stdout) -> list[str]:
    """Emulator: create what ``env_config`` expects to exist before its stacks; one line per item.

    A real account is only checked: the state bucket must exist (``make bootstrap``); the zone
    is looked up by the plan itself.
    """
    lines: list[str] = []
    if env_config.emulator:
        lines.append(_ensure_zone(env_config, session))
        print("   " + lines[-1], file=log, flush=True)
    if env_config.backend.type == "s3":
        mode: Literal["check", "create-missing"] = "create-missing" if env_config.emulator else "check"
        lines += ensure_state_bucket(env_config, session, mode=mode, log=log)
        if env_config.access_logs.enabled:
            lines += ensure_server_access_log_bucket(env_config, session, mode=mode, log=log)
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m ops.bootstrap", description=__doc__.split("\n")[0])
    parser.add_argument("--env", default="local", help="environment name (default: local)")
    args = parser.parse_args(argv)

    from botocore.exceptions import BotoCoreError, ClientError

    from envconfig import ConfigError, load_environment
    from ops import aws, emulator

    try:
        env = load_environment(args.env)
        if env.backend.type != "s3":
            print("bootstrap: %s keeps its state in .state/ (backend.type = \"local\"); nothing to create" % env.name)
            return 0
        print("==> bootstrap %s: account %s, region %s" % (env.name, env.account_id, env.state_region), flush=True)
        if env.emulator:
            print("   emulator %s at %s" % ("started" if emulator.start() else "already running", emulator.endpoint_url()))
        print("   AWS credentials: %s" % aws.require_credentials(env), flush=True)
        session = aws.session(env)
        ensure_state_bucket(env, session, mode="configure")
        if env.access_logs.enabled:
            ensure_server_access_log_bucket(env, session, mode="configure")
    except (ConfigError, OpsError) as exc:
        print("bootstrap: FAILED: %s" % exc, file=sys.stderr)
        return 1
    except (BotoCoreError, ClientError) as exc:
        print("bootstrap: FAILED: AWS error: %s" % exc, file=sys.stderr)
        return 1
    print("bootstrap: %s is ready for the S3 backend (s3://%s)" % (env.name, env.state_bucket))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
