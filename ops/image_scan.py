"""Before a production deploy: the repository's scan findings for the image, and whether it may ship.

Example::

    from ops import image_scan
    notes = image_scan.gate(env, "3f9c2ab", log=sys.stdout)   # raises ScanGateError to stop the deploy

``make deploy`` / ``make apply`` of an environment with ``production = true`` call :func:`gate`
after the image step and before the service is applied. It

1. finds the digest the environment's ECR repository holds under the tag (``DescribeImages``);
2. reads ``DescribeImageScanFindings`` for that digest, every page; while the scan is
   ``IN_PROGRESS`` or ``PENDING`` it waits (a progress line each time the status changes and every
   30 s) up to ``SCAN_TIMEOUT`` seconds (default 600). With no scan at all (an image pushed before
   scan on push was on) it starts one (``StartImageScan``) and waits for it;
3. prints every finding (severity, name, package, uri), most severe first;
4. stops on CRITICAL, and on HIGH unless ``[environments.<env>.registry]
   allow_high_findings_reason`` gives a written reason (printed with the findings it accepts).

A scan that cannot give findings (``FAILED``, ``UNSUPPORTED_IMAGE``, ``FINDINGS_UNAVAILABLE``, ...)
stops the deploy too: a production image is shipped only with a completed scan. The severities
and scan statuses are botocore's ECR API model's (``FindingSeverity``, ``ScanStatus``); basic scan
``findings`` and Amazon Inspector's ``enhancedFindings`` are both read.

On the emulator (``emulator = true``) an image that is not in its ECR (the emulator is not a
registry; ``make deploy`` pushes nowhere) is reported as not checked instead.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from typing import TYPE_CHECKING, Any, TextIO

from ops.context import OpsError
from rules.images import ALLOWABLE_SEVERITY, BLOCKING_SEVERITY

if TYPE_CHECKING:
    from envconfig import EnvironmentConfig

DEFAULT_TIMEOUT_SECONDS = 600.0
POLL_SECONDS = 5.0
PROGRESS_EVERY_SECONDS = 30.0
#: Scan statuses that mean "not yet"; COMPLETE and ACTIVE (enhanced scanning) have findings. Every
#: other status of the model means no findings will come for this image.
WAIT_STATUSES = frozenset({"IN_PROGRESS", "PENDING"})
DONE_STATUSES = frozenset({"COMPLETE", "ACTIVE"})
NO_SCAN = "NO_SCAN"  # DescribeImageScanFindings answered ScanNotFoundException


class ScanGateError(OpsError):
    """The image may not be deployed to production (findings, or no completed scan); nothing was applied."""


@cache
def severities() -> tuple[str, ...]:
    """ECR's finding severities, least to most severe as the API model lists them (UNDEFINED last)."""
    import botocore.session

    enum = botocore.session.get_session().get_service_model("ecr").shape_for("FindingSeverity").enum
    return tuple(enum)


@dataclass(frozen=True)
class Finding:
    severity: str
    name: str
    package: str = ""
    uri: str = ""

    def line(self) -> str:
        return "%-13s %-24s %-32s %s" % (self.severity, self.name, self.package or "-", self.uri or "-")


def _rank(severity: str) -> int:
    """Sort key: most severe first; severities the model does not know (e.g. Inspector's UNTRIAGED) after it."""
    known = [s for s in severities() if s != "UNDEFINED"]
    return -known.index(severity) if severity in known else 1


def findings_from(answer: Mapping[str, Any]) -> list[Finding]:
    """The findings of one ``DescribeImageScanFindings`` page: basic ``findings`` and ``enhancedFindings``."""
    scan = answer.get("imageScanFindings") or {}
    out: list[Finding] = []
    for item in scan.get("findings") or []:
        attributes = {a.get("key"): a.get("value") for a in item.get("attributes") or []}
        package = " ".join(filter(None, (attributes.get("package_name"), attributes.get("package_version"))))
        out.append(Finding(severity=str(item.get("severity", "UNDEFINED")), name=str(item.get("name", "?")),
                           package=package, uri=str(item.get("uri") or "")))  # fmt: skip
    for item in scan.get("enhancedFindings") or []:
        details = item.get("packageVulnerabilityDetails") or {}
        packages = ", ".join(
            " ".join(filter(None, (p.get("name"), p.get("version")))) for p in details.get("vulnerablePackages") or []
        )
        out.append(Finding(severity=str(item.get("severity", "UNDEFINED")),
                           name=str(details.get("vulnerabilityId") or item.get("title") or "?"),
                           package=packages, uri=str(details.get("sourceUrl") or "")))  # fmt: skip
    return out


