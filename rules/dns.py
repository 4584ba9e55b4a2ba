"""DNS names and e-mail addresses as AWS accepts them (Route 53, ACM, Cloud Map, SNS).

Example::

    from rules.dns import is_dns_name, is_email_address
    is_dns_name("app.example.com")            # True
    is_dns_name("internal", min_labels=1)     # True: a Cloud Map namespace may be one label
    is_email_address("oncall@example.com")    # True

Source: RFC 1035 section 2.3.4 (labels of 1..63 characters, names of at most 253 in text form),
restricted to lowercase letters, digits and ``-`` without a leading or trailing ``-`` and without
a trailing dot (the form Route 53 returns); ACM: a certificate's first domain name (its subject
CN) has at most 64 characters (ACM ``RequestCertificate``, ``DomainName``).
"""

from __future__ import annotations

import re

DNS_NAME_MAX = 253
ACM_DOMAIN_NAME_MAX = 64
_LABEL = r"(?!-)[a-z0-9-]{1,63}(?<!-)"
_NAME = re.compile(r"^%s(\.%s)*$" % (_LABEL, _LABEL))
# user@domain: no spaces, exactly one '@', a DNS name (any case) after it.
_EMAIL = re.compile(r"^[^@\s]{1,64}@(?!-)[A-Za-z0-9-]{1,63}(?<!-)(\.(?!-)[A-Za-z0-9-]{1,63}(?<!-))+$")

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
