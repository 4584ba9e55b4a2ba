"""Image tags the project deploys: the shape of a tag and which tags are refused.

Example::

    from rules.images import tag_problem, deploy_tag
    tag_problem("3f9c2ab")          # None
    tag_problem("latest")           # "tag='latest' is not allowed as a deploy tag; ..."
    deploy_tag("3f9c2ab", dirty=[])                              # "3f9c2ab"
    deploy_tag("3f9c2ab", dirty=["app/x.py"], allow_dirty=True)  # "3f9c2ab-dirty"

Rules: a tag is a Docker tag (``[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}``, Docker's reference grammar);
``latest`` is never a deploy tag (a moving tag cannot say what runs); the tag is the short git
sha of the commit the build inputs come from, and build inputs that differ from that commit
either stop the build or, when explicitly allowed, give a ``<sha>-dirty`` tag. Reading git is
the caller's job (``ops.image``); this module holds only the rules.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

FORBIDDEN_TAGS = ("latest",)
TAG_PATTERN = r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}"
DIRTY_SUFFIX = "-dirty"
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
        "or set ALLOW_DIRTY=1 to build a '-dirty' tag that is not deployable"
    )


def deploy_tag(sha: str, *, dirty: Sequence[str], allow_dirty: bool = False) -> str:
    """The tag for a build from ``sha``; raises ValueError with the reason when there is none."""
    problem = dirty_problem(sha, dirty, allow_dirty=allow_dirty)
    tag = f"{sha}{DIRTY_SUFFIX}" if dirty else sha
    problem = problem or tag_problem(tag)
    if problem:
        raise ValueError(problem)
    return tag
