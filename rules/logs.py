"""CloudWatch Logs facts: the retention values the API accepts, and the project's security-log floor.

Example::

    from rules.logs import LOG_RETENTION_DAYS, security_log_retention_days
    30 in LOG_RETENTION_DAYS             # True
    security_log_retention_days(30)      # 365

Source: CloudWatch Logs API Reference, ``PutRetentionPolicy`` (``retentionInDays``).
"""

from __future__ import annotations

# CloudWatch Logs PutRetentionPolicy accepts only these values (days).
LOG_RETENTION_DAYS: tuple[int, ...] = (
    1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731,
    1096, 1827, 2192, 2557, 2922, 3288, 3653,
)  # fmt: skip

#: Retention floor of the security logs (VPC flow logs, WAF requests): one year, whatever the
#: environment's app-log retention (docs/security.md).
SECURITY_LOG_RETENTION_DAYS = 365


def security_log_retention_days(retention_days: int) -> int:
    """Retention of the flow-log and WAF log groups: the app-log retention, at least one year."""
    return max(retention_days, SECURITY_LOG_RETENTION_DAYS)


def retention_problem(retention_days: int) -> str | None:
    """Why ``retention_days`` is not a CloudWatch retention value (``...; allowed: ...``), or None."""
    if retention_days in LOG_RETENTION_DAYS:
        return None
    return "%r is not a CloudWatch retention; allowed: %s" % (retention_days, ", ".join(map(str, LOG_RETENTION_DAYS)))
