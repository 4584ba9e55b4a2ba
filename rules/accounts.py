"""AWS account ids and the role an environment's commands assume in its account.

Example::

    from rules.accounts import account_problems
    account_problems("123456789012", "arn:aws:iam::123456789012:role/deployer")   # []
    account_problems("12345", None)   # ["account_id='12345' is not an AWS account id; allowed: 12 digits"]

Sources: an account id is 12 digits (AWS Account Management reference, "AWS account
identifiers"); STS ``AssumeRole`` takes a ``RoleSessionName`` of 2..64 characters ``[\\w+=,.@-]``
and an ``ExternalId`` of 2..1224 characters ``[\\w+=,.@:/-]`` (checked against botocore's STS model
by ``tests/test_rules.py``).
"""

from __future__ import annotations

import re

ACCOUNT_ID = re.compile(r"^\d{12}$")
ROLE_ARN = re.compile(r"^arn:aws[a-z-]*:iam::(\d{12}):role/[\w+=,.@/-]{1,512}$")
SESSION_NAME_MIN, SESSION_NAME_MAX = 2, 64
SESSION_NAME_CHARS = r"[\w+=,.@-]"
EXTERNAL_ID_MIN, EXTERNAL_ID_MAX = 2, 1224
EXTERNAL_ID_CHARS = r"[\w+=,.@:/-]"


def role_account(role_arn: str) -> str | None:
    """The account id in an IAM role ARN, or None when it is not one."""
    match = ROLE_ARN.match(role_arn)
    return match.group(1) if match else None


def account_problems(account_id: str, role_arn: str | None) -> list[str]:
    """Why ``account_id`` (and the role assumed in it) cannot be used, one message each."""
    if not ACCOUNT_ID.match(account_id):
        return ["account_id=%r is not an AWS account id; allowed: 12 digits" % account_id]
    if role_arn is None:
        return []
    in_account = role_account(role_arn)
    if in_account is None:
        return ["assume_role.role_arn=%r is not an IAM role ARN; allowed: arn:aws:iam::<12 digits>:role/<name>" % role_arn]
    if in_account != account_id:
        return [
            "assume_role.role_arn=%r is a role in account %s, not in account_id=%s; allowed: a role in %s (the"
            " environment's own account)" % (role_arn, in_account, account_id, account_id)
        ]
    return []


def name_problem(field: str, value: str, lo: int, hi: int, chars: str) -> str | None:
    """The message when ``value`` is not ``lo..hi`` characters of ``chars``, else None."""
    if lo <= len(value) <= hi and re.fullmatch("%s*" % chars, value):
        return None
    return "%s=%r; allowed: %d..%d characters of %s" % (field, value, lo, hi, chars)
