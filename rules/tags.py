"""Tag limits shared by every taggable AWS resource the stacks create.

Example::

    from rules.tags import tag_problems
    tag_problems({"team": "payments"})       # []
    tag_problems({"x" * 129: "v"})           # ["tag key 'xxx…' is 129 characters; allowed: 1..128"]

Source: AWS General Reference, "Tagging your AWS resources" (tag naming limits and
requirements): a key is 1..128 and a value 0..256 Unicode characters of letters, numbers,
spaces and ``_ . : / = + - @``; ``aws:`` (any case) is reserved for AWS; at most 50 user tags
per resource. The lengths, the character class and the 50 are also in the AWS API models
(ECS ``TagKey`` / ``TagValue`` / ``Tags``), which ``tests/test_rules.py`` compares them with.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping

#: The ``project`` tag of every resource; the leftover check after destroy looks for it.
PROJECT_TAG = "ecs-fargate-flask"
#: Tags the stacks put on every resource; an environment's own ``tags`` may not redefine them.
STACK_TAG_KEYS: tuple[str, ...] = ("project", "environment", "managed-by", "app")

TAG_KEY_MAX = 128
TAG_VALUE_MAX = 256
TAGS_PER_RESOURCE_MAX = 50
#: Tags a construct may add to a resource on top of the default tags (``Name``, ``Tier``).
RESOURCE_TAGS_MAX = 2
RESERVED_PREFIX = "aws:"
#: Punctuation allowed besides Unicode letters (L*), numbers (N*) and separators (Z*).
ALLOWED_PUNCTUATION = "_.:/=+-@"


def default_tags(env_name: str, app_name: str, extra: Mapping[str, str]) -> dict[str, str]:
    """Tags on every resource of an environment: the stacks' own keys, then the environment's ``extra``."""
    return {"project": PROJECT_TAG, "environment": env_name, "managed-by": "cdktf", "app": app_name, **extra}


def _bad_characters(text: str) -> list[str]:
    return sorted({ch for ch in text if unicodedata.category(ch)[0] not in "LNZ" and ch not in ALLOWED_PUNCTUATION})


def tag_problems(tags: Mapping[str, str], *, field: str = "tags") -> list[str]:
    """Every way an environment's own ``tags`` break the AWS tag rules, one message each (empty when valid).

    Their count is checked against what the stacks' own tags leave of the 50 per resource.
    """
    problems: list[str] = []
    allowed_chars = "letters, digits, spaces and %s" % " ".join(ALLOWED_PUNCTUATION)
    for key, value in tags.items():
        if not 1 <= len(key) <= TAG_KEY_MAX:
            problems.append("%s key %r is %d characters; allowed: 1..%d" % (field, key, len(key), TAG_KEY_MAX))
        if len(value) > TAG_VALUE_MAX:
            problems.append(
                "%s.%s=%r is %d characters; allowed: at most %d" % (field, key, value, len(value), TAG_VALUE_MAX)
            )
        for what, text in (("key", key), ("value", value)):
            bad = _bad_characters(text)
            if bad:
                problems.append(
                    "%s %s %r contains %s; allowed: %s" % (field, what, text, " ".join(repr(c) for c in bad), allowed_chars)
                )
        if key in STACK_TAG_KEYS:
            problems.append(
                "%s.%s is set by the stacks on every resource; allowed: any key except %s"
                % (field, key, ", ".join(STACK_TAG_KEYS))
            )
        if key.lower().startswith(RESERVED_PREFIX):
            problems.append("%s key %r starts with %r; allowed: any other prefix (reserved for AWS)" % (field, key, key[:4]))
    limit = TAGS_PER_RESOURCE_MAX - RESOURCE_TAGS_MAX - len(STACK_TAG_KEYS)
    if len(tags) > limit:
        problems.append(
            "%s has %d tags; allowed: at most %d (AWS allows %d per resource; the stacks add %d everywhere and up to"
            " %d more on some resources)"
            % (field, len(tags), limit, TAGS_PER_RESOURCE_MAX, len(STACK_TAG_KEYS), RESOURCE_TAGS_MAX)
        )
    return problems