@dataclass(frozen=True)
class Verdict:
    """What the gate decided and the lines it prints."""

    ok: bool
    lines: list[str] = field(default_factory=list)
    error: str | None = None


def decide(findings: Sequence[Finding], *, env_name: str, reference: str, allow_high_reason: str | None) -> Verdict:
    """Pure: may ``reference`` (``repo@digest``) ship to ``env_name`` with ``findings``?

    CRITICAL always stops; HIGH stops unless ``allow_high_reason`` is set (the config validated it
    as a written reason). The lines list every finding, most severe first, then the decision.
    """
    ordered = sorted(findings, key=lambda f: (_rank(f.severity), f.name, f.package))
    counts: dict[str, int] = {}
    for finding in ordered:
        counts[finding.severity] = counts.get(finding.severity, 0) + 1
    summary = ", ".join("%s %d" % (s, n) for s, n in counts.items()) or "none"
    lines = ["scan findings for %s: %d (%s)" % (reference, len(ordered), summary)]
    if ordered:
        lines.append("  %-13s %-24s %-32s %s" % ("SEVERITY", "NAME", "PACKAGE", "URI"))
        lines += ["  " + f.line() for f in ordered]
    critical = counts.get(BLOCKING_SEVERITY, 0)
    high = counts.get(ALLOWABLE_SEVERITY, 0)
    where = "[environments.%s.registry] allow_high_findings_reason" % env_name
    if critical or (high and not allow_high_reason):
        stops = " and ".join(
            "%d %s" % (n, s) for s, n in ((BLOCKING_SEVERITY, critical), (ALLOWABLE_SEVERITY, high))
            if n and (s == BLOCKING_SEVERITY or not allow_high_reason)
        )  # fmt: skip
        error = (
            "ENV=%s: %s has %s scan finding(s) (listed above); a production deploy stops on %s, and on %s unless %s"
            " gives a written reason; nothing was applied. Ship a fixed image (update the base image or the"
            " dependency, commit, deploy again)"
            % (env_name, reference, stops, BLOCKING_SEVERITY, ALLOWABLE_SEVERITY, where)
        )
        lines.append("scan gate: STOPPED on %s" % stops)
        return Verdict(ok=False, lines=lines, error=error)
    if high:
        lines.append(
            "scan gate: passed with %d %s finding(s) accepted by %s: %r"
            % (high, ALLOWABLE_SEVERITY, where, allow_high_reason)
        )
    else:
        lines.append("scan gate: passed (no %s or %s findings)" % (BLOCKING_SEVERITY, ALLOWABLE_SEVERITY))
    return Verdict(ok=True, lines=lines)


def scan_state(status: str) -> str:
    """``wait``, ``done`` or ``stop`` for a scan ``status`` (or :data:`NO_SCAN`)."""
    if status in WAIT_STATUSES or status == NO_SCAN:
        return "wait"
    if status in DONE_STATUSES:
        return "done"
    return "stop"


def _error_code(exc: Exception) -> str:
    response = getattr(exc, "response", None) or {}
    return str(response.get("Error", {}).get("Code", ""))


