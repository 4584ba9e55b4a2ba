"""LogEncryptionKey: the customer-managed KMS key that encrypts an environment's CloudWatch log groups.

Smallest example::

    from modules.log_encryption import LogEncryptionKey, LogEncryptionKeyProps

    key = LogEncryptionKey(stack, "LogEncryptionKey", props=LogEncryptionKeyProps(
        name="flask-app-dev", region="us-east-1", log_group_patterns=("/ecs/flask-app-dev/*",)))
    CloudwatchLogGroup(..., kms_key_id=key.key_arn)

What it builds:

* a symmetric KMS key with yearly automatic rotation and a 30-day deletion window (unless set);
  no alias (an alias would need ``kms:*Alias`` in the key policy for nothing the stack uses);
* its key policy, written inline on the key (a key policy, not an IAM policy document), with
  two statements and no wildcard action:

  - ``KeyAdministration``: this account's root principal may administer and use the key, so
    IAM policies in the account decide who else may (the AWS default key policy grants
    ``kms:*`` for the same purpose; the actions are listed here instead);
  - ``CloudWatchLogs``: the regional CloudWatch Logs service may encrypt and decrypt, only for
    log groups of this account and region whose names match ``log_group_patterns``
    (``kms:EncryptionContext:aws:logs:arn``; ``kms:DescribeKey`` carries no encryption context,
    so it is not listed: under that condition it could never be granted).

In a key policy ``"Resource": "*"`` means *this key*; the policy cannot name other keys.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from cdktf_cdktf_provider_aws.data_aws_caller_identity import DataAwsCallerIdentity
from cdktf_cdktf_provider_aws.data_aws_partition import DataAwsPartition
from cdktf_cdktf_provider_aws.kms_key import KmsKey
from constructs import Construct

#: What the account (and through IAM, its administrators) may do with the key.
KEY_ADMIN_ACTIONS = (
    "kms:CancelKeyDeletion",
    "kms:CreateGrant",
    "kms:Decrypt",
    "kms:DescribeKey",
    "kms:DisableKey",
    "kms:DisableKeyRotation",
    "kms:EnableKey",
    "kms:EnableKeyRotation",
    "kms:Encrypt",
    "kms:GenerateDataKey",
    "kms:GetKeyPolicy",
    "kms:GetKeyRotationStatus",
    "kms:ListGrants",
    "kms:ListKeyPolicies",
    "kms:ListResourceTags",
    "kms:PutKeyPolicy",
    "kms:ReEncryptFrom",
    "kms:ReEncryptTo",
    "kms:RevokeGrant",
    "kms:ScheduleKeyDeletion",
    "kms:TagResource",
    "kms:UntagResource",
    "kms:UpdateKeyDescription",
)
#: What CloudWatch Logs needs to write and read encrypted log events.
LOGS_ACTIONS = (
    "kms:Decrypt",
    "kms:Encrypt",
    "kms:GenerateDataKey",
    "kms:GenerateDataKeyWithoutPlaintext",
    "kms:ReEncryptFrom",
    "kms:ReEncryptTo",
)


@dataclass(frozen=True, kw_only=True)
class LogEncryptionKeyProps:
    """Inputs of :class:`LogEncryptionKey`."""

    name: str
    """Physical name prefix, ``{app}-{env}``; the key is tagged ``Name={name}-logs``."""
    region: str
    """Region of the CloudWatch Logs service principal (``logs.<region>.amazonaws.com``)."""
    log_group_patterns: tuple[str, ...]
    """Names (``*`` wildcards allowed) of the log groups that may use the key; at least one."""
    deletion_window_days: int = 30
    """Waiting period before a scheduled deletion; 30 days unless set (KMS allows 7..30)."""

    def __post_init__(self) -> None:
        if not self.log_group_patterns:
            raise ValueError("LogEncryptionKeyProps.log_group_patterns is empty; allowed: at least one log group name")
        for pattern in self.log_group_patterns:
            if pattern in ("", "*"):
                raise ValueError(
                    "LogEncryptionKeyProps.log_group_patterns contains %r; allowed: names of this environment's log"
                    " groups (e.g. '/ecs/flask-app-dev/*')" % pattern
                )
        if not 7 <= self.deletion_window_days <= 30:
            raise ValueError(
                "LogEncryptionKeyProps.deletion_window_days=%r; allowed: 7..30" % self.deletion_window_days
            )


def rotating_key(
    scope: Construct, *, root: str, description: str, name_tag: str, deletion_window_days: int,
    statements: list[dict[str, Any]],
) -> KmsKey:
    """A symmetric key ``Key`` in ``scope`` with yearly rotation, tagged ``Name=<name_tag>`` (no alias), whose
    policy lets the account (``root``) administer and use it (``KeyAdministration``) and grants ``statements``."""
    policy = {
        "Version": "2012-10-17",
        "Statement": [
            {"Sid": "KeyAdministration", "Effect": "Allow", "Principal": {"AWS": root},
             "Action": list(KEY_ADMIN_ACTIONS), "Resource": "*"},
            *statements,
        ],
    }  # fmt: skip
    return KmsKey(
        scope,
        "Key",
        description=description,
        enable_key_rotation=True,
        deletion_window_in_days=deletion_window_days,
        policy=json.dumps(policy, sort_keys=True),
        tags={"Name": name_tag},
    )


class LogEncryptionKey(Construct):
    """Customer-managed KMS key for CloudWatch Logs, with a least-privilege key policy."""

    key_arn: str
    key_id: str

    def __init__(self, scope: Construct, id_: str, *, props: LogEncryptionKeyProps) -> None:
        super().__init__(scope, id_)
        account_id = DataAwsCallerIdentity(self, "CallerIdentity").account_id
        partition = DataAwsPartition(self, "Partition").partition
        root = "arn:%s:iam::%s:root" % (partition, account_id)
        log_group_arns = [
            "arn:%s:logs:%s:%s:log-group:%s" % (partition, props.region, account_id, pattern)
            for pattern in props.log_group_patterns
        ]
        key = rotating_key(
            self,
            root=root,
            description="CloudWatch Logs encryption for %s" % props.name,
            name_tag="%s-logs" % props.name,
            deletion_window_days=props.deletion_window_days,
            statements=[
                {
                    "Sid": "CloudWatchLogs",
                    "Effect": "Allow",
                    "Principal": {"Service": "logs.%s.amazonaws.com" % props.region},
                    "Action": list(LOGS_ACTIONS),
                    "Resource": "*",
                    "Condition": {"StringLike": {"kms:EncryptionContext:aws:logs:arn": log_group_arns}},
                },
            ],
        )
        self.key_arn = key.arn
        self.key_id = key.key_id
