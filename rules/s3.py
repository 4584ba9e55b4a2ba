"""S3 bucket names, and the default name of an account's Terraform state bucket.

Example::

    from rules.s3 import bucket_name_problem, default_state_bucket
    default_state_bucket("123456789012", "us-east-1")    # "tfstate-123456789012-us-east-1"
    default_server_access_log_bucket("123456789012", "us-east-1")  # "s3-access-logs-123456789012-us-east-1"
    bucket_name_problem("My_Bucket")                    # "... allowed: 3..63 lowercase letters, ..."

Source: Amazon S3 User Guide, "General purpose bucket naming rules": 3..63 characters of
lowercase letters, digits, ``.`` and ``-``; beginning and ending with a letter or digit; no two
adjacent periods; not formatted as an IP address; not starting with ``xn--``, ``sthree-`` or
``amzn-s3-demo-``; not ending with ``-s3alias``, ``--ol-s3``, ``.mrap`` or ``--x-s3``.
"""

from __future__ import annotations

import re

_NAME = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")
_IP = re.compile(r"^\d+\.\d+\.\d+\.\d+$")
RESERVED_PREFIXES = ("xn--", "sthree-", "amzn-s3-demo-")
RESERVED_SUFFIXES = ("-s3alias", "--ol-s3", ".mrap", "--x-s3")
#: The Terraform resources that configure a bucket (``aws_s3_bucket_<setting>``): they exist only with
#: their bucket, so the bucket is what a teardown proves gone and what a picture draws.
BUCKET_SETTINGS = (
    "lifecycle_configuration", "logging", "notification", "ownership_controls", "policy", "public_access_block",
    "server_side_encryption_configuration", "versioning",
)  # fmt: skip
ALLOWED = (
    "3..63 lowercase letters, digits, '.' and '-', starting and ending with a letter or digit, no '..', not an IP"
    " address, not starting with %s, not ending with %s" % ("/".join(RESERVED_PREFIXES), "/".join(RESERVED_SUFFIXES))
)


def bucket_name_problem(name: str) -> str | None:
    """Why ``name`` is not a valid general purpose bucket name, or None."""
    if (
        not _NAME.match(name)
        or ".." in name
        or _IP.match(name)
        or name.startswith(RESERVED_PREFIXES)
        or name.endswith(RESERVED_SUFFIXES)
    ):
        return "bucket name %r is not valid; allowed: %s" % (name, ALLOWED)
    return None


def state_object_key(key_prefix: str, app_name: str, stack_name: str) -> str:
    """``<key_prefix>/<app_name>/<stack>.tfstate``: one bucket per account holds every app's stacks."""
    return "%s/%s/%s.tfstate" % (key_prefix, app_name, stack_name)


def default_state_bucket(account_id: str, region: str) -> str:
    """One state bucket per account and region: the account id makes it globally unique."""
    return "tfstate-%s-%s" % (account_id, region)


def default_server_access_log_bucket(account_id: str, region: str) -> str:
    """One bucket per account and region for the S3 server access logs of the account's buckets, beside the
    state bucket (``make bootstrap`` creates both)."""
    return "s3-access-logs-%s-%s" % (account_id, region)
