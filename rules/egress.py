"""Egress rules of a task security group, and the KMS keys of a task's secrets.

Example::

    from rules.egress import destination_problem, kms_key_problem, needs_open_reason, port_range_problem
    port_range_problem(5432, 5432)                                   # None
    destination_problem(cidr=None, prefix_list_id=None, security_group_id="sg-0123456789abcdef0")   # None
    needs_open_reason("tcp", 5432, 5432, "0.0.0.0/0")                # True: open to the internet, not 443
    kms_key_problem("arn:aws:kms:us-east-1:111122223333:alias/db")   # "... is not a KMS key ARN; allowed: ..."

A task reaches a dependency (a database, a cache, a partner API) through one egress rule per
destination: a port or a port range, ``tcp`` or ``udp``, a description, and exactly one
destination: a CIDR block, a managed prefix list (``pl-...``) or a security group (``sg-...``).
Every task already has HTTPS (TCP 443) to anywhere (ECR, CloudWatch Logs, Secrets Manager, SSM
through endpoints or NAT); any other port open to the whole internet (``0.0.0.0/0``, ``::/0``)
needs a written reason where the environment is production.

Secrets encrypted with a customer-managed KMS key need ``kms:Decrypt`` on that key for the
execution role, used through the service that holds the secret (``kms:ViaService``
``secretsmanager.<region>.amazonaws.com`` / ``ssm.<region>.amazonaws.com``). A secret and its key
are in the same region: Secrets Manager and SSM call KMS in their own region.

Sources: Amazon EC2 API Reference, ``IpRange`` / ``Ipv6Range`` / ``PrefixListId`` /
``UserIdGroupPair`` ``Description`` (up to 255 characters of ``a-z A-Z 0-9``, spaces and
``._-:/()#,@[]+=;{}!$*``; ``&`` only for CIDR rules, so it is left out here);
``tests/test_egress.py`` compares them with botocore's EC2 model. AWS KMS Developer Guide,
"kms:ViaService" and "Key ARN"; Amazon ECS Developer Guide, "Required IAM permissions for
Amazon ECS secrets".
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable, Mapping

#: Protocols an egress rule may use; ``tcp`` unless set.
PROTOCOLS: tuple[str, ...] = ("tcp", "udp")
PORT_MIN, PORT_MAX = 1, 65535
#: Destinations open to everyone.
OPEN_CIDRS: tuple[str, ...] = ("0.0.0.0/0", "::/0")
#: The one port every task may reach anywhere (the task security group's own HTTPS rule).
HTTPS_PORT = 443
DESCRIPTION_MAX = 255
#: Punctuation EC2 allows in a rule description besides letters, digits and spaces (all kinds of rule).
DESCRIPTION_PUNCTUATION = "._-:/()#,@[]+=;{}!$*"
_DESCRIPTION = re.compile(r"^[A-Za-z0-9 %s]*$" % re.escape(DESCRIPTION_PUNCTUATION))
PREFIX_LIST_ID = re.compile(r"^pl-[0-9a-f]{8}([0-9a-f]{9})?$")
SECURITY_GROUP_ID = re.compile(r"^sg-[0-9a-f]{8}([0-9a-f]{9})?$")
#: A rule's name: the last part of its construct id (``Egress-<name>``), so it must stay stable.
RULE_NAME = re.compile(r"^[a-z][a-z0-9-]{0,31}$")
RULE_NAME_ALLOWED = "1-32 lowercase letters, digits and '-', starting with a letter"
#: Key ARNs only: IAM matches ``kms:Decrypt`` against the key's ARN, never an alias's.
KMS_KEY_ARN = re.compile(
    r"^arn:aws[a-z-]*:kms:([a-z0-9-]+):(\d{12}):key/(mrk-[0-9a-f]{32}|[0-9a-f]{8}(-[0-9a-f]{4}){3}-[0-9a-f]{12})$"
)
KMS_KEY_ARN_ALLOWED = "arn:aws:kms:<region>:<account>:key/<key id> (a key ARN, not an alias)"
#: Services a task's secrets come from (the ``service`` part of their ARNs).
SECRET_SERVICES: tuple[str, ...] = ("secretsmanager", "ssm")


def port_range_problem(from_port: int, to_port: int) -> str | None:
    """Why ``from_port..to_port`` is not a port range, else None."""
    for value in (from_port, to_port):
        if not PORT_MIN <= value <= PORT_MAX:
            return "port %r; allowed: %d..%d" % (value, PORT_MIN, PORT_MAX)
    if from_port > to_port:
        return "from_port=%d > to_port=%d; allowed: from_port <= to_port" % (from_port, to_port)
    return None


def cidr_problem(cidr: str) -> str | None:
    """Why ``cidr`` is not an IPv4 or IPv6 CIDR block with its host bits zero, else None."""
    try:
        ipaddress.ip_network(cidr, strict=True)
    except ValueError as exc:
        return "cidr=%r is not a CIDR block (%s); allowed: an IPv4 or IPv6 block with its host bits zero, e.g." \
               " 10.30.128.0/20" % (cidr, exc)  # fmt: skip
    return None


def destination_problem(*, cidr: str | None, prefix_list_id: str | None, security_group_id: str | None) -> str | None:
    """Why the destination is not exactly one valid CIDR block, prefix list id or security group id, else None."""
    given = {k: v for k, v in (("cidr", cidr), ("prefix_list_id", prefix_list_id),
                               ("security_group_id", security_group_id)) if v is not None}  # fmt: skip
    if len(given) != 1:
        shown = ", ".join("%s=%r" % item for item in given.items()) or "none"
        return "destination %s; allowed: exactly one of cidr, prefix_list_id or security_group_id" % shown
    if cidr is not None:
        return cidr_problem(cidr)
    if prefix_list_id is not None and not PREFIX_LIST_ID.match(prefix_list_id):
        return "prefix_list_id=%r; allowed: a managed prefix list id such as pl-0123456789abcdef0" % prefix_list_id
    if security_group_id is not None and not SECURITY_GROUP_ID.match(security_group_id):
        return "security_group_id=%r; allowed: a security group id such as sg-0123456789abcdef0" % security_group_id
    return None


def description_problem(description: str) -> str | None:
    """Why ``description`` cannot describe a security group rule, else None."""
    if description and not description.strip():
        return "description=%r is blank; allowed: 1..%d characters saying what the tasks reach" % (
            description,
            DESCRIPTION_MAX,
        )
    if not description or len(description) > DESCRIPTION_MAX:
        return "description=%r is %d characters; allowed: 1..%d" % (description, len(description), DESCRIPTION_MAX)
    if not _DESCRIPTION.match(description):
        bad = "".join(sorted({ch for ch in description if not _DESCRIPTION.match(ch)}))
        return "description=%r contains %r; allowed: letters, digits, spaces and %s" % (
            description, bad, DESCRIPTION_PUNCTUATION)  # fmt: skip
    return None


def is_open(cidr: str | None) -> bool:
    """Whether a destination is the whole internet (``0.0.0.0/0`` or ``::/0``)."""
    return cidr is not None and cidr_problem(cidr) is None and ipaddress.ip_network(cidr).prefixlen == 0


def needs_open_reason(protocol: str, from_port: int, to_port: int, cidr: str | None) -> bool:
    """Whether a rule opens the task to the whole internet on something other than TCP 443."""
    return is_open(cidr) and not (protocol == "tcp" and from_port == to_port == HTTPS_PORT)


def rule_key(protocol: str, from_port: int, to_port: int, destination: str) -> tuple[str, int, int, str]:
    """What makes two egress rules the same rule for EC2 (which refuses a duplicate)."""
    if cidr_problem(destination) is None:
        destination = str(ipaddress.ip_network(destination))
    return (protocol, from_port, to_port, destination)


#: The task security group's own rule: HTTPS to anywhere.
BUILT_IN_HTTPS = rule_key("tcp", HTTPS_PORT, HTTPS_PORT, "0.0.0.0/0")


def duplicate_problem(keys: Mapping[str, tuple[str, int, int, str]]) -> str | None:
    """Why rules (name -> :func:`rule_key`) cannot all exist on one security group, else None."""
    seen: dict[tuple[str, int, int, str], str] = {}
    for name, key in keys.items():
        if key == BUILT_IN_HTTPS:
            return "%s: tcp 443 to 0.0.0.0/0 is every task's own HTTPS rule; allowed: leave it out" % name
        if key in seen:
            return "%s is the same rule as %s (%s %d-%d to %s); allowed: each rule once" % (name, seen[key], *key)
        seen[key] = name
    return None


def secret_location(arn: str) -> tuple[str, str]:
    """``(service, region)`` of a secret's ARN (``secretsmanager`` or ``ssm``)."""
    parts = arn.split(":")
    return parts[2], parts[3]


