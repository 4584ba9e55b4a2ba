"""Account prerequisites of an environment that live outside its stacks, for the emulator only.

Example::

    from envconfig import load_environment
    from ops import aws
    from ops.bootstrap import ensure_prerequisites

    env = load_environment("local")
    ensure_prerequisites(env, aws.session(env))
    # prerequisites: created public hosted zone local.test (/hostedzone/...) in the emulator

The service stack looks up the public Route 53 zone ``load_balancer.hosted_zone_name`` by name
(for its certificate's DNS validation record and the alias record) and never creates it: in an
AWS account the zone is set up once, delegated from the registrar, and outlives every stack.
The emulator starts empty, so for ``emulator = true`` environments this creates the zone when it
is missing (idempotent: an existing public zone of that name is reused). For real accounts it
changes nothing; a missing zone fails ``terraform plan`` with "no matching Route 53 Hosted Zone
found", before anything is created.

``ops.tf.prepare`` calls it right after starting the emulator, before any Terraform runs, so
``make deploy``, ``make plan`` / ``make drift`` and ``make destroy`` all find the zone; the
destroy's leftover check leaves hosted zones alone (they are not the stack's).
"""

from __future__ import annotations

import sys
import time
from typing import Any, TextIO

#: Comment set on zones created here, so a reader of the emulator knows where they came from.
ZONE_COMMENT = "Account prerequisite created by ops/bootstrap.py for the emulator (not managed by a stack)"


def find_public_zone(route53: Any, name: str) -> str | None:
    """Id (``/hostedzone/...``) of the public hosted zone called ``name``, else None."""
    wanted = name.rstrip(".") + "."
    response = route53.list_hosted_zones_by_name(DNSName=wanted)
    for zone in response.get("HostedZones", []):
        if zone.get("Name") == wanted and not zone.get("Config", {}).get("PrivateZone", False):
            return str(zone["Id"])
    return None


def ensure_prerequisites(env_config: Any, session: Any, *, log: TextIO = sys.stdout) -> list[str]:
    """Create what ``env_config`` expects to exist before its stacks (emulator only); one line per item.

    Returns the lines it printed. ``session`` is a boto3 Session for the environment
    (``ops.aws.session``); clients come from ``ops.aws.client`` so they reach the emulator.
    """
    from ops import aws

    zone_name = env_config.load_balancer.hosted_zone_name
    if not env_config.emulator:
        lines = [
            "prerequisites: none created in a real account%s"
            % (" (the public hosted zone %s must exist)" % zone_name if zone_name else "")
        ]
    elif zone_name is None:
        lines = ["prerequisites: none (no load_balancer.hosted_zone_name)"]
    else:
        route53 = aws.client(env_config, "route53", boto_session=session)
        existing = find_public_zone(route53, zone_name)
        if existing is not None:
            lines = ["prerequisites: public hosted zone %s exists (%s)" % (zone_name, existing)]
        else:
            created = route53.create_hosted_zone(
                Name=zone_name,
                CallerReference="ops-bootstrap-%s-%d" % (zone_name, time.time_ns()),
                HostedZoneConfig={"Comment": ZONE_COMMENT, "PrivateZone": False},
            )
            lines = [
                "prerequisites: created public hosted zone %s (%s) in the emulator"
                % (zone_name, created["HostedZone"]["Id"])
            ]
    for line in lines:
        print("   " + line, file=log, flush=True)
    return lines
