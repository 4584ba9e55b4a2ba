"""Certificate construct: ACM certificate, DNS validation record, validation waiter, validation of props."""

from __future__ import annotations

import json
from typing import Any

import pytest

ZONE_ID = "Z0123456789ABCDEFGHIJ"


def _props(**overrides: Any) -> Any:
    from modules.certificate import CertificateProps

    kwargs: dict[str, Any] = dict(domain_name="app.example.com", zone_id=ZONE_ID)
    kwargs.update(overrides)
    return CertificateProps(**kwargs)


def _synth(**overrides: Any) -> tuple[Any, dict[str, Any]]:
    from cdktf import TerraformStack, Testing

    from modules.certificate import Certificate

    stack = TerraformStack(Testing.app(), "test")
    cert = Certificate(stack, "Certificate", props=_props(**overrides))
    return cert, dict(json.loads(Testing.synth(stack)))


@pytest.fixture(scope="module")
def defaults() -> tuple[Any, dict[str, Any]]:
    return _synth()


def _one(stack: dict[str, Any], rtype: str) -> tuple[str, dict[str, Any]]:
    ((name, body),) = stack["resource"][rtype].items()
    return name, body


def test_defaults_only_certificate(defaults: tuple[Any, dict[str, Any]]) -> None:
    _, stack = defaults
    _, cert = _one(stack, "aws_acm_certificate")
    assert cert["domain_name"] == "app.example.com"
    assert cert["validation_method"] == "DNS" and cert["key_algorithm"] == "RSA_2048"
    assert "subject_alternative_names" not in cert  # one name: exactly one validation option
    assert cert["options"] == {"certificate_transparency_logging_preference": "ENABLED"}
    # a replacement is issued before the old certificate is detached from a listener
    assert cert["lifecycle"] == {"create_before_destroy": True}


def test_validation_record_is_the_first_validation_option_in_the_zone(defaults: tuple[Any, dict[str, Any]]) -> None:
    _, stack = defaults
    cert_name, _ = _one(stack, "aws_acm_certificate")
    _, record = _one(stack, "aws_route53_record")
    option = "${tolist(aws_acm_certificate.%s.domain_validation_options).0" % cert_name
    assert record["name"] == option + ".resource_record_name}"
    assert record["type"] == option + ".resource_record_type}"
    assert record["records"] == [option + ".resource_record_value}"]
    assert record["zone_id"] == ZONE_ID and record["ttl"] == 60 and record["allow_overwrite"] is True


def test_validation_waits_for_the_record_and_its_arn_is_the_output(defaults: tuple[Any, dict[str, Any]]) -> None:
    cert, stack = defaults
    cert_name, _ = _one(stack, "aws_acm_certificate")
    record_name, _ = _one(stack, "aws_route53_record")
    validation_name, validation = _one(stack, "aws_acm_certificate_validation")
    assert validation["certificate_arn"] == "${aws_acm_certificate.%s.arn}" % cert_name
    assert validation["validation_record_fqdns"] == ["${aws_route53_record.%s.fqdn}" % record_name]
    assert validation_name.startswith("Certificate_Validation_")
    # cert.certificate_arn is the validation's attribute (a token): a listener using it waits for
    # the issued certificate; tests/test_load_balancer.py checks the synthesized reference.
    from cdktf import Token

    assert Token.is_unresolved(cert.certificate_arn)
    assert cert.domain_name == "app.example.com"


def test_construct_ids_are_fixed_literals() -> None:
    _, first = _synth()
    _, other = _synth(domain_name="other.example.com", validation_record_ttl_seconds=300)
    for rtype in ("aws_acm_certificate", "aws_route53_record", "aws_acm_certificate_validation"):
        assert list(first["resource"][rtype]) == list(other["resource"][rtype])
    assert _one(other, "aws_route53_record")[1]["ttl"] == 300


# ---- validation: one test per rule -----------------------------------------------------------


@pytest.mark.parametrize("bad", ["*.example.com", "Example.com", "example", "app.example.com.", "a_b.example.com"])
def test_domain_name_must_be_one_lowercase_dns_name(bad: str) -> None:
    with pytest.raises(ValueError, match=r"CertificateProps\.domain_name=.*; allowed: a lowercase DNS name"):
        _props(domain_name=bad)


def test_domain_name_within_the_acm_limit() -> None:
    name = "a" * 55 + ".example.com"  # 67 characters
    with pytest.raises(ValueError, match=r"CertificateProps\.domain_name='a{55}\.example\.com'; .*at most 64 characters"):
        _props(domain_name=name)


def test_validation_record_ttl_range() -> None:
    with pytest.raises(ValueError, match=r"CertificateProps\.validation_record_ttl_seconds=-1; allowed: 0\.\.172800"):
        _props(validation_record_ttl_seconds=-1)
