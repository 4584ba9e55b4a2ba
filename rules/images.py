"""Image tags the project deploys: the shape of a tag and which tags are refused.

Example::

    from rules.images import tag_problem, deploy_tag
    tag_problem("3f9c2ab")          # None
    tag_problem("latest")           # "tag='latest' is not allowed as a deploy tag; ..."
    deploy_tag("3f9c2ab", dirty=[])                              # "3f9c2ab"
    deploy_tag("3f9c2ab", dirty=["app/x.py"], allow_dirty=True, diff_hash="0c1d2e3f4a5b")
                                                                 # "3f9c2ab-dirty-0c1d2e3f4a5b"
    image_platform({"container": "ARM64"})                        # "linux/arm64"
    findings_reason_problem("TODO")                               # "... is not a reason; allowed: ..."

Rules: a tag is a Docker tag (``[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}``, Docker's reference grammar);
``latest`` is never a deploy tag (a moving tag cannot say what runs); the tag is the short git
sha of the commit the build inputs come from, and build inputs that differ from that commit
either stop the build or, when explicitly allowed, give a ``<sha>-dirty-<hash>`` tag, where the
hash is a content hash of the uncommitted build inputs: two different uncommitted trees never
share a tag (the repository's tags are immutable), and the same tree always gets the same one.
The image is built for the platform the tasks run on (``cpu_architecture`` -> ``linux/amd64`` or
``linux/arm64``); one image serves every workload of an environment, so they share one
architecture. A production deploy stops on HIGH scan findings unless the environment gives a
written reason (:func:`findings_reason_problem` says what counts as one). Reading git, Docker and
ECR is the caller's job (``ops.image``, ``ops.image_remote``, ``ops.image_scan``); this module
holds only the rules.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

FORBIDDEN_TAGS = ("latest",)
TAG_PATTERN = r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}"
DIRTY_SUFFIX = "-dirty"
# Hex characters of the content hash in a ``<sha>-dirty-<hash>`` tag (48 bits: no collision between
# the uncommitted trees of one commit in practice).
DIFF_HASH_LENGTH = 12
_DIFF_HASH_RE = re.compile(r"^[0-9a-f]{%d}$" % DIFF_HASH_LENGTH)
# The files an image is built from; a change to any of them changes the image.
BUILD_INPUTS = ("Dockerfile", ".dockerignore", "requirements-app.txt", "app")
DIRTY_SHOWN = 10

_TAG_RE = re.compile(r"^%s$" % TAG_PATTERN)


def tag_problem(tag: str) -> str | None:
    """Why ``tag`` cannot be deployed, or None when it can."""
    if tag in FORBIDDEN_TAGS:
        return f"tag={tag!r} is not allowed as a deploy tag; allowed: a git sha (the default)"
    if not _TAG_RE.fullmatch(tag):
        return f"tag={tag!r} is not a valid Docker tag; allowed: {TAG_PATTERN}"
    return None


def dirty_problem(sha: str, dirty: Sequence[str], *, allow_dirty: bool) -> str | None:
    """Why a tree whose build inputs ``dirty`` differ from ``sha`` cannot be built, or None."""
    if not dirty or allow_dirty:
        return None
    shown = ", ".join(dirty[:DIRTY_SHOWN]) + (" ..." if len(dirty) > DIRTY_SHOWN else "")
    return (
        f"the build inputs differ from HEAD ({sha}): {shown}; commit them, "
        "or set ALLOW_DIRTY=1 to build a '<sha>-dirty-<hash>' tag that production never deploys"
    )


def deploy_tag(sha: str, *, dirty: Sequence[str], allow_dirty: bool = False, diff_hash: str | None = None) -> str:
    """The tag for a build from ``sha``; raises ValueError with the reason when there is none.

    With ``dirty`` build inputs (and ``allow_dirty``) the tag is ``<sha>-dirty-<diff_hash>``, where
    ``diff_hash`` is the content hash of those uncommitted inputs (:data:`DIFF_HASH_LENGTH` hex
    characters): a plain ``<sha>-dirty`` would name a second, different tree in an immutable
    repository.
    """
    problem = dirty_problem(sha, dirty, allow_dirty=allow_dirty)
    if problem:
        raise ValueError(problem)
    tag = sha
    if dirty:
        if diff_hash is None or not _DIFF_HASH_RE.fullmatch(diff_hash):
            raise ValueError(
                "diff_hash=%r for the uncommitted build inputs; allowed: %d lowercase hex characters"
                % (diff_hash, DIFF_HASH_LENGTH)
            )
        tag = f"{sha}{DIRTY_SUFFIX}-{diff_hash}"
    problem = tag_problem(tag)
    if problem:
        raise ValueError(problem)
    return tag


# ---- platform ------------------------------------------------------------------------------------

#: The task's ``runtime_platform.cpu_architecture`` (ECS ``CPUArchitecture``) -> Docker's platform.
DOCKER_PLATFORMS: dict[str, str] = {"X86_64": "linux/amd64", "ARM64": "linux/arm64"}


def image_platform(architectures: Mapping[str, str]) -> str:
    """The ``docker build --platform`` for tasks of ``architectures`` (where -> cpu_architecture).

    The environment's one image runs in every workload's task, so all must share one architecture;
    raises ValueError naming the fields otherwise.
    """
    if not architectures:
        raise ValueError("no task to build the image for; allowed: at least the environment's container")
    for where, architecture in architectures.items():
        if architecture not in DOCKER_PLATFORMS:
            raise ValueError("%s.cpu_architecture=%r; allowed: %s" % (where, architecture, ", ".join(DOCKER_PLATFORMS)))
    (first_where, first), *rest = architectures.items()
    for where, architecture in rest:
        if architecture != first:
            raise ValueError(
                "%s.cpu_architecture=%r differs from %s.cpu_architecture=%r: every workload runs the environment's"
                " one image, built for one platform; allowed: the same cpu_architecture for all"
                % (where, architecture, first_where, first)
            )
    return DOCKER_PLATFORMS[first]


# ---- scan findings ---------------------------------------------------------------------------

#: ECR finding severities (botocore's ``FindingSeverity``) that stop a production deploy, and the one
#: an environment may accept with a written reason (``registry.allow_high_findings_reason``).
BLOCKING_SEVERITY = "CRITICAL"
ALLOWABLE_SEVERITY = "HIGH"
REASON_MIN_CHARS = 20
REASON_MAX_CHARS = 1000
# Placeholders that say nothing about why the findings are acceptable.
_PLACEHOLDER_WORDS = frozenset(
    {"todo", "tbd", "fixme", "xxx", "n/a", "na", "none", "null", "reason", "ok", "yes", "true", "accepted", "allow"}
    | {"allowed", "ignore", "temp", "temporary", "later", "test", "changeme", "placeholder", "-", "..."}
)


def findings_reason_problem(reason: str) -> str | None:
    """Why ``reason`` is not a written reason to deploy an image with HIGH findings, or None.

    A reason is prose a reviewer can check: at least :data:`REASON_MIN_CHARS` characters and three
    words, not only placeholders (``TODO``, ``n/a``, ``accepted``, ...).
    """
    text = " ".join(reason.split())
    allowed = (
        "a written reason of %d..%d characters and at least three words, e.g. 'CVE-2026-1234 is in"
        " libfoo, which the app never loads; fix expected in the next base image'"
        % (REASON_MIN_CHARS, REASON_MAX_CHARS)
    )
    words = [w.strip(".,;:!?'\"()").lower() for w in text.split(" ") if w]
    if len(text) < REASON_MIN_CHARS or len(text) > REASON_MAX_CHARS or len(words) < 3:
        return "%r is not a reason; allowed: %s" % (reason, allowed)
    if all(w in _PLACEHOLDER_WORDS or not w for w in words) or len(set(words)) < 2:
        return "%r is a placeholder, not a reason; allowed: %s" % (reason, allowed)
    return None
