"""Listener-rule facts of an application load balancer: priorities, conditions and their values.

Example::

    from rules.routing import routing_problem
    routing_problem(hosts=("api.example.com",), paths=("/api/*",), priority=10)   # None
    routing_problem(hosts=(), paths=("/api/*",), priority=None)
    # "priority=None with hosts/paths set; allowed: 1..50000 (each routed target needs a rule priority)"

A target with no host and no path condition is the listener's default action; one with
conditions is reached through a listener rule, whose priority must be unique on the listener.
"""

from __future__ import annotations

from collections.abc import Sequence

#: Rule priorities of an ALB listener (elbv2 ``CreateRule.Priority``, botocore model: min 1,
#: max 50000; ``tests/test_rules.py`` checks these against the model).
RULE_PRIORITY_MIN = 1
RULE_PRIORITY_MAX = 50000

#: Values one rule may match across its host-header and path-pattern conditions ("up to five match
#: evaluations per rule": Elastic Load Balancing, Listener rules for your Application Load Balancer,
#: Condition types).
MAX_CONDITION_VALUES = 5

#: Longest host-header or path-pattern value (same page: "Each ... can be up to 128 characters").
MAX_CONDITION_VALUE_LENGTH = 128

_HOST_CHARS = set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-.*?")
# Path patterns: A-Z, a-z, 0-9, _ - . $ / ~ " ' @ : + & (as &amp;), and the wildcards * and ?.
_PATH_CHARS = set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-.$/~\"'@:+&*?")


def routing_problem(*, hosts: Sequence[str], paths: Sequence[str], priority: int | None) -> str | None:
    """Why these host/path conditions and priority cannot form one listener rule, else None."""
    routed = bool(hosts or paths)
    if routed and priority is None:
        return "priority=None with hosts/paths set; allowed: %d..%d (each routed target needs a rule priority)" % (
            RULE_PRIORITY_MIN,
            RULE_PRIORITY_MAX,
        )
    if not routed and priority is not None:
        return "priority=%r without hosts or paths; allowed: no priority for the listener's default target" % priority
    if priority is not None and not RULE_PRIORITY_MIN <= priority <= RULE_PRIORITY_MAX:
        return "priority=%r; allowed: %d..%d" % (priority, RULE_PRIORITY_MIN, RULE_PRIORITY_MAX)
    if len(hosts) + len(paths) > MAX_CONDITION_VALUES:
        return "%d host/path values; allowed: at most %d per listener rule" % (
            len(hosts) + len(paths),
            MAX_CONDITION_VALUES,
        )
    for kind, values, chars in (("hosts", hosts, _HOST_CHARS), ("paths", paths, _PATH_CHARS)):
        for value in values:
            if not value or len(value) > MAX_CONDITION_VALUE_LENGTH:
                return "%s value %r is %d characters; allowed: 1..%d" % (
                    kind,
                    value,
                    len(value),
                    MAX_CONDITION_VALUE_LENGTH,
                )
            bad = sorted(set(value) - chars)
            if bad:
                return "%s value %r contains %s; allowed: %s" % (
                    kind,
                    value,
                    "".join(bad),
                    "letters, digits, '-', '.', '*' and '?'"
                    if kind == "hosts"
                    else "letters, digits, _ - . $ / ~ \" ' @ : + &, '*' and '?'",
                )
            if kind == "paths" and not value.startswith("/"):
                return "paths value %r; allowed: a path pattern starting with '/', e.g. '/api/*'" % value
    return None


def _glob_prefix(pattern: str) -> str:
    """The literal part of a host/path pattern before its first wildcard."""
    for i, ch in enumerate(pattern):
        if ch in "*?":
            return pattern[:i]
    return pattern


def patterns_overlap(a: str, b: str) -> bool:
    """Whether two ALB match patterns (``*``/``?`` wildcards, case-insensitive) can match one value.

    Exact for patterns without wildcards and for trailing-``*`` prefixes (the usual ``/api/*``);
    otherwise conservative: two patterns whose literal prefixes are compatible count as overlapping.
    """
    a, b = a.lower(), b.lower()
    if "*" not in a and "?" not in a and "*" not in b and "?" not in b:
        return a == b
    pa, pb = _glob_prefix(a), _glob_prefix(b)
    if "*" not in a and "?" not in a:
        return a.startswith(pb)
    if "*" not in b and "?" not in b:
        return b.startswith(pa)
    return pa.startswith(pb) or pb.startswith(pa)