def kms_key_problem(arn: str) -> str | None:
    """Why ``arn`` is not the ARN of a KMS key, else None."""
    if not KMS_KEY_ARN.match(arn):
        return "%r is not a KMS key ARN; allowed: %s" % (arn, KMS_KEY_ARN_ALLOWED)
    return None


def secret_keys_problem(keys: Mapping[str, str], secrets: Mapping[str, str]) -> str | None:
    """Why ``keys`` (secret name -> KMS key ARN) do not fit ``secrets`` (name -> ARN), else None.

    Each key names a secret of the same task and is a key ARN in that secret's region.
    """
    for name, key in keys.items():
        if name not in secrets:
            return "secret_kms_key_arns.%s: %r is not a secret of this container; allowed: names of secrets (%s)" % (
                name, name, ", ".join(sorted(secrets)) or "none set")  # fmt: skip
        problem = kms_key_problem(key)
        if problem:
            return "secret_kms_key_arns.%s=%s" % (name, problem)
        _, region = secret_location(secrets[name])
        key_region = KMS_KEY_ARN.match(key).group(1)  # type: ignore[union-attr]
        if key_region != region:
            return (
                "secret_kms_key_arns.%s=%r is a key in %s, but secrets.%s is in %s (the service that holds a secret"
                " uses a key of its own region); allowed: a key in %s" % (name, key, key_region, name, region, region)
            )
    return None


def via_service(service: str, region: str) -> str:
    """The ``kms:ViaService`` value of ``service`` (``secretsmanager`` or ``ssm``) in ``region``."""
    return "%s.%s.amazonaws.com" % (service, region)


def decrypt_grants(
    keys: Mapping[str, str], secrets: Mapping[str, str]
) -> list[tuple[tuple[str, ...], tuple[str, ...]]]:
    """``kms:Decrypt`` grants for the secrets' keys: ``[(key ARNs, ViaService values)]``, one entry per set of
    services, so each key is usable only through the services (and regions) of its own secrets."""
    services: dict[str, set[str]] = {}
    for name, key in keys.items():
        services.setdefault(key, set()).add(via_service(*secret_location(secrets[name])))
    grouped: dict[tuple[str, ...], list[str]] = {}
    for key, values in services.items():
        grouped.setdefault(tuple(sorted(values)), []).append(key)
    return sorted((tuple(sorted(k)), via) for via, k in grouped.items())


def secret_services(secret_arns: Iterable[str]) -> tuple[str, ...]:
    """The services (``secretsmanager``, ``ssm``) the secrets come from, sorted."""
    return tuple(sorted({secret_location(arn)[0] for arn in secret_arns}))
