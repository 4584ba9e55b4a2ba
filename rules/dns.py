"""DNS names and e-mail addresses as AWS accepts them (Route 53, ACM, Cloud Map, SNS).

Example::

    from rules.dns import is_dns_name, is_email_address
    is_dns_name("app.example.com")            # True
    is_dns_name("internal", min_labels=1)     # True: a Cloud Map namespace may be one label
    is_email_address("oncall@example.com")    # True

Source: RFC 1035 section 2.3.4 (labels of 1..63 characters, names of at most 253 in text form),
restricted to lowercase letters, digits and ``-`` without a leading or trailing ``-`` and without
a trailing dot (the form Route 53 returns); ACM: a certificate's first domain name (its subject
CN) has at most 64 characters (ACM ``RequestCertificate``, ``DomainName``). A certificate is named by
its ARN (``arn:aws:acm:<region>:<account>:certificate/<id>``); an NLB terminates TLS only on a TLS
listener with one, and writes access logs only for TLS listeners (Elastic Load Balancing User
Guide for Network Load Balancers, "Access logs").
"""

from __future__ import annotations

import re

DNS_NAME_MAX = 253
ACM_DOMAIN_NAME_MAX = 64
_LABEL = r"(?!-)[a-z0-9-]{1,63}(?<!-)"
_NAME = re.compile(r"^%s(\.%s)*$" % (_LABEL, _LABEL))
# user@domain: no spaces, exactly one '@', a DNS name (any case) after it.
_EMAIL = re.compile(r"^[^@\s]{1,64}@(?!-)[A-Za-z0-9-]{1,63}(?<!-)(\.(?!-)[A-Za-z0-9-]{1,63}(?<!-))+$")

CERTIFICATE_ARN = re.compile(r"^arn:aws[a-z-]*:acm:[a-z0-9-]+:\d{12}:certificate/[0-9a-f-]+$")
CERTIFICATE_ARN_ALLOWED = "arn:aws:acm:<region>:<account>:certificate/<id>"

DNS_NAME_ALLOWED = (
    "lowercase labels of letters, digits and '-' (1..63 characters, no leading or trailing '-') separated by '.',"
    " at most %d characters, no trailing dot" % DNS_NAME_MAX
)


def is_dns_name(value: str, *, min_labels: int = 2) -> bool:
    """True for a lowercase DNS name of at least ``min_labels`` labels (no trailing dot)."""
    return len(value) <= DNS_NAME_MAX and bool(_NAME.match(value)) and value.count(".") + 1 >= min_labels


def serves_tls(certificate_arn: str | None, domain_name: str | None) -> bool:
    """True when the load balancer has an HTTPS listener: a certificate ARN, or a domain to request one for."""
    return certificate_arn is not None or domain_name is not None


def requests_certificate(certificate_arn: str | None, domain_name: str | None) -> bool:
    """True when an ACM certificate is requested (and DNS-validated) for ``domain_name``: no ARN given."""
    return certificate_arn is None and domain_name is not None


def is_email_address(value: str) -> bool:
    """True for ``local@domain.tld`` (what an SNS e-mail subscription needs to be deliverable)."""
    return len(value) <= 254 and bool(_EMAIL.match(value))


def certificate_arn_problem(certificate_arn: str | None) -> str | None:
    """Why ``certificate_arn`` is not an ACM certificate ARN, or None (unset is fine here)."""
    if certificate_arn is not None and not CERTIFICATE_ARN.match(certificate_arn):
        return "certificate_arn=%r is not an ACM certificate ARN; allowed: %s" % (certificate_arn, CERTIFICATE_ARN_ALLOWED)
    return None


def nlb_listener_problem(protocol: str, certificate_arn: str | None, access_log_bucket: str | None) -> str | None:
    """The first problem of an NLB listener's protocol, certificate and access-log bucket, or None.

    TLS needs a certificate, TCP refuses one (nothing terminates TLS at the NLB), and an NLB logs
    TLS listeners only. The message starts with the field it names, for the caller's prefix.
    """
    if protocol == "TLS" and certificate_arn is None:
        return (
            "certificate_arn is not set for protocol='TLS'; allowed: an ACM certificate ARN, or protocol='TCP' to"
            " pass TLS through to the tasks"
        )
    if protocol == "TCP" and certificate_arn is not None:
        return (
            "certificate_arn=%r with protocol='TCP' (nothing terminates TLS at the NLB); allowed: unset, or"
            " protocol='TLS'" % certificate_arn
        )
    if access_log_bucket is not None and protocol != "TLS":
        return (
            "access_log_bucket=%r with protocol='TCP': an NLB logs TLS listeners only; allowed: unset, or"
            " protocol='TLS'" % access_log_bucket
        )
    return certificate_arn_problem(certificate_arn)
