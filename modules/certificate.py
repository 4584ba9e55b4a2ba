"""Certificate: a public ACM certificate for one domain name, validated through DNS in Route 53.

Smallest example::

    from modules.certificate import Certificate, CertificateProps

    cert = Certificate(stack, "Certificate", props=CertificateProps(
        domain_name="app.example.com", zone_id=zone.zone_id))
    cert.certificate_arn     # the *validated* certificate: use it on an HTTPS listener

What it builds:

* an ACM certificate for ``domain_name`` (one name, no wildcard, no alternative names), RSA 2048,
  DNS validation, certificate-transparency logging on, and ``create_before_destroy`` so that a
  replacement is issued before the old one is detached from a listener;
* the validation record: the CNAME that ACM asks for, in the zone ``zone_id``. A single-domain
  certificate has exactly one validation option; the construct reads the first (and only)
  element of the ``domain_validation_options`` set through ``tolist``, so the record's name,
  type and value are known at plan time once the certificate exists;
* an ``aws_acm_certificate_validation`` that waits until ACM has issued the certificate.
  :attr:`Certificate.certificate_arn` comes from it, so anything using the ARN waits too.

Public ACM certificates cost nothing; the validation record is one record in an existing zone.
The zone must be public and delegated, or validation never completes (real accounts); the local
emulator issues at once (``MOTO_ACM_VALIDATION_WAIT=0``, set by ``ops/emulator.py``).
"""

from __future__ import annotations

from dataclasses import dataclass

from cdktf import TerraformResourceLifecycle
from cdktf_cdktf_provider_aws.acm_certificate import AcmCertificate, AcmCertificateOptions
from cdktf_cdktf_provider_aws.acm_certificate_validation import AcmCertificateValidation
from cdktf_cdktf_provider_aws.route53_record import Route53Record
from constructs import Construct

from rules.dns import ACM_DOMAIN_NAME_MAX, is_dns_name


@dataclass(frozen=True, kw_only=True)
class CertificateProps:
    """Inputs of :class:`Certificate`."""

    domain_name: str
    """The one name on the certificate, e.g. ``app.example.com``; at most 64 characters, no wildcard."""
    zone_id: str
    """Public Route 53 hosted zone the validation record is written to (usually a data-source token)."""
    validation_record_ttl_seconds: int = 60
    """TTL of the validation CNAME; 60 s unless set."""

    def __post_init__(self) -> None:
        if len(self.domain_name) > ACM_DOMAIN_NAME_MAX or not is_dns_name(self.domain_name):
            raise ValueError(
                "CertificateProps.domain_name=%r; allowed: a lowercase DNS name of two or more labels, at most %d"
                " characters, no wildcard and no trailing dot" % (self.domain_name, ACM_DOMAIN_NAME_MAX)
            )
        if not 0 <= self.validation_record_ttl_seconds <= 172800:
            raise ValueError(
                "CertificateProps.validation_record_ttl_seconds=%r; allowed: 0..172800"
                % self.validation_record_ttl_seconds
            )


class Certificate(Construct):
    """ACM certificate + DNS validation record + validation waiter."""

    certificate_arn: str
    """ARN of the issued certificate (from the validation resource: available once validated)."""
    domain_name: str

    def __init__(self, scope: Construct, id_: str, *, props: CertificateProps) -> None:
        super().__init__(scope, id_)
        certificate = AcmCertificate(
            self,
            "Certificate",
            domain_name=props.domain_name,
            validation_method="DNS",
            key_algorithm="RSA_2048",
            options=AcmCertificateOptions(certificate_transparency_logging_preference="ENABLED"),
            lifecycle=TerraformResourceLifecycle(create_before_destroy=True),
            tags={"Name": props.domain_name},
        )
        # One name -> one validation option; the attribute is a set, so index it through tolist.
        option = certificate.domain_validation_options.get(0)
        record = Route53Record(
            self,
            "ValidationRecord",
            zone_id=props.zone_id,
            name=option.resource_record_name,
            type=option.resource_record_type,
            records=[option.resource_record_value],
            ttl=props.validation_record_ttl_seconds,
            # ACM reuses the same CNAME for a re-requested certificate of the same name.
            allow_overwrite=True,
        )
        validation = AcmCertificateValidation(
            self,
            "Validation",
            certificate_arn=certificate.arn,
            validation_record_fqdns=[record.fqdn],
        )
        self.certificate_arn = validation.certificate_arn
        self.domain_name = props.domain_name