def read_findings(
    client: Any,
    repository_name: str,
    digest: str,
    *,
    timeout: float = DEFAULT_TIMEOUT_SECONDS,
    poll: float = POLL_SECONDS,
    log: TextIO = sys.stdout,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
) -> list[Finding]:
    """The completed scan's findings for ``repository_name@digest``; waits while the scan runs."""
    from botocore.exceptions import ClientError

    started = clock()
    shown: tuple[str, float] | None = None
    scan_started = False
    image_id = {"imageDigest": digest}
    while True:
        pages: list[dict[str, Any]] = []
        try:
            paginator = client.get_paginator("describe_image_scan_findings")
            pages = list(paginator.paginate(repositoryName=repository_name, imageId=image_id))
            status = str(pages[0].get("imageScanStatus", {}).get("status", "?"))
            description = str(pages[0].get("imageScanStatus", {}).get("description", ""))
        except ClientError as exc:
            if _error_code(exc) != "ScanNotFoundException":
                raise ScanGateError(
                    "ECR DescribeImageScanFindings %s@%s failed: %s" % (repository_name, digest, exc)
                ) from None
            status, description = NO_SCAN, "no scan of this image yet"
        state = scan_state(status)
        elapsed = clock() - started
        if state == "done":
            print("   scan %s after %.0f s" % (status, elapsed), file=log, flush=True)
            return [f for page in pages for f in findings_from(page)]
        if state == "stop":
            raise ScanGateError(
                "the scan of %s@%s is %s (%s): no findings to check, and a production image ships only with a"
                " completed scan; nothing was applied. Push a new build (scan on push), or start a scan:"
                " aws ecr start-image-scan --repository-name %s --image-id imageDigest=%s"
                % (repository_name, digest, status, description or "no description", repository_name, digest)
            )
        if status == NO_SCAN and not scan_started:
            scan_started = True
            try:
                client.start_image_scan(repositoryName=repository_name, imageId=image_id)
                print(
                    "   no scan of %s@%s yet: started one (StartImageScan)" % (repository_name, digest),
                    file=log,
                    flush=True,
                )
            except ClientError as exc:  # e.g. LimitExceededException: the on-push scan is about to report
                print("   no scan yet; StartImageScan: %s; waiting" % _error_code(exc), file=log, flush=True)
        if elapsed >= timeout:
            raise ScanGateError(
                "the scan of %s@%s did not complete in %.0f s (last status %s); nothing was applied. Wait and deploy"
                " again, or raise SCAN_TIMEOUT" % (repository_name, digest, timeout, status)
            )
        if shown is None or shown[0] != status or elapsed - shown[1] >= PROGRESS_EVERY_SECONDS:
            print(
                "   scan %s (%s), %.0f s of at most %.0f s" % (status, description, elapsed, timeout),
                file=log,
                flush=True,
            )
            shown = (status, elapsed)
        sleep(poll)


def image_digest(client: Any, repository_name: str, tag: str) -> str | None:
    """The digest ``repository_name`` holds under ``tag`` (``DescribeImages``), or None."""
    from botocore.exceptions import ClientError

    try:
        details = client.describe_images(repositoryName=repository_name, imageIds=[{"imageTag": tag}])["imageDetails"]
    except ClientError as exc:
        if _error_code(exc) == "ImageNotFoundException":
            return None
        raise ScanGateError("ECR DescribeImages %s:%s failed: %s" % (repository_name, tag, exc)) from None
    return str(details[0]["imageDigest"]) if details else None


def timeout_from(environ: Mapping[str, str] = os.environ) -> float:
    raw = environ.get("SCAN_TIMEOUT") or ""
    if not raw:
        return DEFAULT_TIMEOUT_SECONDS
    try:
        value = float(raw)
    except ValueError:
        value = -1.0
    if value <= 0:
        raise ScanGateError(
            "SCAN_TIMEOUT=%r is not valid; allowed: seconds > 0 (default %.0f)" % (raw, DEFAULT_TIMEOUT_SECONDS)
        )
    return value


def before_deploy(env: EnvironmentConfig, tag: str, *, log: TextIO = sys.stdout) -> list[str]:
    """The gate for a ``production = true`` environment (:func:`gate`); nothing for the others."""
    return gate(env, tag, log=log) if env.production else []


def gate(
    env: EnvironmentConfig,
    tag: str,
    *,
    log: TextIO = sys.stdout,
    client: Any = None,
    timeout: float | None = None,
    poll: float = POLL_SECONDS,
) -> list[str]:
    """Check the scan findings of ``env``'s image ``tag``; raise ScanGateError to stop; return notes."""
    from rules.naming import LIMITS

    repository_name = env.physical_name(limit=LIMITS["ecr_repository"])
    if client is None:
        from ops import aws

        client = aws.client(env, "ecr")
    print("   scan gate (production): findings of %s:%s" % (repository_name, tag), file=log, flush=True)
    digest = image_digest(client, repository_name, tag)
    if digest is None:
        if env.emulator:
            note = "scan findings not checked: the emulator's ECR holds no image %s:%s (it is not a registry)" % (
                repository_name, tag)  # fmt: skip
            print("   %s" % note, file=log)
            return [note]
        raise ScanGateError(
            "ENV=%s: the repository %s has no image %s, so its scan findings cannot be read; nothing was applied."
            " Push it first (make push ENV=%s, or make deploy without SKIP_IMAGE)"
            % (env.name, repository_name, tag, env.name)
        )
    findings = read_findings(client, repository_name, digest, timeout=timeout_from() if timeout is None else timeout,
                             poll=poll, log=log)  # fmt: skip
    verdict = decide(findings, env_name=env.name, reference="%s@%s (tag %s)" % (repository_name, digest, tag),
                     allow_high_reason=env.registry.allow_high_findings_reason)  # fmt: skip
    for line in verdict.lines:
        print("   " + line, file=log)
    if not verdict.ok:
        raise ScanGateError(verdict.error or "scan gate stopped")
    return []
